using System.Text.Json;
using System.Text.Json.Serialization;
using Escalation.Contracts;
using Escalation.Contracts.Authority;

namespace Escalation.Triage.Engine;

public enum Level { Low, Medium, High }

/// <summary>Explicit request for a person; a request for a superior is hierarchical. <see cref="Except"/>: look-alikes ("human resources", "password manager").</summary>
public sealed record ExplicitRequestRule(IReadOnlyList<string> HumanPhrases, IReadOnlyList<string> SuperiorPhrases, IReadOnlyList<string> Except);

/// <summary>
/// Negative sentiment: the latest customer turn at or below <see cref="NegativeAtOrBelow"/>. Trajectory: over the last
/// <see cref="TrajectoryTurns"/> customer turns, each answered by the bot or an agent, the score never rose, fell by at
/// least <see cref="TrajectoryMinDrop"/> and ended at or below <see cref="TrajectoryEndAtOrBelow"/>.
/// </summary>
public sealed record SentimentRule(double NegativeAtOrBelow, int TrajectoryTurns, double TrajectoryMinDrop, double TrajectoryEndAtOrBelow);

/// <summary>While a bot handles the case (L0): a customer turn understood with confidence below <see cref="Below"/>.</summary>
public sealed record BotConfidenceRule(double Below);

/// <summary>
/// While a bot handles the case (L0): <see cref="Consecutive"/> customer turns in a row without a matched intent, or as
/// many bot replies in a row asking the customer to rephrase (<see cref="ClarificationPhrases"/>).
/// </summary>
public sealed record IntentFailureRule(int Consecutive, IReadOnlyList<string> ClarificationPhrases);

/// <summary>A keyword category: its phrases (JA + EN), phrases that look alike but are not it, and what it calls for.</summary>
public sealed record KeywordCategory(
    string Category,
    EscalationType Type,
    Level Urgency,
    Level Impact,
    string? Capability,
    Tier? MinTier,
    IReadOnlyList<string> Phrases,
    IReadOnlyList<string> Except);

/// <summary>Impact by the customer's commercial tier; tiers whose first contact with a bot goes to a person at once.</summary>
public sealed record CustomerValueRule(IReadOnlyDictionary<CustomerTier, Level> Impact, IReadOnlyList<CustomerTier> EscalateOnFirstContact);

/// <summary>Public channels: a negative customer turn there escalates at a milder threshold, and raises impact.</summary>
public sealed record PublicChannelRule(IReadOnlyList<Channel> Channels, double NegativeAtOrBelow, Level Impact);

/// <summary>At least <see cref="AtLeast"/> failed resolution attempts by the current owner.</summary>
public sealed record FailedAttemptsRule(int AtLeast);


/// <summary>A case whose category, or a turn whose matched intent, needs <see cref="Capability"/> at <see cref="MinTier"/> or above.</summary>
public sealed record CapabilityRule(string? Category, string? Intent, string Capability, Tier MinTier, EscalationType Type, Level Urgency);

/// <summary>An SLA warning at or above <see cref="AtOrAbovePercent"/> of the target.</summary>
public sealed record SlaRule(int AtOrAbovePercent, Level Urgency);

/// <summary>
/// At least <see cref="OpenCases"/> open cases of one category and product opened within <see cref="Window"/>: one
/// incident, every case at <see cref="MinTier"/> or above, urgency and impact high. Cases without a product cluster
/// by category alone only in <see cref="CategoriesWithoutProduct"/> (e.g. outages): five "billing" questions an hour
/// is a normal morning, not an incident.
/// </summary>
public sealed record WideImpactRule(int OpenCases, TimeSpan Window, Tier MinTier, IReadOnlyList<string> CategoriesWithoutProduct);

