using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Intake;
using JasperFx.Events;

namespace Escalation.UnitTests;

/// <summary>Small builders for case events, so each test states only what matters to it.</summary>
internal static class CaseFixtures
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    public static readonly Guid CaseId = Guid.Parse("0193a000-0000-7000-8000-000000000001");

    public static CustomerInfo Customer(CustomerTier tier = CustomerTier.Standard, string language = "en", string? email = "jane@example.com") =>
        new("cust-1", "Jane", tier, language, email);

    public static TicketOpened Opened(CustomerTier tier = CustomerTier.Standard, string language = "en", Channel channel = Channel.Chatbot, string category = "billing") =>
        new(CaseId, "ESC-1000", channel, "conv-1", Customer(tier, language), "Double charge", category, "m-1", Now);

    public static ContactReceived Received(string text, AuthorKind author = AuthorKind.Customer, double? sentiment = null) =>
        new(CaseId, $"m-{text.GetHashCode():x}", Channel.Chatbot, author, text, "en", 0.4, new IntentMatch("billing.refund", false),
            sentiment is null ? null : new SentimentScore(sentiment.Value, "channel"), new ContactEntities(OrderId: "A-1"), Now, Now);

    /// <summary>
    /// <paramref name="data"/> as the event store hands it back: wrapped, with a version, a time and an id (a fresh one
    /// unless given); stream id and global sequence only when a test needs them.
    /// </summary>
    public static IEvent Stored(object data, long version, DateTimeOffset at, Guid? id = null, Guid? streamId = null, long? sequence = null)
    {
        var stored = (IEvent)Activator.CreateInstance(typeof(Event<>).MakeGenericType(data.GetType()), data)!;
        stored.Version = version;
        stored.Timestamp = at;
        stored.Id = id ?? Guid.NewGuid();
        if (streamId is { } stream) stored.StreamId = stream;
        if (sequence is { } position) stored.Sequence = position;
        return stored;
    }

    public static InboundContact Inbound(string text = "hello") =>
        new("m-1", "conv-1", Channel.Chat, Customer(), AuthorKind.Customer, text, Now);
}
