using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using JasperFx.Events;

namespace Escalation.History.Cases;

public enum CaseStatus { Open, Escalated, Resolved, Closed }

public enum EscalationStage { Requested, Routed, Queued, Acknowledged }

/// <summary>What a case looks like after some prefix of its stream: the summary GetCase and GetCaseAsOf return.</summary>
public sealed record CaseView(
    Guid Id,
    string Reference,
    CaseStatus Status,
    Channel Channel,
    string Category,
    string CustomerId,
    string Subject,
    Tier Tier,
    Priority? Priority,
    string? OwnerTeam,
    string? OwnerAgent,
    EscalationStage? EscalationState,
    Guid? CurrentEscalationId,
    int EscalationCount,
    string? IncidentKey,
    int ContactCount,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ResolvedAt,
    long Version,
    DateTimeOffset LastEventAt)
{
    public static CaseView Create(TicketOpened opened) => new(opened.CaseId, opened.Reference, CaseStatus.Open, opened.Channel,
        opened.Category, opened.Customer.Id, opened.Subject, opened.Channel == Channel.Chatbot ? Tier.L0 : Tier.L1, null, null, null, null, null,
        0, null, 0, opened.OpenedAt, null, 0, opened.OpenedAt);

    /// <summary>Folds the events in order; null when the events do not start with the case being opened.</summary>
    public static CaseView? Fold(IEnumerable<IEvent> events)
    {
        CaseView? view = null;
        foreach (var e in events)
        {
            view = view is null
                ? e.Data is TicketOpened opened ? Create(opened) with { Version = e.Version, LastEventAt = e.Timestamp } : null
                : view.Apply(e.Data) with { Version = e.Version, LastEventAt = e.Timestamp };
        }

        return view;
    }

    public CaseView Apply(object data) => data switch
    {
        ContactReceived => this with { ContactCount = ContactCount + 1 },
        EscalationRequested e => this with
        {
            Status = Unresolved ? CaseStatus.Escalated : Status,
            Tier = e.ToTier,
            Priority = e.Priority,
            EscalationState = EscalationStage.Requested,
            CurrentEscalationId = e.EscalationId,
            EscalationCount = EscalationCount + 1,
        },
        EscalationPriorityRaised e => this with { Priority = e.To },
        CaseLinkedToIncident e => this with { IncidentKey = e.IncidentKey },
        EscalationRouted e => Owned(e.Team, e.Agent, EscalationStage.Routed),
        EscalationRerouted e => Owned(e.Team, e.Agent, EscalationStage.Routed),
        EscalationQueued e => Owned(e.Queue, null, EscalationStage.Queued),
        EscalationAcknowledged e => this with { EscalationState = EscalationStage.Acknowledged, OwnerAgent = OwnerAgent ?? e.By },
        CaseResolved e => this with { Status = CaseStatus.Resolved, ResolvedAt = e.ResolvedAt },
        CaseClosed => this with { Status = CaseStatus.Closed },
        CaseReopened => this with { Status = EscalationCount > 0 ? CaseStatus.Escalated : CaseStatus.Open, ResolvedAt = null },
        _ => this,
    };

    private bool Unresolved => Status is CaseStatus.Open or CaseStatus.Escalated;

    private CaseView Owned(string team, string? agent, EscalationStage state) =>
        this with { OwnerTeam = team, OwnerAgent = agent, EscalationState = state };
}
