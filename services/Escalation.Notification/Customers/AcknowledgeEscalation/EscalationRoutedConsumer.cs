using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Notification.Channels;
using Escalation.ServiceDefaults;
using Marten;
using MassTransit;

namespace Escalation.Notification.Customers.AcknowledgeEscalation;

/// <summary>
/// Sends the customer acknowledgement for a routed escalation, then records it. Sending happens outside the append
/// so that a concurrency retry of the append does not send again; a crash between send and append re-sends with the
/// same Message-Id (at-least-once, deduplicable by the receiver).
/// </summary>
public sealed partial class EscalationRoutedConsumer(IDocumentStore store, EmailSender sender, TimeProvider time, ILogger<EscalationRoutedConsumer> logger)
    : IConsumer<EscalationRouted>
{
    private const int MaxRecordAttempts = 10;

    public async Task Consume(ConsumeContext<EscalationRouted> context)
    {
        var eventId = context.MessageId ?? throw new InvalidMessageException("EscalationRouted without a MessageId (the stored event id).");
        var caseId = context.Message.CaseId;

        var email = AcknowledgeEscalation.Plan(await LoadAsync(caseId, context.CancellationToken), context.Message, eventId);
        if (email is null)
        {
            await store.DecideAsync<NotificationCase>(caseId, eventId.ToString(), "service:notification",
                current => AcknowledgeEscalation.Unreachable(current, context.Message, eventId, time.GetUtcNow()), context.CancellationToken);
            return;
        }

        var delivery = context.GetRetryAttempt() + 1;
        try
        {
            await sender.SendAsync(email, context.CancellationToken);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            // Recorded, then rethrown: the bus retries with backoff and the history shows every failed attempt.
            LogSendFailed(failure, caseId, delivery);
            await RecordAsync(caseId, eventId, _ => [AcknowledgeEscalation.Failed(context.Message, email, delivery, failure.Message, time.GetUtcNow())], context.CancellationToken);
            throw;
        }

        LogSent(caseId, email.Language, email.Subject);
        await RecordAsync(caseId, eventId, current => current is not null && current.Sent.Contains(email.NotificationId)
            ? []
            : [AcknowledgeEscalation.Sent(context.Message, email, delivery, time.GetUtcNow())], context.CancellationToken);
    }

    /// <summary>
    /// Appends with a local retry on write conflicts: a bus retry would run the whole consumer again and, after a
    /// successful send, send twice.
    /// </summary>
    private async Task RecordAsync(Guid caseId, Guid eventId, Func<NotificationCase?, IReadOnlyList<ICaseEvent>> decide, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.DecideAsync(caseId, eventId.ToString(), "service:notification", decide, cancellationToken);
                return;
            }
            catch (Exception exception) when (attempt < MaxRecordAttempts && WriteConflicts.IsWriteConflict(exception))
            {
                LogAppendRetry(caseId, attempt);
            }
        }
    }

    private async Task<NotificationCase?> LoadAsync(Guid caseId, CancellationToken cancellationToken)
    {
        await using var query = store.QuerySession();
        return await query.Events.AggregateStreamAsync<NotificationCase>(caseId, token: cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId}: customer acknowledgement sent ({Language}): {Subject}")]
    private partial void LogSent(Guid caseId, string language, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId}: sending the customer acknowledgement failed (delivery {Delivery})")]
    private partial void LogSendFailed(Exception exception, Guid caseId, int delivery);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Case {CaseId}: concurrent append while recording a notification (attempt {Attempt}); retrying")]
    private partial void LogAppendRetry(Guid caseId, int attempt);
}
