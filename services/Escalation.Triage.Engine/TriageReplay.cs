using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using JasperFx.Events;

namespace Escalation.Triage.Engine;

/// <summary>A triage decision (escalation or priority raise) in comparable form.</summary>
/// <param name="StimulusEventId">The stored event the decision answered.</param>
/// <param name="Kind"><c>escalation</c> or <c>priority-raised</c>.</param>
/// <param name="Rules">The rule ids that fired, sorted.</param>
public sealed record TriageOutcome(Guid StimulusEventId, string Kind, EscalationType? Type, Priority Priority, Tier? FromTier, Tier? ToTier,
    string? Capability, IReadOnlyList<string> Rules, string RulesVersion)
{
    public static TriageOutcome? Of(ICaseEvent decision) => decision switch
    {
        EscalationRequested e => new(Stimulus(e.Triggers), "escalation", e.Type, e.Priority, e.FromTier, e.ToTier, e.RequiredCapability,
            RuleIds(e.Triggers), e.RulesVersion),
        EscalationPriorityRaised r => new(Stimulus(r.Triggers), "priority-raised", null, r.To, null, null, null, RuleIds(r.Triggers), r.RulesVersion),
        _ => null,
    };

    /// <summary>Same decision, whatever the rules version that made it.</summary>
    public bool SameDecisionAs(TriageOutcome other) =>
        Kind == other.Kind && Type == other.Type && Priority == other.Priority && FromTier == other.FromTier && ToTier == other.ToTier &&
        string.Equals(Capability, other.Capability, StringComparison.OrdinalIgnoreCase) && Rules.SequenceEqual(other.Rules);

    private static Guid Stimulus(IReadOnlyList<TriggerEvidence> triggers) => triggers.Select(t => t.SourceEventId).FirstOrDefault(id => id is not null) ?? Guid.Empty;

    private static IReadOnlyList<string> RuleIds(IReadOnlyList<TriggerEvidence> triggers) =>
        triggers.Select(t => t.Rule).Distinct().Order(StringComparer.Ordinal).ToList();
}

/// <summary>One stimulus where the recorded and the replayed decision differ (either may be missing).</summary>
public sealed record TriageDifference(Guid StimulusEventId, long StimulusVersion, TriageOutcome? Recorded, TriageOutcome? Replayed);

/// <summary>What a rules version would have decided on a recorded case, next to what was decided.</summary>
public sealed record TriageReplayResult(
    string RulesVersion,
    IReadOnlyList<ICaseEvent> Decisions,
    IReadOnlyList<TriageOutcome> Replayed,
    IReadOnlyList<TriageOutcome> Recorded,
    IReadOnlyList<TriageDifference> Differences);

/// <summary>
/// Re-runs triage with any rules version over a recorded case stream, without touching it: the recorded inputs
/// (contacts, attempts, reopenings, SLA warnings, incident links) are folded in order, the recorded triage decisions
/// are set aside, and the replayed decisions are fed back in their place, so later stimuli see the replayed tiers.
/// </summary>
/// <remarks>
/// Each decision is made at the stimulus's own timestamp. Incident links are taken as recorded: whether other cases
/// would have formed an incident under other rules is a question about those streams, not this one.
/// </remarks>
public static class TriageReplay
{
    public static TriageReplayResult Run(IReadOnlyList<IEvent> recorded, TriageRules rules)
    {
        TriageCase? state = null;
        var decisions = new List<ICaseEvent>();
        var versions = new Dictionary<Guid, long>();
        foreach (var e in recorded)
        {
            if (e.Data is EscalationRequested or EscalationPriorityRaised)
            {
                continue;
            }

            versions[e.Id] = e.Version;
            state = TriageCase.Fold(state, e);
            foreach (var decision in TriggerEngine.Decide(state, e.Id, rules, e.Timestamp))
            {
                decisions.Add(decision);
                state = decision switch
                {
                    EscalationRequested requested => state!.Apply(requested),
                    EscalationPriorityRaised raised => state!.Apply(raised),
                    _ => state,
                };
            }
        }

        var replayed = decisions.Select(TriageOutcome.Of).OfType<TriageOutcome>().ToList();
        var original = recorded.Select(e => e.Data as ICaseEvent).OfType<ICaseEvent>().Select(TriageOutcome.Of).OfType<TriageOutcome>().ToList();
        var differences = replayed.Select(o => o.StimulusEventId).Union(original.Select(o => o.StimulusEventId))
            .Select(id => new TriageDifference(id, versions.GetValueOrDefault(id),
                original.FirstOrDefault(o => o.StimulusEventId == id), replayed.FirstOrDefault(o => o.StimulusEventId == id)))
            .Where(d => d.Recorded is null || d.Replayed is null || !d.Recorded.SameDecisionAs(d.Replayed))
            .OrderBy(d => d.StimulusVersion)
            .ToList();
        return new TriageReplayResult(rules.Version, decisions, replayed, original, differences);
    }
}
