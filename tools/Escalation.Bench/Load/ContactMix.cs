using Escalation.Contracts;
using Escalation.Contracts.Intake;

namespace Escalation.Bench.Load;

/// <summary>What a generated contact is meant to exercise: routine (no escalation) or one escalation trigger.</summary>
public enum ContactKind { Routine, HumanRequest, LowBotConfidence, NegativeSentiment, FraudKeyword, StrategicCustomer, PublicComplaint }

public static class ContactKinds
{
    public static bool Escalates(this ContactKind kind) => kind != ContactKind.Routine;
}

/// <summary>A generated contact and what the triage rules are expected to make of it.</summary>
public sealed record GeneratedContact(InboundContact Contact, ContactKind Kind)
{
    public bool Escalates => Kind.Escalates();
}

/// <summary>
/// A realistic traffic mix: by default 70 % routine contacts that triage leaves alone and 30 % that escalate, spread
/// over the triggers of <c>triage-rules.json</c>. Every contact opens a conversation of its own, so each is one new
/// case. Explicit requests and strategic customers arrive through the chatbot (tier L0), where those triggers apply.
/// Categories avoid the seeded agent team (billing) so that escalations route to team queues and never wait
/// for agent capacity: the benchmark measures the pipeline, not the staffing of a seed directory. Products are unique
/// per contact, so no wide-impact incident forms.
/// </summary>
public sealed class ContactMix(string runId, double escalatingShare = 0.3, int seed = 1)
{
    private static readonly (ContactKind Kind, double Weight)[] Escalating =
    [
        (ContactKind.HumanRequest, 0.35),
        (ContactKind.LowBotConfidence, 0.2),
        (ContactKind.NegativeSentiment, 0.15),
        (ContactKind.FraudKeyword, 0.1),
        (ContactKind.StrategicCustomer, 0.1),
        (ContactKind.PublicComplaint, 0.1),
    ];

    private static readonly string[] RoutineCategories = ["delivery", "account", "technical", "returns"];
    private static readonly string[] RoutineTexts =
    [
        "Where is my parcel? The tracking page has not changed since Monday.",
        "How do I change the email address on my account?",
        "アプリの通知をオフにする方法を教えてください。",
        "Can I return an unopened item after 20 days?",
    ];

    private readonly Random _random = new(seed);

    public string RunId { get; } = runId;

    public double EscalatingShare { get; } = escalatingShare is >= 0 and <= 1
        ? escalatingShare
        : throw new ArgumentOutOfRangeException(nameof(escalatingShare), "A share is between 0 and 1.");

    public static string ContactIdOf(string runId, int index) => $"{runId}-{index}";

    /// <summary>The next contact of the run; call from one thread (the mix owns its random source).</summary>
    public GeneratedContact Next(int index, DateTimeOffset now) =>
        _random.NextDouble() < EscalatingShare ? Build(index, PickEscalating(), now) : Build(index, ContactKind.Routine, now);

    /// <summary>A contact of a given kind, for runs that need only escalations.</summary>
    public GeneratedContact Build(int index, ContactKind kind, DateTimeOffset now)
    {
        var id = ContactIdOf(RunId, index);
        var customer = new CustomerInfo($"bench-{index % 5000}", null, CustomerTier.Standard, "en", $"customer{index % 5000}@bench.example");
        var contact = new InboundContact(id, id, Channel.Chat, customer, AuthorKind.Customer, RoutineTexts[index % RoutineTexts.Length], now,
            Category: RoutineCategories[index % RoutineCategories.Length],
            Sentiment: new SentimentScore(0.1, "channel"),
            Entities: new ContactEntities(Product: $"sku-{id}"));
        contact = kind switch
        {
            ContactKind.Routine => contact,
            ContactKind.HumanRequest => contact with { Channel = Channel.Chatbot, Text = "The bot keeps looping. I want to talk to a human, please.", Category = "technical" },
            ContactKind.LowBotConfidence => contact with
            {
                Channel = Channel.Chatbot, Text = "配送先を変更したいのですが、うまくいきません。", Category = "delivery", BotConfidence = 0.22,
                Intent = new IntentMatch("delivery.change_address", Matched: false), Customer = customer with { Language = "ja" },
            },
            ContactKind.NegativeSentiment => contact with { Text = "This is the third broken unit. Completely unacceptable.", Category = "returns", Sentiment = new SentimentScore(-0.85, "channel") },
            ContactKind.FraudKeyword => contact with { Text = "There is an unauthorized charge on my card that I never made.", Category = "account" },
            ContactKind.StrategicCustomer => contact with { Channel = Channel.Chatbot, Customer = customer with { Tier = CustomerTier.Strategic }, Category = "technical" },
            ContactKind.PublicComplaint => contact with { Channel = Channel.Social, Text = "Still no answer from support about my order.", Sentiment = new SentimentScore(-0.5, "channel") },
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        return new GeneratedContact(contact, kind);
    }

    private ContactKind PickEscalating()
    {
        var roll = _random.NextDouble();
        foreach (var (kind, weight) in Escalating)
        {
            if ((roll -= weight) < 0) return kind;
        }

        return Escalating[^1].Kind;
    }
}
