using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Intake;

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

    public static InboundContact Inbound(string text = "hello") =>
        new("m-1", "conv-1", Channel.Chat, Customer(), AuthorKind.Customer, text, Now);
}
