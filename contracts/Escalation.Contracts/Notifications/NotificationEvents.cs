namespace Escalation.Contracts.Notifications;

/// <summary>A notification was delivered to its channel.</summary>
/// <param name="NotificationId">Deterministic id (from the causing event and audience): the dedupe key.</param>
/// <param name="Audience">Who it was for.</param>
/// <param name="Channel">How it went out.</param>
/// <param name="Recipient">Address or endpoint.</param>
/// <param name="Template">Template id.</param>
/// <param name="Language">Language it was written in.</param>
/// <param name="Attempt">Delivery attempt, 1-based.</param>
public sealed record NotificationSent(
    Guid CaseId,
    Guid NotificationId,
    Audience Audience,
    NotificationChannel Channel,
    string Recipient,
    string Template,
    string Language,
    int Attempt,
    DateTimeOffset SentAt) : ICaseEvent;

/// <summary>A notification could not be delivered.</summary>
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
