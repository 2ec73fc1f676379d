using Escalation.Contracts;

namespace Escalation.Routing.Escalations.RouteEscalation;

/// <summary>One cell of the escalation matrix: which team takes a category at a tier.</summary>
public sealed record MatrixEntry(string Category, Tier Tier, string Team);

/// <summary>The escalation matrix (category × tier → team) and acknowledgement deadlines, from configuration.</summary>
public sealed record EscalationMatrix
{
    public string Version { get; init; } = "unversioned";
    public IReadOnlyList<MatrixEntry> Entries { get; init; } = [];

    /// <summary>Team per tier when no entry matches the category.</summary>
    public IReadOnlyDictionary<Tier, string> DefaultTeams { get; init; } = new Dictionary<Tier, string>();

    public IReadOnlyDictionary<Priority, TimeSpan> AcknowledgeWithin { get; init; } = new Dictionary<Priority, TimeSpan>();

    public EscalationMatrix Validated()
    {
        var missingTiers = Enum.GetValues<Tier>().Where(t => t != Tier.L0 && !DefaultTeams.ContainsKey(t)).ToList();
        var missingPriorities = Enum.GetValues<Priority>().Where(p => !AcknowledgeWithin.ContainsKey(p)).ToList();
        return missingTiers.Count == 0 && missingPriorities.Count == 0
            ? this
            : throw new InvalidOperationException(
                $"Escalation matrix incomplete: default teams missing for {string.Join(", ", missingTiers)}; " +
                $"acknowledgement deadlines missing for {string.Join(", ", missingPriorities)}.");
    }

    /// <summary>The team for a category at a tier, and whether a matrix entry (not a default) chose it.</summary>
    public (string Team, bool Matched) TeamFor(string category, Tier tier)
    {
        var entry = Entries.FirstOrDefault(e => e.Tier == tier && string.Equals(e.Category, category, StringComparison.OrdinalIgnoreCase));
        return entry is not null ? (entry.Team, true) : (DefaultTeams[tier == Tier.L0 ? Tier.L1 : tier], false);
    }
}
