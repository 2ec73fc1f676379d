using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Sla;
using JasperFx.Events;

namespace Escalation.SlaWatch.Engine;

/// <summary>A clock as it stood at a moment: status, business time elapsed and remaining, and when it was due.</summary>
public sealed record ClockAsOf(Guid ClockId, SlaMetric Metric, ClockStatus Status, TimeSpan Target, TimeSpan Elapsed, TimeSpan Remaining,
    DateTimeOffset? DueAt, bool Breached, string Calendar, string Policy);

/// <summary>
/// Every clock of a case as it stood at any past moment, from the case stream alone (pure; History exposes it).
/// Events recorded after <c>at</c> are ignored; elapsed time counts each running segment up to <c>at</c> in its
/// calendar. Clocks record their policy id and version; the policy given must have the calendars they name.
/// </summary>
public static class SlaAsOf
{
    public static IReadOnlyList<ClockAsOf> At(IEnumerable<IEvent> stream, SlaPolicy policy, DateTimeOffset at)
    {
        SlaCase? state = null;
        foreach (var e in stream.Where(e => e.Timestamp <= at).OrderBy(e => e.Version))
        {
            state = e.Data is TicketOpened opened && state is null ? SlaCase.Create(opened) : state?.Apply(e.Data);
        }

        return state is null
            ? []
            : state.Clocks.Values.OrderBy(c => c.StartedAt).Select(c =>
            {
                var elapsed = SlaClocks.Elapsed(c, policy, at);
                var remaining = c.Target - elapsed;
                return new ClockAsOf(c.Id, c.Metric, c.Status, c.Target, elapsed, remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining,
                    c.Status == ClockStatus.Running ? SlaClocks.InstantOf(c, policy, SlaClocks.Breach) : null, elapsed > c.Target, c.Calendar,
                    $"{c.PolicyId}@{c.PolicyVersion}");
            }).ToList();
    }
}
