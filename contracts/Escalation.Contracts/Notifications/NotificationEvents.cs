namespace Escalation.Contracts.Notifications;

/// <summary>A notification was delivered to its channel.</summary>
/// <param name="NotificationId">Deterministic id (from the causing event and audience): the dedupe key.</param>
/// <param name="Audience">Who it was for.</param>
/// <param name="Channel">How it went out.</param>
/// <param name="Recipient">Address or endpoint.</param>
/// <param name="Template">Template id.</param>
/// <param name="Language">Language it was written in.</param>
/// <param name="Attempt">Delivery attempt, 1-based.</param>
/// <param name="ProviderMessageId">
/// What the receiving side called it: the SMTP server's queue id (or the Message-Id when it named none), or the
/// webhook receiver's request id header (or its HTTP status).
/// </param>
public sealed record NotificationSent(
    Guid CaseId,
    Guid NotificationId,
    Audience Audience,
    NotificationChannel Channel,
    string Recipient,
    string Template,
    string Language,
    int Attempt,
    DateTimeOffset SentAt,
    string? ProviderMessageId = null) : ICaseEvent;

/// <summary>A delivery attempt failed.</summary>
/// <param name="Recipient">Address(es) or endpoint; empty when nobody could be found to tell.</param>
/// <param name="Error">Why, in words (the SMTP reply, the HTTP status, the timeout, the missing address).</param>
/// <param name="WillRetry">True when another attempt is planned; false when the notification is given up.</param>
public sealed record NotificationFailed(
    Guid CaseId,
    Guid NotificationId,
    Audience Audience,
    NotificationChannel Channel,
    string Recipient,
    string Template,
    string Language,
    int Attempt,
    string Error,
    bool WillRetry,
    DateTimeOffset FailedAt) : ICaseEvent;
