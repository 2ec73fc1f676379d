namespace Escalation.Contracts.Cases;

/// <summary>A case was opened for a new conversation.</summary>
/// <param name="CaseId">Stream id (Guid v7).</param>
/// <param name="Reference">Human reference given to the customer, <c>ESC-</c> + a monotonic number.</param>
/// <param name="Channel">Channel of the first contact.</param>
/// <param name="ConversationId">The channel's conversation id.</param>
/// <param name="Customer">The customer.</param>
/// <param name="Subject">Subject or the start of the first message.</param>
/// <param name="Category">Category, <c>general</c> when the channel gave none.</param>
/// <param name="FirstContactId">The contact that opened the case.</param>
/// <param name="OpenedAt">When the platform opened it.</param>
public sealed record TicketOpened(
    Guid CaseId,
    string Reference,
    Channel Channel,
    string ConversationId,
    CustomerInfo Customer,
    string Subject,
    string Category,
    string FirstContactId,
    DateTimeOffset OpenedAt) : ICaseEvent;

/// <summary>A message of the conversation was received.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="ContactId">The channel's message id (idempotency key with the channel).</param>
/// <param name="Channel">Channel.</param>
/// <param name="Author">Who wrote it.</param>
/// <param name="Text">Message text.</param>
/// <param name="Language">Language of the text (the customer's unless known otherwise).</param>
/// <param name="BotConfidence">Bot confidence in [0, 1], when a bot handled it.</param>
/// <param name="Intent">Intent matched or not.</param>
/// <param name="Sentiment">Sentiment, when the channel supplied one.</param>
/// <param name="Entities">Extracted entities.</param>
/// <param name="OccurredAt">When it happened at the channel.</param>
/// <param name="ReceivedAt">When intake recorded it.</param>
public sealed record ContactReceived(
    Guid CaseId,
    string ContactId,
    Channel Channel,
    AuthorKind Author,
    string Text,
    string Language,
    double? BotConfidence,
    IntentMatch? Intent,
    SentimentScore? Sentiment,
    ContactEntities Entities,
    DateTimeOffset OccurredAt,
    DateTimeOffset ReceivedAt) : ICaseEvent;

/// <summary>A troubleshooting step was tried.</summary>
public sealed record ResolutionAttempted(Guid CaseId, string Step, AttemptOutcome Outcome, string? By, DateTimeOffset AttemptedAt) : ICaseEvent;

/// <summary>The case was resolved by the platform side.</summary>
public sealed record CaseResolved(Guid CaseId, string Resolution, string? ResolvedBy, DateTimeOffset ResolvedAt) : ICaseEvent;

/// <summary>The customer confirmed the resolution; the case is closed.</summary>
public sealed record CaseClosed(Guid CaseId, DateTimeOffset ClosedAt) : ICaseEvent;

/// <summary>A closed case was reopened by a new contact within the reopen window.</summary>
public sealed record CaseReopened(Guid CaseId, string ContactId, string Reason, DateTimeOffset ReopenedAt) : ICaseEvent;

/// <summary>
/// The customer's personal data was erased from this case (the right to erasure): History masked it in the case's
/// events, and each service now removes it from its own documents. Carries no personal data itself.
/// </summary>
/// <param name="CaseId">The case.</param>
/// <param name="ErasedAt">When the erasure was requested.</param>
public sealed record CustomerDataErased(Guid CaseId, DateTimeOffset ErasedAt) : ICaseEvent;
