using System.Collections.Immutable;
using Escalation.Contracts;
using Escalation.Routing.Escalations.Choosing;

namespace Escalation.Routing.Escalations;

public enum AssignmentStatus { Queued, Offered, Acknowledged, Closed }

/// <summary>
/// Who holds an escalation now (a Marten document, id = escalation id). Open assignments (offered or acknowledged)
/// are an agent's load; every change to one happens under its team's lock, so loads never exceed capacity.
/// </summary>
/// <param name="Capability">Skill the owner needs; empty when a person chose the team (a transfer).</param>
/// <param name="Tried">Agents who let it time out or declined it in this loop of the chain.</param>
/// <param name="Approval">The amount its owner must be allowed to approve (authority escalations).</param>
public sealed record Assignment(
    Guid Id,
    Guid CaseId,
    string Team,
    string? OverflowTeam,
    string? Agent,
    AssignmentStatus Status,
    Priority Priority,
    string Capability,
    string? Product,
    string Language,
    Tier Tier,
    DateTimeOffset? AcknowledgeBy,
    int ChainLevel,
    int Loops,
    ImmutableList<string> Tried,
    DateTimeOffset Since,
    MoneyAmount? Approval = null)
{
    public RoutingNeed Need => new(Capability, Product, Language, Tier, Capability, Approval);

    public bool HoldsCapacity => Agent is not null && Status is AssignmentStatus.Offered or AssignmentStatus.Acknowledged;

    public IEnumerable<string> Teams => OverflowTeam is null ? [Team] : [Team, OverflowTeam];

    public static string LockKey(string team) => $"routing-team:{team}";
}

/// <summary>A routing decision and the assignment that records who holds the escalation now (null: nothing to do).</summary>
public sealed record RoutingOutcome(IReadOnlyList<ICaseEvent> Events, Assignment? Assignment)
{
    public static RoutingOutcome Nothing { get; } = new([], null);
}
