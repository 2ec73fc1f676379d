using System.Diagnostics;
using System.Diagnostics.Metrics;
using Escalation.Contracts;
using Escalation.History.Feed;
using Escalation.ServiceDefaults;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using MassTransit;

namespace Escalation.History.Relay;

/// <summary>
/// Publishes every committed case event to RabbitMQ (DESIGN §3): MessageId = the stored event's id, CorrelationId =
/// the case id, and the event's stored trace context as the parent of the publish. Pages come in global sequence
/// order; within a page, each case's events are published in order while different cases are published concurrently
/// (<see cref="RelayOptions.PublishConcurrency"/>; 1 restores strict global order on the bus). Consumers need per-case
/// order; the gRPC feed serves the strict global order.
/// Each publish awaits the broker's confirm, so Marten's checkpoint only advances past events the broker has
/// confirmed. A failed publish is retried here, with backoff, until it succeeds or the relay stops: an exception
/// escaping this method would pause the subscription. At-least-once: consumers dedupe by MessageId.
/// </summary>
public sealed partial class CaseEventRelay : SubscriptionBase
{
    private readonly IBus _bus;
    private readonly RelayLease _lease;
    private readonly RelayOptions _options;
    private readonly CaseReferences _references;
    private readonly TimeProvider _time;
    private readonly ILogger<CaseEventRelay> _logger;
    private readonly RelayHealth _health;
    private readonly Histogram<double> _lag;
    private long _publishedThrough;

    public CaseEventRelay(IBus bus, RelayLease lease, RelayOptions options, CaseReferences references, HighWaterMark highWaterMark, TimeProvider time,
        IMeterFactory meters, RelayHealth health, ILogger<CaseEventRelay> logger)
    {
        (_bus, _lease, _options, _references, _time, _health, _logger) = (bus, lease, options, references, time, health, logger);
        var meter = meters.Create(Telemetry.MeterNames[0]);
        _lag = meter.CreateHistogram<double>("escalation.relay.lag", "ms", "From an event's commit to the broker's confirm of its publish");
        // Only the leading instance has published anything; a standby reports no backlog rather than a wrong one.
        meter.CreateObservableGauge("escalation.relay.backlog",
            () => Interlocked.Read(ref _publishedThrough) is var through and > 0
                ? [new Measurement<long>(Math.Max(0, highWaterMark.Current - through))]
                : Array.Empty<Measurement<long>>(),
            "{event}", "Committed events up to the high-water mark that the relay has not published yet");
    }

    public const string SubscriptionName = "case-event-relay";

    private const string SequenceTag = "escalation.sequence";
    private const string StreamVersionTag = "escalation.stream_version";

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        // A deposed leader must not publish: this throws, the page rolls back and the daemon pauses the relay.
        await _lease.EnsureHeldAsync(cancellationToken);
        await _references.LearnAsync(page.Events, cancellationToken);
        // One case's events go out one at a time, in order; different cases' publishes overlap, so a page costs a
        // few broker round trips instead of one per event. The checkpoint still moves only once all are confirmed.
        var cases = page.Events.Where(e => e.Data is ICaseEvent).GroupBy(e => e.StreamId);
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = _options.PublishConcurrency, CancellationToken = cancellationToken },
            async (events, token) =>
            {
                foreach (var @event in events)
                {
                    await PublishAsync(@event, token);
                }
            });

        Interlocked.Exchange(ref _publishedThrough, page.SequenceCeiling);
        if (page.Events.Count > 0)
        {
            LogPagePublished(page.Events.Count, page.SequenceFloor, page.SequenceCeiling);
        }

        return NullChangeListener.Instance;
    }

    private async Task PublishAsync(IEvent @event, CancellationToken cancellationToken)
    {
        // The stored trace context is the parent, so the publish continues the trace of whatever appended the event
        // (TraceContextPublishFilter carries it on even when the span is not sampled). Internal: MassTransit's send
        // span under it is the producer span of the messaging conventions.
        var parent = Telemetry.ContextFromHeaders(@event.Headers) ?? default;
        var caseEvent = (ICaseEvent)@event.Data;
        var reference = _references.Of(@event.StreamId);
        using var activity = Telemetry.Source.StartActivity($"relay {@event.EventType.Name}", ActivityKind.Internal, parent);
        activity.Tag(caseEvent, reference);
        activity?.SetTag(SequenceTag, @event.Sequence);
        activity?.SetTag(StreamVersionTag, @event.Version);

        for (var attempt = 1; ; attempt++)
        {
            _health.Publishing();
            try
            {
                using var expiry = new CancellationTokenSource(_options.PublishTimeout, _time);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
                await _bus.Publish(@event.Data, @event.Data.GetType(), publish =>
                {
                    publish.MessageId = @event.Id;
                    publish.CorrelationId = @event.StreamId;
                    publish.Headers.Set(Wire.CaseEventHeaders.Sequence, @event.Sequence);
                    publish.Headers.Set(Wire.CaseEventHeaders.StreamVersion, @event.Version);
                    publish.Headers.Set(Wire.CaseEventHeaders.RecordedAt, @event.Timestamp.ToString("O"));
                    if (reference is not null)
                    {
                        publish.Headers.Set(CaseTelemetry.ReferenceHeader, reference);
                    }
                }, timeout.Token);
                _lag.Record((_time.GetUtcNow() - @event.Timestamp).TotalMilliseconds,
                    new KeyValuePair<string, object?>(CaseTelemetry.EventType, @event.EventType.Name));
                _health.Published();
                return;
            }
            catch (Exception exception)
            {
                _health.PublishFailed(exception);
                if (cancellationToken.IsCancellationRequested) throw;
                var delay = RetryDelay(attempt);
                LogPublishFailed(exception, @event.Sequence, attempt, delay.TotalMilliseconds);
                await Task.Delay(delay, _time, cancellationToken);
                await _lease.EnsureHeldAsync(cancellationToken); // still the leader after the wait?
            }
        }
    }

    /// <summary>100 ms doubling to at most 5 s.</summary>
    public static TimeSpan RetryDelay(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * Math.Pow(2, Math.Min(attempt - 1, 6))));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing event {Sequence} failed (attempt {Attempt}); retrying in {DelayMs} ms")]
    private partial void LogPublishFailed(Exception exception, long sequence, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Relayed {Count} events, sequence {Floor} to {Ceiling}")]
    private partial void LogPagePublished(int count, long floor, long ceiling);
}
