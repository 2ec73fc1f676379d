using System.Text;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Notifications;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Escalation.Bench.Measuring;

/// <summary>
/// A consumer of its own on the case-event exchanges the relay publishes to. Each delivery's receive time minus the
/// relay's <c>escalation-recorded-at</c> header is the commit → delivered lag: the relay's polling, its publish with
/// confirm, and the broker's routing to a consumer.
/// </summary>
public sealed class RelayLagTap : IAsyncDisposable
{
    /// <summary>MassTransit names an exchange after the message type: namespace:TypeName.</summary>
    public static readonly string[] Exchanges = new[]
    {
        typeof(TicketOpened), typeof(ContactReceived), typeof(EscalationRequested), typeof(EscalationRouted), typeof(NotificationSent),
    }.Select(type => $"{type.Namespace}:{type.Name}").ToArray();

    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly List<double> _lagMilliseconds = [];
    private volatile bool _recording;

    private RelayLagTap(IConnection connection, IChannel channel) => (_connection, _channel) = (connection, channel);

    public static async Task<RelayLagTap> StartAsync(Uri broker, CancellationToken cancellationToken)
    {
        var connection = await new ConnectionFactory { Uri = broker, ClientProvidedName = "escalation-bench-tap" }.CreateConnectionAsync(cancellationToken);
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var queue = (await channel.QueueDeclareAsync("bench.relay-lag-" + Guid.NewGuid().ToString("N")[..8], durable: false, exclusive: true,
            autoDelete: true, cancellationToken: cancellationToken)).QueueName;
        foreach (var exchange in Exchanges)
        {
            await channel.QueueBindAsync(queue, exchange, "", cancellationToken: cancellationToken);
        }

        var tap = new RelayLagTap(connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            tap.Observe(delivery.BasicProperties.Headers, DateTimeOffset.UtcNow);
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer, cancellationToken);
        return tap;
    }

    public void Record(bool on) => _recording = on;

    public Distribution Lag() { lock (_lagMilliseconds) return Distribution.Of(_lagMilliseconds); }

    private void Observe(IDictionary<string, object?>? headers, DateTimeOffset receivedAt)
    {
        if (!_recording || headers?.TryGetValue(Wire.CaseEventHeaders.RecordedAt, out var value) != true) return;
        var text = value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : value?.ToString();
        if (DateTimeOffset.TryParse(text, out var recordedAt))
        {
            lock (_lagMilliseconds) _lagMilliseconds.Add((receivedAt - recordedAt).TotalMilliseconds);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
