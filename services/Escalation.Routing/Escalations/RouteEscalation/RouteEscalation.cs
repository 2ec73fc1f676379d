using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Routing.Escalations.Choosing;
using Escalation.Routing.Matrix;

namespace Escalation.Routing.Escalations.RouteEscalation;

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

    public static RoutingNeed NeedOf(RoutingCase state, EscalationRequested requested) => new(
        string.IsNullOrWhiteSpace(requested.RequiredCapability) ? state.Category : requested.RequiredCapability,
        requested.Handoff.Entities.Product,
        state.Language,
        requested.ToTier,
        state.Category,
        // An authority escalation goes to someone who may approve the amount, whatever their role.
        requested.Triggers.Any(t => t.Rule == "authority-limit") ? requested.Handoff.Entities.Amount : null);
}
