using Escalation.Contracts.Cases;

namespace Escalation.Intake.Cases;

public enum CaseStatus { Open, Resolved, Closed }

/// <summary>What intake knows of a case: its lifecycle, built from the case stream.</summary>
public sealed partial record IntakeCase(Guid Id, string Reference, CaseStatus Status, DateTimeOffset? ResolvedAt, DateTimeOffset? ClosedAt)
{
    public static IntakeCase Create(TicketOpened opened) => new(opened.CaseId, opened.Reference, CaseStatus.Open, null, null);

    public IntakeCase Apply(CaseResolved resolved) => this with { Status = CaseStatus.Resolved, ResolvedAt = resolved.ResolvedAt };

    public IntakeCase Apply(CaseClosed closed) => this with { Status = CaseStatus.Closed, ClosedAt = closed.ClosedAt };

    public IntakeCase Apply(CaseReopened reopened) => this with { Status = CaseStatus.Open, ResolvedAt = null, ClosedAt = null };

    /// <summary>When the case stopped being open (closed, or resolved and not yet confirmed); null while open.</summary>
    public DateTimeOffset? EndedAt => Status == CaseStatus.Open ? null : ClosedAt ?? ResolvedAt;
}
