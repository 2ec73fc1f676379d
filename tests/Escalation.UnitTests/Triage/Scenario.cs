using System.Text.Json;
using System.Text.Json.Serialization;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using JasperFx.Events;

namespace Escalation.UnitTests.Triage;

/// <summary>One step of a recorded conversation: exactly one of the event-shaped fields is set.</summary>
public sealed record ScenarioStep(
    string? Customer = null,
    string? Bot = null,
    string? Agent = null,
    string? System = null,
    double? Confidence = null,
    string? Intent = null,
    bool Matched = true,
    double? Sentiment = null,
    string? OrderId = null,
    decimal? Amount = null,
    string? Currency = null,
    string? Product = null,
    string? Attempt = null,
    AttemptOutcome Outcome = AttemptOutcome.Failed,
    string? Resolved = null,
    bool Closed = false,
    string? Reopened = null,
    SlaMetric? SlaWarning = null,
    int Percent = 75,
    string? Incident = null,
    int OpenCases = 5,
    int Minutes = 1);

/// <summary>What triage must decide at step <see cref="At"/>.</summary>
/// <param name="Triggers">Rules that must fire (a human labeller's reasons).</param>
/// <param name="Acceptable">Rules that may also fire without being wrong; any other rule that fires counts against precision.</param>
public sealed record ExpectedDecision(
    int At,
    string Kind,
    Priority Priority,
    IReadOnlyList<string> Triggers,
    EscalationType? Type = null,
    Tier? From = null,
    Tier? To = null,
    string? Capability = null,
    IReadOnlyList<string>? Acceptable = null);

/// <summary>A recorded conversation and what triage must decide on it.</summary>
public sealed record Scenario(
    string Name,
    IReadOnlyList<ScenarioStep> Steps,
    IReadOnlyList<ExpectedDecision> Expect,
    string? Seed = null,
    Channel Channel = Channel.Chatbot,
    string Category = "orders",
    CustomerTier CustomerTier = CustomerTier.Standard,
    string Language = "ja",
    string Subject = "問い合わせ")
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
    };

    public static IReadOnlyList<Scenario> All { get; } = Directory
        .GetFiles(Path.Combine(AppContext.BaseDirectory, "Triage", "Scenarios"), "*.json")
        .Order(StringComparer.Ordinal)
        .SelectMany(file => JsonSerializer.Deserialize<List<Scenario>>(File.ReadAllText(file), Json)
            ?? throw new InvalidOperationException($"{file} is empty."))
        .ToList();

    public Guid CaseId { get; } = Guid.CreateVersion7(Start);

    public override string ToString() => Name;

    /// <summary>The case stream the scenario describes, step i recorded as event i + 1 (event 0 opens the ticket).</summary>
    public IReadOnlyList<IEvent> Record()
    {
        var customer = new CustomerInfo($"cust-{Name}", "Scenario Customer", CustomerTier, Language, null);
        var events = new List<IEvent> { Wrap(new TicketOpened(CaseId, "ESC-2000", Channel, $"conv-{Name}", customer, Subject, Category, "c-0", Start), 0, Start) };
        var at = Start;
        for (var i = 0; i < Steps.Count; i++)
        {
            var step = Steps[i];
            at = at.AddMinutes(step.Minutes);
            events.Add(Wrap(EventOf(step, i, at), i + 1, at));
        }

        return events;
    }

    /// <summary>The stored event id of step <paramref name="index"/>.</summary>
    public Guid StepEventId(int index) => EventIdFor(index + 1);

    private object EventOf(ScenarioStep step, int index, DateTimeOffset at)
    {
        var (author, text) = step switch
        {
            { Customer: { } t } => (AuthorKind.Customer, t),
            { Bot: { } t } => (AuthorKind.Bot, t),
            { Agent: { } t } => (AuthorKind.Agent, t),
            { System: { } t } => (AuthorKind.System, t),
            _ => (AuthorKind.Unspecified, ""),
        };
        if (author != AuthorKind.Unspecified)
        {
            var amount = step.Amount is { } value ? new MoneyAmount(value, step.Currency ?? "JPY") : null;
            return new ContactReceived(CaseId, $"c-{index + 1}", Channel, author, text, Language, step.Confidence,
                step.Intent is null ? null : new IntentMatch(step.Intent, step.Matched),
                step.Sentiment is null ? null : new SentimentScore(step.Sentiment.Value, "channel-model"),
                new ContactEntities(step.OrderId, amount, step.Product), at, at);
        }

        return step switch
        {
            { Attempt: { } s } => new ResolutionAttempted(CaseId, s, step.Outcome, "agent-1", at),
            { Resolved: { } r } => new CaseResolved(CaseId, r, "agent-1", at),
            { Closed: true } => new CaseClosed(CaseId, at),
            { Reopened: { } reason } => new CaseReopened(CaseId, $"c-{index + 1}", reason, at),
            { SlaWarning: { } metric } => new SlaBreachImminent(CaseId, EventIdFor(1000 + (int)metric), metric, step.Percent,
                TimeSpan.FromMinutes(15), at.AddMinutes(15), at, Late: false),
            { Incident: { } key } => new CaseLinkedToIncident(CaseId, key, Category, null, step.OpenCases, TimeSpan.FromHours(1), at),
            _ => throw new InvalidOperationException($"Scenario {Name} step {index} sets no event."),
        };
    }

    private Guid EventIdFor(int version) => new(CaseId.ToByteArray()[..12].Concat(BitConverter.GetBytes(version)).ToArray());

    private IEvent Wrap(object data, int version, DateTimeOffset at) =>
        CaseFixtures.Stored(data, version, at, EventIdFor(version), CaseId, sequence: version);
}
