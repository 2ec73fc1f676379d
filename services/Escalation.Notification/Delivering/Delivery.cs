using Escalation.Contracts;
using Escalation.Contracts.Notifications;

namespace Escalation.Notification.Delivering;

public enum DeliveryStatus { Pending, Sending, Sent, Failed }

/// <summary>The message a delivery carries: what an email shows, and for a webhook the JSON it posts.</summary>
public sealed record DeliveryContent(string Subject, string Text, string Html, string? Json);

/// <summary>
/// One notification to one audience over one channel (a Marten document in the notification schema). Its id is
/// derived from the triggering event, the audience and the channel, and it is stored before anything is sent: a
/// repeated trigger finds it and sends nothing. <see cref="DueAt"/> is when a dispatcher should next look at it
/// (null once it is done); while <see cref="DeliveryStatus.Sending"/> it is the end of the sender's lease.
/// </summary>
public sealed record Delivery(
    Guid Id,
    Guid CaseId,
    Guid TriggerEventId,
    string TriggerEventType,
    Audience Audience,
    NotificationChannel Channel,
    string Template,
    string Language,
    IReadOnlyList<string> Recipients,
    DeliveryContent? Content,
    DeliveryStatus Status,
    int Attempts,
    DateTimeOffset? DueAt,
    DateTimeOffset CreatedAt,
    string RulesVersion,
    string? TraceParent = null,
    string? LastError = null)
{
    /// <summary>The dedupe key: triggering event id + audience + channel.</summary>
    public static Guid IdFor(Guid triggerEventId, Audience audience, NotificationChannel channel) =>
        ServiceDefaults.DeterministicId.From($"{triggerEventId:N}/{audience}/{channel}");

    /// <summary>
    /// A dispatcher takes the delivery for one attempt, leased until <paramref name="leaseUntil"/>. A delivery still
    /// <see cref="DeliveryStatus.Sending"/> here lost its sender mid-send (a crash, a kill): whether that attempt
    /// reached the receiver is unknown, so it is recorded as failed and sent again under the same id (the email's
    /// Message-Id, the webhook's delivery id) for the receiver to drop if it did arrive.
    /// </summary>
    /// <returns>The delivery to send (status Sending), or given up (status Failed) when an interrupted attempt was the last one.</returns>
    public (Delivery Next, IReadOnlyList<ICaseEvent> Events) Claim(DateTimeOffset now, DateTimeOffset leaseUntil, int maxAttempts)
    {
        var claimed = this with { Status = DeliveryStatus.Sending, Attempts = Attempts + 1, DueAt = leaseUntil };
        if (Status != DeliveryStatus.Sending)
        {
            return (claimed, []);
        }

        const string unknown = "outcome unknown: the sender stopped mid-send";
        return Attempts >= maxAttempts
            ? (this with { Status = DeliveryStatus.Failed, DueAt = null, LastError = unknown }, [Failure($"{unknown} (retry budget of {maxAttempts} attempts spent)", willRetry: false, now)])
            : (claimed, [Failure($"{unknown}; sending again under the same delivery id", willRetry: true, now)]);
    }

    public (Delivery Done, NotificationSent Event) Succeeded(string? providerMessageId, DateTimeOffset now) =>
        (this with { Status = DeliveryStatus.Sent, DueAt = null, LastError = null },
            new NotificationSent(CaseId, Id, Audience, Channel, Recipient, Template, Language, Attempts, now, providerMessageId));

    /// <summary>A failed attempt: retried after <paramref name="retryIn"/> when transient and within the budget, otherwise given up.</summary>
    public (Delivery Next, NotificationFailed Event) Failed(string error, bool transient, int maxAttempts, TimeSpan retryIn, DateTimeOffset now)
    {
        var willRetry = transient && Attempts < maxAttempts;
        var reason = willRetry || !transient ? error : $"{error} (retry budget of {maxAttempts} attempts spent)";
        return (this with { Status = willRetry ? DeliveryStatus.Pending : DeliveryStatus.Failed, DueAt = willRetry ? now + retryIn : null, LastError = reason },
            Failure(reason, willRetry, now));
    }

    /// <summary>Nobody to tell (no address): recorded once as a failure that is not retried.</summary>
    public static Delivery Unreachable(Guid caseId, Guid triggerEventId, string triggerType, Audience audience, NotificationChannel channel, string template,
        string language, string error, string rulesVersion, DateTimeOffset now) =>
        new(IdFor(triggerEventId, audience, channel), caseId, triggerEventId, triggerType, audience, channel, template, language, [], null,
            DeliveryStatus.Failed, 1, null, now, rulesVersion, null, error);

    /// <summary>Why a delivery was not sent after its customer's data was erased.</summary>
    public const string ErasedBeforeSending = "not sent: the customer's data was erased";

    /// <summary>
    /// The customer's data out of the delivery: a customer's address, the rendered message (any audience's may quote
    /// the customer) and the last error (a mail server's names the mailbox). One not sent yet is given up, as there is
    /// nothing left to send; applying this again changes nothing.
    /// </summary>
    public (Delivery Erased, IReadOnlyList<ICaseEvent> Events) EraseCustomerData(DateTimeOffset now)
    {
        var erased = this with
        {
            Recipients = Audience == Audience.Customer ? [] : Recipients,
            Content = null,
            LastError = LastError is null or ErasedBeforeSending ? LastError : PersonalData.Erased,
        };
        if (Status is DeliveryStatus.Sent or DeliveryStatus.Failed)
        {
            return (erased, []);
        }

        erased = erased with { Status = DeliveryStatus.Failed, DueAt = null, LastError = ErasedBeforeSending };
        return (erased, [erased.Failure(ErasedBeforeSending, willRetry: false, now)]);
    }

    public string Recipient => string.Join(", ", Recipients);

    public NotificationFailed Failure(string error, bool willRetry, DateTimeOffset now) =>
        new(CaseId, Id, Audience, Channel, Recipient, Template, Language, Math.Max(1, Attempts), error, willRetry, now);
}
