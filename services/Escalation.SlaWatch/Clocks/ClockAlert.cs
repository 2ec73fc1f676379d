using Escalation.Contracts;
using Escalation.SlaWatch.Engine;
using Escalation.ServiceDefaults;
using Marten;
using JasperFx.Events;

namespace Escalation.SlaWatch.Clocks;

/// <summary>
/// The next warning or breach of one running clock (a Marten document with its due time in an indexed column): the
/// durable timer. Written in the same transaction as the clock events that moved it, so timers and stream agree.
/// </summary>
public sealed record ClockAlert(Guid Id, Guid CaseId, DateTimeOffset FireAt, int Percent);

public static class ClockSchedule
{
    /// <summary>Appends the decision to the case and re-plans the case's alerts to match the clocks after it.</summary>
    public static void AppendAndReplan(this IDocumentSession session, IEventStream<SlaCase> stream, IReadOnlyList<ICaseEvent> events, SlaPolicy policy,
        string causation, WakeSignal alarm)
    {
        if (events.Count == 0 || stream.Aggregate is null)
        {
            return;
        }

        stream.AppendMany(events.Cast<object>().ToArray());
        session.StampCaseMetadata(stream.Id, causation, Actor, RulesVersion(policy));
        session.Replan(stream.Aggregate, events, policy, alarm);
    }

    /// <summary>Stages the case's alerts to match its clocks after <paramref name="events"/>: the timers move with the clocks.</summary>
    public static void Replan(this IDocumentSession session, SlaCase? before, IReadOnlyList<ICaseEvent> events, SlaPolicy policy, WakeSignal alarm)
    {
        if (before is null)
        {
            return;
        }

        var after = events.Aggregate(before, (state, e) => state.Apply(e));
        foreach (var clock in after.Clocks.Values)
        {
            if (SlaClocks.NextAlert(clock, policy) is { } next)
            {
                session.Store(new ClockAlert(clock.Id, after.Id, next.FireAt, next.Percent));
                alarm.Wake(next.FireAt);
            }
            else
            {
                session.Delete<ClockAlert>(clock.Id);
            }
        }
    }

    public const string Actor = "service:slawatch";

    /// <summary>The rules-version header of SLA-watch's events: the policy that decided them.</summary>
    public static string RulesVersion(SlaPolicy policy) => $"{policy.Id}@{policy.Version}";
}