/// <summary>
/// The triage rules as data (Rules/triage-rules.json). Every decision records <see cref="Version"/>; a change of any
/// phrase or threshold is a new version.
/// </summary>
public sealed record TriageRules(
    string Version,
    ExplicitRequestRule ExplicitRequest,
    SentimentRule Sentiment,
    BotConfidenceRule BotConfidence,
    IntentFailureRule IntentFailure,
    IReadOnlyList<KeywordCategory> Keywords,
    CustomerValueRule CustomerValue,
    PublicChannelRule PublicChannel,
    FailedAttemptsRule FailedAttempts,
    Level ReopenedUrgency,
    string AuthorityMatrixVersion,
    IReadOnlyList<CapabilityRule> Capabilities,
    SlaRule SlaBreachImminent,
    WideImpactRule WideImpact)
{
    /// <summary>
    /// Approval limits: the platform's shared <see cref="AuthorityMatrix"/> (a tier's limit is its role's). The rules
    /// name the matrix version they were written for, and refuse to start with another.
    /// </summary>
    [JsonIgnore]
    public AuthorityMatrix Authority { get; init; } = AuthorityMatrix.Shared;

    public static TriageRules Load(string path) => Parse(File.ReadAllText(path), path);

    public static TriageRules Parse(string json, string source = "rules")
    {
        try
        {
            return (JsonSerializer.Deserialize<TriageRules>(json, RulesJson.Options)
                ?? throw new InvalidOperationException($"Triage rules {source} are empty.")).Validated(source);
        }
        catch (JsonException error)
        {
            throw new InvalidOperationException($"Triage rules {source} are not valid: {error.Message}", error);
        }
    }

    public Level ImpactOf(CustomerTier tier) => CustomerValue.Impact.TryGetValue(tier, out var impact) ? impact : Level.Low;

    private TriageRules Validated(string source)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Version)) problems.Add("version is empty");
        if (Sentiment.NegativeAtOrBelow is < -1 or > 0) problems.Add("sentiment.negativeAtOrBelow must be in [-1, 0]");
        if (Sentiment.TrajectoryTurns < 2) problems.Add("sentiment.trajectoryTurns must be at least 2");
        if (BotConfidence.Below is <= 0 or > 1) problems.Add("botConfidence.below must be in (0, 1]");
        if (IntentFailure.Consecutive < 2) problems.Add("intentFailure.consecutive must be at least 2");
        if (FailedAttempts.AtLeast < 1) problems.Add("failedAttempts.atLeast must be at least 1");
        if (WideImpact.OpenCases < 2) problems.Add("wideImpact.openCases must be at least 2");
        if (WideImpact.Window <= TimeSpan.Zero) problems.Add("wideImpact.window must be positive");
        if (SlaBreachImminent.AtOrAbovePercent is < 1 or > 100) problems.Add("slaBreachImminent.atOrAbovePercent must be in [1, 100]");
        problems.AddRange(Keywords.GroupBy(k => k.Category).Where(g => g.Count() > 1).Select(g => $"keyword category '{g.Key}' appears twice"));
        problems.AddRange(Keywords.Where(k => k.Phrases.Count == 0).Select(k => $"keyword category '{k.Category}' has no phrases"));
        problems.AddRange(Capabilities.Where(c => (c.Category is null) == (c.Intent is null))
            .Select(c => $"capability '{c.Capability}' needs exactly one of category or intent"));
        if (AuthorityMatrixVersion != Authority.Version)
        {
            problems.Add($"authorityMatrixVersion is {AuthorityMatrixVersion} but the shared authority matrix is {Authority.Version}: review the authority rule and bump the rules version");
        }
        return problems.Count == 0 ? this : throw new InvalidOperationException($"Triage rules {source} are not valid: {string.Join("; ", problems)}.");
    }
}

/// <summary>Priority from urgency × impact (ITIL-style matrix).</summary>
public static class PriorityMatrix
{
    public static Priority For(Level urgency, Level impact) => (urgency, impact) switch
    {
        (Level.High, Level.High) => Priority.P1,
        (Level.High, _) or (_, Level.High) => Priority.P2,
        (Level.Medium, Level.Medium) => Priority.P2,
        (Level.Low, Level.Low) => Priority.P4,
        _ => Priority.P3,
    };
}
