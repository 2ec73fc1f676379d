using System.Globalization;
using Escalation.Contracts;
using Escalation.Contracts.Authority;
using Escalation.Contracts.Escalations;
using Escalation.Routing.Directory;

namespace Escalation.Routing.Escalations.Choosing;

/// <summary>What an escalation needs from its owner.</summary>
/// <param name="Capability">Required skill; empty to skip the skill filter (a person chose the team).</param>
/// <param name="Approval">An amount the owner must be allowed to approve (an authority escalation), per the shared authority matrix.</param>
public sealed record RoutingNeed(string Capability, string? Product, string Language, Tier Tier, string Category, MoneyAmount? Approval = null);

/// <summary>An agent of the team with their current load (open escalations).</summary>
public sealed record Candidate(AgentProfile Agent, int Load);

/// <summary>The chosen agent (null: nobody eligible) and every candidate considered, with its score or why it was excluded.</summary>
public sealed record Choice(AgentProfile? Agent, IReadOnlyList<CandidateScore> Candidates, IReadOnlyList<string> MatchedSkills);

/// <summary>
/// Filter → score → pick. Eligible: available, on shift now, speaks the customer's language, at or above the tier,
/// has the required skill, may approve the amount (authority escalations), has capacity left, not already tried.
/// Candidates are the agents of <c>role</c>; for an authority escalation, that role and every role above it. Score = 0.4 × skill (0.7 capability + 0.3
/// product) + 0.35 × free capacity + 0.25 × performance (resolution rate in the category, averaged with CSAT when
/// known; 0.5 when unknown). Equal scores go to the agent who was given work longest ago (round robin).
/// </summary>
public static class ChooseOwner
{
    public const double SkillWeight = 0.4, LoadWeight = 0.35, PerformanceWeight = 0.25;

    public static Choice Choose(RoutingNeed need, IEnumerable<Candidate> team, DateTimeOffset now, AgentRole role = AgentRole.Agent,
        IReadOnlyCollection<string>? tried = null)
    {
        var scored = team
            .Where(c => need.Approval is null ? c.Agent.Role == role : c.Agent.Role >= role)
            .Select(c => (Candidate: c, Excluded: Exclusion(c, need, now, tried)))
            .Select(x => (x.Candidate, x.Excluded, Breakdown: x.Excluded is null ? Breakdown(x.Candidate, need) : Empty))
            .Select(x => (x.Candidate, x.Excluded, x.Breakdown, Score: x.Breakdown.Values.Sum()))
            .ToList();

        var best = scored.Where(s => s.Excluded is null)
            .OrderByDescending(s => Math.Round(s.Score, 9))
            .ThenBy(s => s.Candidate.Agent.LastAssignedAt ?? DateTimeOffset.MinValue)
            .ThenBy(s => s.Candidate.Agent.Id, StringComparer.Ordinal)
            .Select(s => s.Candidate.Agent)
            .FirstOrDefault();

        var candidates = scored
            .OrderBy(s => s.Excluded is not null)
            .ThenByDescending(s => s.Score)
            .Select(s => new CandidateScore(s.Candidate.Agent.Id, Math.Round(s.Score, 4), s.Breakdown, s.Excluded))
            .ToList();
        var matched = best is null ? [] : new[] { need.Capability, need.Product }.OfType<string>().Where(s => s.Length > 0 && best.Has(s)).ToList();
        return new Choice(best, candidates, matched);
    }

    private static readonly IReadOnlyDictionary<string, double> Empty = new Dictionary<string, double>();

    private static string? Exclusion(Candidate candidate, RoutingNeed need, DateTimeOffset now, IReadOnlyCollection<string>? tried)
    {
        var agent = candidate.Agent;
        return agent switch
        {
            _ when tried?.Contains(agent.Id) == true => "already tried in this loop of the chain",
            { Available: false } => "unavailable",
            { Shift: { } shift } when !shift.Covers(now) => $"off shift ({shift.TimeZone})",
            _ when !agent.Speaks(need.Language) => $"does not speak {need.Language}",
            _ when agent.Tier < need.Tier => $"tier {agent.Tier} below {need.Tier}",
            _ when need.Capability.Length > 0 && !agent.Has(need.Capability) => $"lacks skill {need.Capability}",
            _ when need.Approval is { } amount && !AuthorityMatrix.Shared.MayApprove(agent.Role.ToString(), amount) =>
                $"{agent.Role} may approve up to {AuthorityMatrix.Shared.LimitOf(agent.Role.ToString(), amount.Currency)?.ToString("N0", CultureInfo.InvariantCulture) ?? "nothing"} {amount.Currency}, not {amount.Amount.ToString("N0", CultureInfo.InvariantCulture)}",
            _ when candidate.Load >= agent.MaxConcurrent => $"at capacity ({candidate.Load}/{agent.MaxConcurrent})",
            _ => null,
        };
    }

    private static IReadOnlyDictionary<string, double> Breakdown(Candidate candidate, RoutingNeed need)
    {
        var agent = candidate.Agent;
        var skill = (need.Capability.Length == 0 || agent.Has(need.Capability) ? 0.7 : 0) + (need.Product is { } p && agent.Has(p) ? 0.3 : 0);
        var freeCapacity = 1 - ((double)candidate.Load / agent.MaxConcurrent);
        var resolution = agent.Performance?.ResolutionRateByCategory.TryGetValue(need.Category, out var rate) == true ? rate : 0.5;
        var performance = agent.Performance?.Csat is { } csat ? (resolution + ((csat - 1) / 4)) / 2 : resolution;
        return new Dictionary<string, double>
        {
            ["skill"] = Math.Round(SkillWeight * skill, 4),
            ["load"] = Math.Round(LoadWeight * freeCapacity, 4),
            ["performance"] = Math.Round(PerformanceWeight * performance, 4),
        };
    }
}
