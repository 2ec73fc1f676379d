namespace Escalation.Contracts.Intake;

/// <summary>
/// What an upstream channel sends to the platform: one message of a conversation. Not a case event;
/// intake validates it and appends <see cref="Cases.ContactReceived"/> to the case stream.
/// </summary>
/// <param name="ContactId">The channel's id of this message; with <paramref name="Channel"/> it is the idempotency key.</param>
/// <param name="ConversationId">The channel's id of the conversation; one open case per conversation.</param>
/// <param name="Channel">The channel it came from.</param>
/// <param name="Customer">The customer.</param>
/// <param name="Author">Who wrote it.</param>
/// <param name="Text">The message text.</param>
/// <param name="OccurredAt">When it happened at the channel.</param>
/// <param name="Subject">Subject line or topic, when the channel has one.</param>
/// <param name="Category">Category chosen by the channel or bot (e.g. <c>billing</c>), when known.</param>
/// <param name="BotConfidence">The bot's confidence in its understanding, in [0, 1].</param>
/// <param name="Intent">The intent the bot matched, or tried to.</param>
/// <param name="Sentiment">Sentiment supplied by the channel.</param>
/// <param name="Entities">Entities the channel extracted.</param>
/// <param name="TraceParent">W3C traceparent of the publisher, for non-.NET publishers.</param>
public sealed record InboundContact(
    string ContactId,
    string ConversationId,
    Channel Channel,
    CustomerInfo Customer,
    AuthorKind Author,
    string Text,
    DateTimeOffset OccurredAt,
    string? Subject = null,
    string? Category = null,
    double? BotConfidence = null,
    IntentMatch? Intent = null,
    SentimentScore? Sentiment = null,
    ContactEntities? Entities = null,
    string? TraceParent = null);
