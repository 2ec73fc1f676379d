using System.Diagnostics;
using Escalation.Contracts;
using Escalation.Contracts.Notifications;
using Escalation.ServiceDefaults;
using Marten;
using Npgsql;

namespace Escalation.Notification.Delivering;

/// <summary>
/// Sends stored deliveries. Workers (any number per instance, any number of instances) claim due deliveries with
/// <c>FOR UPDATE SKIP LOCKED</c> and commit the claim (attempt number, lease) before sending; after the send they
/// record the outcome on the case stream and re-plan or close the delivery in one transaction. A delivery whose
/// sender died mid-send is taken again when its lease ends.
/// </summary>
public sealed partial class DeliveryDispatcher(
    IDocumentStore store,
    EmailSender email,
    WebhookSender webhook,
    RetryOptions retry,
    WakeSignal signal,
    TimeProvider time,
    ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    public const int Workers = 4;
    private const int ClaimBatch = 8;
    public static readonly TimeSpan LongestSleep = TimeSpan.FromMilliseconds(250);
    private const string Actor = "service:notification";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(() => WorkAsync(stoppingToken), stoppingToken)));

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (claimed, nextDue) = await ClaimAsync(stoppingToken);
                if (claimed.Count == 0)
                {
                    await signal.SleepAsync(nextDue, stoppingToken);
                    continue;
                }

                if (claimed.Count == ClaimBatch)
                {
                    signal.Wake(time.GetUtcNow()); // there may be more: another worker takes the next batch meanwhile
                }

                await Task.WhenAll(claimed.Select(delivery => SendAndRecordAsync(delivery, stoppingToken)));
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(error);
                await Task.Delay(LongestSleep, time, stoppingToken);
            }
        }
    }

    /// <summary>
    /// Claims up to a batch of due deliveries for one attempt each; gives up interrupted ones whose budget is spent.
    /// When none is due, says when the next one is, read on the same connection.
    /// </summary>
    private async Task<(IReadOnlyList<Delivery> Claimed, DateTimeOffset? NextDue)> ClaimAsync(CancellationToken cancellation)
    {
        await using var session = store.LightweightSession();
        await session.BeginTransactionAsync(cancellation);
        var now = time.GetUtcNow();
        var ids = new List<Guid>();
        await using (var due = new NpgsqlCommand(
            $"SELECT id FROM {NotificationSetup.Schema}.mt_doc_delivery WHERE due_at <= @now ORDER BY due_at LIMIT @batch FOR UPDATE SKIP LOCKED", session.Connection))
        {
            due.Parameters.AddWithValue("now", now);
            due.Parameters.AddWithValue("batch", ClaimBatch);
            await using var reader = await due.ExecuteReaderAsync(cancellation);
            while (await reader.ReadAsync(cancellation))
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        if (ids.Count == 0)
        {
            await using var earliest = new NpgsqlCommand($"SELECT min(due_at) FROM {NotificationSetup.Schema}.mt_doc_delivery", session.Connection);
            return ([], await earliest.ExecuteScalarAsync(cancellation) is DateTime due ? new DateTimeOffset(due, TimeSpan.Zero) : null);
        }

        var claimed = new List<Delivery>();
        var deliveries = await session.LoadManyAsync<Delivery>(cancellation, ids);
        var interrupted = deliveries.Where(d => d.Status == DeliveryStatus.Sending).Select(d => d.CaseId).ToList();
        if (interrupted.Count > 0)
        {
            await session.LockStreamsAsync(interrupted, cancellation); // their unknown outcome is appended to the case
        }

        foreach (var delivery in deliveries)
        {
            var (next, events) = delivery.Claim(now, now + retry.Lease, retry.MaxAttempts);
            session.Store(next);
            Record(session, next, events);
            if (next.Status == DeliveryStatus.Sending)
            {
                claimed.Add(next);
            }

            if (events.Count > 0)
            {
                LogInterrupted(delivery.CaseId, delivery.Id, delivery.Attempts);
            }
        }

        await session.SaveChangesAsync(cancellation);
        return (claimed, null);
    }

    private async Task SendAndRecordAsync(Delivery delivery, CancellationToken cancellation)
    {
        using var activity = StartSendActivity(delivery); // also the trace the outcome event is stamped with
        using var scope = logger.BeginScope(CaseTelemetry.LogScope(delivery.CaseId, reference: null, delivery.TriggerEventType, delivery.TriggerEventId));
        var outcome = delivery.Channel switch
        {
            NotificationChannel.Email => await email.SendAsync(delivery, cancellation),
            _ => await webhook.SendAsync(delivery, cancellation),
        };
        activity?.SetTag("escalation.notification.delivered", outcome.Delivered);

        // Locks in the claim's order, delivery row then case stream, so a claimer and a recorder cannot deadlock.
        await using var session = store.LightweightSession();
        await session.BeginTransactionAsync(cancellation);
        await using (var own = new NpgsqlCommand(
            $"SELECT data ->> 'status', (data ->> 'attempts')::int FROM {NotificationSetup.Schema}.mt_doc_delivery WHERE id = @id FOR UPDATE", session.Connection))
        {
            own.Parameters.AddWithValue("id", delivery.Id);
            await using var reader = await own.ExecuteReaderAsync(cancellation);
            if (!await reader.ReadAsync(cancellation) || reader.GetString(0) != nameof(DeliveryStatus.Sending) || reader.GetInt32(1) != delivery.Attempts)
            {
                LogLeaseLost(delivery.CaseId, delivery.Id, delivery.Attempts);
                return; // the lease ran out and another sender took over; its outcome is the one recorded
            }
        }

        await session.LockStreamsAsync([delivery.CaseId], cancellation); // the outcome is appended to the case

        var now = time.GetUtcNow();
        if (outcome.Delivered)
        {
            var (done, sent) = delivery.Succeeded(outcome.ProviderMessageId, now);
            session.Store(done);
            Record(session, done, [sent]);
            LogSent(delivery.CaseId, delivery.Audience, delivery.Channel, delivery.Template, delivery.Language, delivery.Attempts);
        }
        else
        {
            var (next, failed) = delivery.Failed(outcome.Error!, outcome.Transient, retry.MaxAttempts, retry.DelayAfter(delivery.Attempts, Random.Shared.NextDouble()), now);
            session.Store(next);
            Record(session, next, [failed]);
            LogSendFailed(delivery.CaseId, delivery.Audience, delivery.Channel, delivery.Attempts, failed.WillRetry, Pii.Redact(failed.Error));
            if (next.DueAt is { } retryAt)
            {
                signal.Wake(retryAt);
            }
        }

        await session.SaveChangesAsync(cancellation);
    }

    /// <summary>Appends outcome events to the delivery's case, caused by the triggering event and stamped with the rules version.</summary>
    public static void Record(IDocumentSession session, Delivery delivery, IReadOnlyList<ICaseEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        var action = session.Events.Append(delivery.CaseId, events.Cast<object>().ToArray());
        foreach (var @event in action.Events)
        {
            @event.StampCaseMetadata(delivery.CaseId, delivery.TriggerEventId.ToString(), Actor, delivery.RulesVersion);
            if (Activity.Current is null && delivery.TraceParent is { } traceParent)
            {
                @event.SetHeader(EventHeaders.TraceParent, traceParent); // outside a send (an interrupted claim): the trigger's trace
            }
        }
    }

    private static Activity? StartSendActivity(Delivery delivery)
    {
        var parent = delivery.TraceParent is { } traceParent && ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
        var activity = Telemetry.Source.StartActivity($"notify {delivery.Audience} {delivery.Channel}", ActivityKind.Client, parent);
        activity?.SetTag(CaseTelemetry.CaseId, delivery.CaseId.ToString());
        activity?.SetTag(CaseTelemetry.Audience, delivery.Audience.ToString());
        activity?.SetTag(CaseTelemetry.NotificationChannel, delivery.Channel.ToString());
        activity?.SetTag("escalation.notification.id", delivery.Id);
        activity?.SetTag("escalation.notification.template", delivery.Template);
        activity?.SetTag("escalation.notification.attempt", delivery.Attempts);
        return activity;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId}: {Audience} notified by {Channel} ({Template}, {Language}, attempt {Attempt})")]
    private partial void LogSent(Guid caseId, Audience audience, NotificationChannel channel, string template, string language, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId}: notifying {Audience} by {Channel} failed (attempt {Attempt}, will retry: {WillRetry}): {Error}")]
    private partial void LogSendFailed(Guid caseId, Audience audience, NotificationChannel channel, int attempt, bool willRetry, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId}: delivery {DeliveryId} was interrupted mid-send at attempt {Attempt}; taking it again")]
    private partial void LogInterrupted(Guid caseId, Guid deliveryId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId}: delivery {DeliveryId} attempt {Attempt} finished after its lease passed to another sender; its outcome is not recorded")]
    private partial void LogLeaseLost(Guid caseId, Guid deliveryId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification dispatcher failed; retrying")]
    private partial void LogFailed(Exception error);
}
