using Escalation.SlaWatch.Engine;
using Escalation.Triage.Engine;
using Google.Protobuf.WellKnownTypes;
using V1 = Escalation.Contracts.History.V1;

namespace Escalation.History.Cases;

/// <summary>Case views, clocks and triage decisions as gRPC messages (enum-like values as their names, "" for none).</summary>
public static class CaseMessages
{
    public static V1.CaseSummary ToMessage(CaseView view, IEnumerable<ClockAsOf> clocks)
    {
        var message = new V1.CaseSummary
        {
            CaseId = view.Id.ToString(),
            Reference = view.Reference,
            Status = view.Status.ToString(),
            Channel = view.Channel.ToString(),
            Category = view.Category,
            CustomerId = view.CustomerId,
            Subject = view.Subject,
            Tier = view.Tier.ToString(),
            Priority = view.Priority?.ToString() ?? "",
            OwnerTeam = view.OwnerTeam ?? "",
            OwnerAgent = view.OwnerAgent ?? "",
            EscalationState = view.EscalationState?.ToString() ?? "",
            CurrentEscalationId = view.CurrentEscalationId?.ToString() ?? "",
            EscalationCount = view.EscalationCount,
            IncidentKey = view.IncidentKey ?? "",
            ContactCount = view.ContactCount,
            OpenedAt = Timestamp.FromDateTimeOffset(view.OpenedAt),
            ResolvedAt = view.ResolvedAt is { } resolved ? Timestamp.FromDateTimeOffset(resolved) : null,
            Version = view.Version,
            LastEventAt = Timestamp.FromDateTimeOffset(view.LastEventAt),
        };
        message.SlaClocks.AddRange(clocks.Select(c => new V1.SlaClockState
        {
            ClockId = c.ClockId.ToString(),
            Metric = c.Metric.ToString(),
            Status = c.Status.ToString(),
            Target = Duration.FromTimeSpan(c.Target),
            Elapsed = Duration.FromTimeSpan(c.Elapsed),
            Remaining = Duration.FromTimeSpan(c.Remaining),
            DueAt = c.DueAt is { } due ? Timestamp.FromDateTimeOffset(due) : null,
            Breached = c.Breached,
            Calendar = c.Calendar,
            Policy = c.Policy,
        }));
        return message;
    }

    public static V1.TriageDecision ToMessage(TriageOutcome outcome)
    {
        var message = new V1.TriageDecision
        {
            StimulusEventId = outcome.StimulusEventId.ToString(),
            Kind = outcome.Kind,
            Type = outcome.Type?.ToString() ?? "",
            Priority = outcome.Priority.ToString(),
            FromTier = outcome.FromTier?.ToString() ?? "",
            ToTier = outcome.ToTier?.ToString() ?? "",
            Capability = outcome.Capability ?? "",
            RulesVersion = outcome.RulesVersion,
        };
        message.Rules.AddRange(outcome.Rules);
        return message;
    }
}
