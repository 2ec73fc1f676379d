using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Routing.Directory;
using Escalation.Routing.Escalations.Choosing;

namespace Escalation.Routing.Escalations;

/// <summary>
/// The PagerDuty-style chain an unacknowledged escalation walks: the next eligible agent (level 1), the team lead
/// (level 2), the manager (level 3). After the manager it starts over at level 1 with a fresh set of agents, at most
/// <c>MaxChainLoops</c> times in all; then it waits in the team's queue. A decline moves along the chain at once.
/// </summary>
public static class AcknowledgementChain
{
    public const int LastLevel = 3;

    public static AgentRole RoleAt(int level) => level switch { <= 1 => AgentRole.Agent, 2 => AgentRole.TeamLead, _ => AgentRole.Manager };

    /// <summary>Where the escalation goes after its owner let it pass (timeout or decline).</summary>
    public static RoutingOutcome Next(Assignment assignment, IReadOnlyList<Candidate> team, int maxLoops, TimeSpan acknowledgeWithin, string reason, DateTimeOffset now)
    {
        var need = assignment.Need;
        var tried = assignment.Agent is null ? assignment.Tried : assignment.Tried.Add(assignment.Agent);
        for (var loop = assignment.Loops; loop < maxLoops; loop++)
        {
            var firstLevel = loop == assignment.Loops ? assignment.ChainLevel + 1 : 1;
            IReadOnlyCollection<string> exclude = loop == assignment.Loops ? tried : [assignment.Agent ?? ""];
            for (var level = firstLevel; level <= LastLevel; level++)
            {
                if (ChooseOwner.Choose(need, team, now, RoleAt(level), exclude).Agent is { } next)
                {
                    var deadline = now + acknowledgeWithin;
                    return new RoutingOutcome(
                        [new EscalationRerouted(assignment.CaseId, assignment.Id, assignment.Agent, next.Team, next.Id, level, reason, deadline, now)],
                        assignment with
                        {
                            Team = next.Team, Agent = next.Id, Status = AssignmentStatus.Offered, AcknowledgeBy = deadline, ChainLevel = level,
                            Loops = loop, Tried = loop == assignment.Loops ? tried : [assignment.Agent ?? ""],
                        });
                }
            }
        }

        return new RoutingOutcome(
            [new EscalationQueued(assignment.CaseId, assignment.Id, assignment.Team, $"{reason}; nobody left in the chain after {maxLoops} loop(s)", now)],
            assignment with { Agent = null, Status = AssignmentStatus.Queued, AcknowledgeBy = null, ChainLevel = 0, Loops = 0, Tried = [] });
    }
}
