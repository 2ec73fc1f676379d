using Escalation.Contracts;
using Escalation.Contracts.Escalations;

namespace Escalation.Routing.Escalations.RouteEscalation;

/// <summary>Chooses the owner of a requested escalation from the escalation matrix.</summary>
public static class RouteEscalation
{
    public static IReadOnlyList<ICaseEvent> Decide(RoutingCase? state, EscalationRequested requested, EscalationMatrix matrix, DateTimeOffset now)
    {
        if (state is null || state.Routed.ContainsKey(requested.EscalationId))
        {
            return [];
        }

        var category = string.IsNullOrWhiteSpace(requested.RequiredCapability) ? state.Category : requested.RequiredCapability;
        var (team, matched) = matrix.TeamFor(category, requested.ToTier);
        var breakdown = new Dictionary<string, double>
        {
            ["matrix-category-match"] = matched ? 1.0 : 0.0,
            ["tier-default"] = matched ? 0.0 : 1.0,
        };

        return
        [
            new EscalationRouted(
                requested.CaseId,
                requested.EscalationId,
                team,
                Agent: null,
                MatchedSkills: matched ? [category] : [],
                Candidates: [new CandidateScore(team, breakdown.Values.Sum(), breakdown)],
                AcknowledgeBy: now + matrix.AcknowledgeWithin[requested.Priority],
                ChainLevel: 0,
                matrix.Version,
                now),
        ];
    }
}
