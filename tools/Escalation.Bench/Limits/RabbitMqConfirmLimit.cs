using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Escalation.Bench.Limits;

/// <summary>
/// How many persistent, publisher-confirmed messages per second this RabbitMQ broker accepts into one durable classic
/// queue, and how many a single manual-ack consumer takes out of it at the same time.
/// </summary>
public static class RabbitMqConfirmLimit
{
    private const int OutstandingConfirmsPerPublisher = 256;
    private const ushort ConsumerPrefetch = 500;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(Payloads.JsonOfLength(500));

    public static async Task<(LimitResult Publish, LimitResult Consume)> MeasureAsync(Uri amqpUri, int publishers, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(publishers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);

        var factory = new ConnectionFactory { Uri = amqpUri, AutomaticRecoveryEnabled = false, ClientProvidedName = "bench-limits" };
        var queue = $"bench.raw-{Guid.NewGuid():N}";

        await using var consumerConnection = await factory.CreateConnectionAsync(cancellationToken);
        await using var consumerChannel = await consumerConnection.CreateChannelAsync(cancellationToken: cancellationToken);
        await consumerChannel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);

        // One connection per publisher, so neither a shared socket nor the broker's per-connection reader/writer
        // processes can cap the result below what the queue itself sustains.
        var publisherConnections = new List<IConnection>();
        try
        {
            for (var i = 0; i < publishers; i++)
                publisherConnections.Add(await factory.CreateConnectionAsync(cancellationToken));

            var window = new MeasuredWindow(Warmup, duration);
            long consumed = 0;
            var consumer = new AsyncEventingBasicConsumer(consumerChannel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                if (window.IsOpen)
                    Interlocked.Increment(ref consumed);
            };
            await consumerChannel.BasicQosAsync(prefetchSize: 0, ConsumerPrefetch, global: false, cancellationToken);
            var consumerTag = await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);

            var confirmed = (await Task.WhenAll(publisherConnections.Select(connection =>
                PublishUntilWindowEndsAsync(connection, queue, window, cancellationToken)))).Sum();
            await consumerChannel.BasicCancelAsync(consumerTag, cancellationToken: cancellationToken);

            var publish = new LimitResult("RabbitMQ publish (persistent, confirmed)", confirmed / duration.TotalSeconds, publishers, duration, confirmed,
                $"durable classic queue, persistent {Body.Length} B messages, {publishers} connection(s) with one confirm channel each, " +
                $"up to {OutstandingConfirmsPerPublisher} unconfirmed per channel, while one consumer drains");
            var consumedInWindow = Interlocked.Read(ref consumed);
            var consume = new LimitResult("RabbitMQ consume (manual ack)", consumedInWindow / duration.TotalSeconds, 1, duration, consumedInWindow,
                $"one consumer, prefetch {ConsumerPrefetch}, one ack per message, concurrent with {publishers} publisher(s) (cannot exceed their rate)");
            return (publish, consume);
        }
        finally
        {
            foreach (var connection in publisherConnections)
                await connection.DisposeAsync();
            await consumerChannel.QueueDeleteAsync(queue, cancellationToken: CancellationToken.None);
        }
    }

    private static async Task<long> PublishUntilWindowEndsAsync(IConnection connection, string queue, MeasuredWindow window, CancellationToken cancellationToken)
    {
        // The pending queue below bounds the unconfirmed publishes, so no client-side limiter: a ThrottlingRateLimiter
        // would delay publishes beyond half its capacity and throw ("Could not acquire a lease") when full.
        var options = new CreateChannelOptions(
            publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true,
            outstandingPublisherConfirmationsRateLimiter: null);
        await using var channel = await connection.CreateChannelAsync(options, cancellationToken);

        // Per channel, not shared: with confirm tracking the client writes a sequence-number header into these properties.
        var properties = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, ContentType = "application/json" };

        // Each pending publish completes when its confirm arrives; confirms arrive in publish order, so awaiting the
        // oldest one keeps a sliding window of at most OutstandingConfirmsPerPublisher in flight.
        var pending = new Queue<ValueTask>(OutstandingConfirmsPerPublisher);
        long confirmed = 0;
        while (!window.HasEnded)
        {
            if (pending.Count == OutstandingConfirmsPerPublisher)
            {
                await pending.Dequeue();
                if (window.IsOpen)
                    confirmed++;
            }
            pending.Enqueue(channel.BasicPublishAsync(string.Empty, queue, mandatory: false, properties, Body, cancellationToken));
        }

        // Late confirms are awaited (so closing the channel does not fail them) but not counted.
        while (pending.TryDequeue(out var publish))
            await publish;
        return confirmed;
    }
}
