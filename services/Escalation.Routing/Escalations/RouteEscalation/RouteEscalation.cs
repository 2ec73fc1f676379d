using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Routing.Directory;
using Escalation.Routing.Escalations.Choosing;
using Escalation.Routing.Matrix;

namespace Escalation.Routing.Escalations.RouteEscalation;

/// <summary>
/// An escalation to place, with what was read for it under its teams' locks: its case, its matrix cell, and the case's
/// other open assignments, which it supersedes once placed.
/// </summary>
public sealed record PlacementRequest(RoutingCase? Case, EscalationRequested Requested, MatrixCell Cell, IReadOnlyList<Assignment> Superseded);

/// <summary>What placing one escalation changes: the outcome, the superseded assignments now closed, and the profile of the agent given it.</summary>
public sealed record Placement(RoutingOutcome Outcome, IReadOnlyList<Assignment> Closed, AgentProfile? Assigned)
{
    public static Placement Nothing { get; } = new(RoutingOutcome.Nothing, [], null);
}

/// <summary>
/// Places a requested escalation: the best eligible agent of the matrix's team, else of its overflow team, else the
/// team's queue (offered again when capacity frees). A team with no agents in the directory takes the escalation into
/// its shared queue as before (routed to the team, no agent), so teams can join the directory one at a time.
/// </summary>
public static class RouteEscalation
{
    public static RoutingOutcome Decide(RoutingCase? state, EscalationRequested requested, MatrixCell cell, IReadOnlyList<Candidate> team,
        IReadOnlyList<Candidate> overflow, RoutingSettings settings, DateTimeOffset now)
    {
        if (state is null || state.Placed.Contains(requested.EscalationId))
        {
            return RoutingOutcome.Nothing;
        }

        var need = NeedOf(state, requested);
        var deadline = now + (cell.AcknowledgeWithin ?? settings.AcknowledgeWithin[requested.Priority]);
        var assignment = new Assignment(requested.EscalationId, state.Id, cell.Team, cell.OverflowTeam, null, AssignmentStatus.Queued,
            requested.Priority, need.Capability, need.Product, need.Language, need.Tier, null, 0, 0, [], now, need.Approval);

        if (team.Count == 0 && overflow.Count == 0)
        {
            var routedToQueue = new EscalationRouted(state.Id, requested.EscalationId, cell.Team, null, [], [], deadline, 0, settings.Version, now);
            return new RoutingOutcome([routedToQueue], assignment with { Status = AssignmentStatus.Offered, AcknowledgeBy = deadline });
        }

        var primary = ChooseOwner.Choose(need, team, now);
        var chosen = primary.Agent is null && overflow.Count > 0 ? ChooseOwner.Choose(need, overflow, now) : null;
        var candidates = primary.Candidates.Concat(chosen?.Candidates ?? []).ToList();
        if ((chosen?.Agent ?? primary.Agent) is { } agent)
        {
            var choice = chosen?.Agent is not null ? chosen : primary;
            return new RoutingOutcome(
                [new EscalationRouted(state.Id, requested.EscalationId, agent.Team, agent.Id, choice.MatchedSkills, candidates, deadline, 0, settings.Version, now)],
                assignment with { Team = agent.Team, Agent = agent.Id, Status = AssignmentStatus.Offered, AcknowledgeBy = deadline });
        }

        var teams = cell.OverflowTeam is null ? cell.Team : $"{cell.Team} or overflow {cell.OverflowTeam}";
        var reasons = string.Join("; ", candidates.GroupBy(c => c.Excluded).Select(g => $"{g.Count()} {g.Key}"));
        return new RoutingOutcome(
            [new EscalationQueued(state.Id, requested.EscalationId, cell.Team, $"nobody eligible in {teams} ({(reasons.Length == 0 ? "no agents" : reasons)})", now)],
            assignment);
    }

    /// <summary>
    /// Places escalations one after another, as if each had been routed alone in this order: each sees the loads the
    /// ones before it added (its agent) and freed (the assignments it superseded).
    /// </summary>
    public static IReadOnlyList<Placement> DecideInTurn(IReadOnlyList<PlacementRequest> requests,
        IReadOnlyDictionary<string, IReadOnlyList<Candidate>> teams, RoutingSettings settings, DateTimeOffset now)
    {
        var rosters = new TeamRosters(teams);
        var placements = new List<Placement>(requests.Count);
        foreach (var (state, requested, cell, superseded) in requests)
        {
            var outcome = Decide(state, requested, cell, rosters[cell.Team], cell.OverflowTeam is null ? [] : rosters[cell.OverflowTeam], settings, now);
            if (outcome.Assignment is null)
            {
                placements.Add(Placement.Nothing);
                continue;
            }

            var assigned = outcome.Assignment.Agent is { } agentId && FindAgent(rosters, outcome.Assignment, agentId) is { } agent
                ? rosters.Assign(agent, now)
                : null;
            var closed = superseded.Where(old => old.Status != AssignmentStatus.Closed)
                .Select(old => old with { Status = AssignmentStatus.Closed, AcknowledgeBy = null }).ToList();
            foreach (var old in superseded.Where(old => old.HoldsCapacity))
            {
                rosters.Free(old.Agent!);
            }

            placements.Add(new Placement(outcome, closed, assigned));
        }

        return placements;
    }

    private static AgentProfile? FindAgent(TeamRosters rosters, Assignment assignment, string agentId) =>
        assignment.Teams.SelectMany(team => rosters[team]).FirstOrDefault(candidate => candidate.Agent.Id == agentId)?.Agent;

    /// <summary>The skill the escalation's owner needs, which also picks its matrix cell: the one it requires, else its case's category.</summary>
    public static string CapabilityOf(EscalationRequested requested, RoutingCase? state) =>
        string.IsNullOrWhiteSpace(requested.RequiredCapability) ? state?.Category ?? "general" : requested.RequiredCapability;

    public static RoutingNeed NeedOf(RoutingCase state, EscalationRequested requested) => new(
        CapabilityOf(requested, state),
        requested.Handoff.Entities.Product,
        state.Language,
        requested.ToTier,
        state.Category,
        // An authority escalation goes to someone who may approve the amount, whatever their role.
        requested.Triggers.Any(t => t.Rule == "authority-limit") ? requested.Handoff.Entities.Amount : null);
}
