using System.Text.Json;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;

namespace Escalation.History.Feed;

/// <summary>What the feed knows of a case at one event: what its case-level filters test.</summary>
public sealed record CaseFacts(string? Category, string? Priority, string? Team)
{
    public static readonly CaseFacts Unknown = new(null, null, null);

    /// <summary>The event types that change a case's facts; the others leave them as they are.</summary>
    public static readonly IReadOnlyList<string> FactTypes =
    [
        nameof(TicketOpened), nameof(EscalationRequested), nameof(EscalationPriorityRaised), nameof(EscalationRouted),
        nameof(EscalationRerouted), nameof(EscalationQueued),
    ];

    public CaseFacts Apply(string type, string json)
    {
        if (!FactTypes.Contains(type))
        {
            return this;
        }

        using var document = JsonDocument.Parse(json);
        var data = document.RootElement;
        string? Text(string property) => data.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return type switch
        {
            nameof(TicketOpened) => this with { Category = Text("category") },
            nameof(EscalationRequested) => this with { Priority = Text("priority") },
            nameof(EscalationPriorityRaised) => this with { Priority = Text("to") },
            nameof(EscalationQueued) => this with { Team = Text("queue") },
            _ => this with { Team = Text("team") }, // routed, rerouted
        };
    }
}

/// <summary>
/// A subscription's filters. Types are matched in SQL; priority, team and category are the case's as of the event
/// (after applying it), so a case's <c>EscalationRouted</c> to team X matches team X.
/// </summary>
public sealed record FeedFilter(IReadOnlySet<string> Types, IReadOnlySet<string> Priorities, IReadOnlySet<string> Teams, IReadOnlySet<string> Categories)
{
    public bool NeedsCaseFacts => Priorities.Count > 0 || Teams.Count > 0 || Categories.Count > 0;

    public bool Matches(string type, CaseFacts facts) =>
        (Types.Count == 0 || Types.Contains(type))
        && (Priorities.Count == 0 || facts.Priority is { } priority && Priorities.Contains(priority))
        && (Teams.Count == 0 || facts.Team is { } team && Teams.Contains(team))
        && (Categories.Count == 0 || facts.Category is { } category && Categories.Contains(category));
}
