using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Sla;
using Escalation.ServiceDefaults;

namespace Escalation.SlaWatch.Clocks.StartClocks;

/// <summary>A ticket opening starts its first-response clock, once.</summary>
public static class StartFirstResponseClock
{
    public static IReadOnlyList<ICaseEvent> Decide(SlaCase? state, TicketOpened opened, SlaPolicy policy)
    {
        if (state is null || state.Clocks.Any(c => c.Metric == SlaMetric.FirstResponse))
        {
            return [];
        }

        var target = policy.FirstResponse[opened.Customer.Tier];
        return
        [
            new SlaClockStarted(
                opened.CaseId,
                ClockId(opened.CaseId, SlaMetric.FirstResponse, occurrence: 1),
                SlaMetric.FirstResponse,
                policy.Id,
                policy.Version,
                policy.Calendar,
                target,
                StartedAt: opened.OpenedAt,
                DueAt: opened.OpenedAt + target),
        ];
    }

    /// <summary>Deterministic clock id, so a replayed decision names the same clock.</summary>
    public static Guid ClockId(Guid caseId, SlaMetric metric, int occurrence) => DeterministicId.From($"{caseId:N}/{metric}/{occurrence}");
}
