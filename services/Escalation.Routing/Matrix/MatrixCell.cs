using Escalation.Contracts;

namespace Escalation.Routing.Matrix;

/// <summary>
/// One cell of the escalation matrix: the team that takes a category (or required capability) at a tier, the team
/// that takes the overflow, and an acknowledgement deadline that overrides the priority's default (a Marten document,
/// seeded from configuration and managed over HTTP).
/// </summary>
public sealed record MatrixCell(string Id, string Category, Tier Tier, string Team, string? OverflowTeam, TimeSpan? AcknowledgeWithin)
{
    public static string IdFor(string category, Tier tier) => $"{category.Trim().ToLowerInvariant()}|{tier}";
}

/// <summary>Routing settings from configuration (section <c>Routing</c>).</summary>
public sealed record RoutingSettings
{
    public string Version { get; init; } = "unversioned";

    /// <summary>Matrix cells to seed the store with when they are missing.</summary>
    public IReadOnlyList<MatrixSeed> Entries { get; init; } = [];

    /// <summary>Team per tier when no cell matches the category.</summary>
    public IReadOnlyDictionary<Tier, string> DefaultTeams { get; init; } = new Dictionary<Tier, string>();

    public IReadOnlyDictionary<Priority, TimeSpan> AcknowledgeWithin { get; init; } = new Dictionary<Priority, TimeSpan>();

    /// <summary>How many times the acknowledgement chain may start over before the escalation waits in the team queue.</summary>
    public int MaxChainLoops { get; init; } = 2;

    /// <summary>A JSON file of agents and team contacts to seed the directory with when they are missing (the demo's staff).</summary>
    public string? DirectorySeedFile { get; init; }

    public RoutingSettings Validated()
    {
        var missingTiers = Enum.GetValues<Tier>().Where(t => t != Tier.L0 && !DefaultTeams.ContainsKey(t)).ToList();
        var missingPriorities = Enum.GetValues<Priority>().Where(p => !AcknowledgeWithin.ContainsKey(p)).ToList();
        return missingTiers.Count == 0 && missingPriorities.Count == 0 && MaxChainLoops >= 1
            ? this
            : throw new InvalidOperationException(
                $"Routing settings incomplete: default teams missing for [{string.Join(", ", missingTiers)}]; " +
                $"acknowledgement deadlines missing for [{string.Join(", ", missingPriorities)}]; MaxChainLoops {MaxChainLoops} (at least 1).");
    }

    public MatrixCell DefaultCell(string category, Tier tier) =>
        new(MatrixCell.IdFor(category, tier), category, tier, DefaultTeams[tier == Tier.L0 ? Tier.L1 : tier], null, null);
}

public sealed record MatrixSeed(string Category, Tier Tier, string Team, string? OverflowTeam = null, TimeSpan? AcknowledgeWithin = null);
