using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Triage.Engine.Triggers;

namespace Escalation.Triage.Engine;

/// <summary>
/// Decides what one stored event (the stimulus) means for the case: nothing, a new escalation, or a higher priority for
/// the current one. Pure: the same case, stimulus, rules and time give the same decision.
/// </summary>
/// <remarks>
/// <para>A trigger key (e.g. <c>keyword:fraud</c>) escalates a case at most once; a stimulus already decided on is not
/// decided again, so a redelivered event changes nothing.</para>
/// <para>Fresh findings that call for another owner — a higher tier or another capability — request a new escalation;
/// its type is the strongest among them (hierarchical, then priority, functional, automatic) and its priority never
/// drops below the current one. Fresh findings that only make the case more urgent raise the current escalation's
/// priority (<see cref="EscalationPriorityRaised"/>), or change nothing when it is already that urgent.</para>
/// </remarks>
public static class TriggerEngine
{
    public static IReadOnlyList<ICaseEvent> Decide(TriageCase? state, Guid stimulusEventId, TriageRules rules, DateTimeOffset now)
    {
        if (state is null || state.DecidedOn.Contains(stimulusEventId) || state.TimelineUpTo(stimulusEventId) is not { } upTo)
        {
            return [];
        }

        if (state.Resolved && upTo[^1] is not ReopenSignal)
        {
            return [];
        }

        var fresh = TriggerRules.Evaluate(state, upTo, rules)
            .Where(f => !state.FiredKeys.Contains(f.Key))
            .GroupBy(f => f.Key)
            .Select(g => g.OrderBy(f => f.Amplifier).First()) // a rule that fires on its own beats its amplifier form
            .ToList();
        var escalating = fresh.Where(f => !f.Amplifier).OrderBy(f => Strength(f.Type)).ToList();
        if (escalating.Count == 0)
        {
            return [];
        }

        var all = escalating.Concat(fresh.Where(f => f.Amplifier)).ToList();
        var urgency = all.Max(f => f.Urgency);
        var impact = (Level)Math.Max((int)rules.ImpactOf(state.Customer.Tier), (int)all.Max(f => f.Impact));
        var priority = PriorityMatrix.For(urgency, impact);
        var toTier = escalating.Max(f => f.Target.From(state.CurrentTier));
        var capability = escalating.FirstOrDefault(f => f.Capability is not null)?.Capability ?? state.CurrentCapability;
        var triggers = all.Select(f => new TriggerEvidence(f.Rule, f.Evidence, f.SourceEventId, f.Key, f.Measures)).ToList();

        var newOwner = toTier > state.CurrentTier || !string.Equals(capability, state.CurrentCapability, StringComparison.OrdinalIgnoreCase);
        if (state.CurrentEscalationId is { } current && !newOwner)
        {
            return state.CurrentPriority is { } was && priority < was
                ? [new EscalationPriorityRaised(state.Id, current, was, priority, triggers, rules.Version, now)]
                : [];
        }

        var reason = string.Join(" ", all.Select(f => f.Reason));
        return
        [
            new EscalationRequested(
                state.Id,
                Guid.CreateVersion7(now),
                escalating[0].Type,
                triggers,
                state.CurrentPriority is { } currentPriority && currentPriority < priority ? currentPriority : priority,
                state.CurrentTier,
                toTier,
                capability,
                Handoff.For(state, upTo, reason),
                rules.Version,
                now),
        ];
    }

    private static int Strength(EscalationType type) => type switch
    {
        EscalationType.Hierarchical => 0,
        EscalationType.Priority => 1,
        EscalationType.Functional => 2,
        EscalationType.Automatic => 3,
        _ => 4,
    };
}
