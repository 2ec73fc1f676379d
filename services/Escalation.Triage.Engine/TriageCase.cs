using System.Collections.Immutable;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using JasperFx.Events;

namespace Escalation.Triage.Engine;

/// <summary>Something that happened to the case that triage weighs, with the id of the stored event.</summary>
public abstract record CaseSignal(Guid EventId, DateTimeOffset At);

public sealed record TurnSignal(Guid EventId, ContactReceived Contact) : CaseSignal(EventId, Contact.ReceivedAt);

public sealed record AttemptSignal(Guid EventId, ResolutionAttempted Attempt) : CaseSignal(EventId, Attempt.AttemptedAt);

public sealed record ReopenSignal(Guid EventId, CaseReopened Reopened) : CaseSignal(EventId, Reopened.ReopenedAt);

public sealed record SlaWarningSignal(Guid EventId, SlaBreachImminent Warning) : CaseSignal(EventId, Warning.DetectedAt);

public sealed record IncidentSignal(Guid EventId, CaseLinkedToIncident Link) : CaseSignal(EventId, Link.LinkedAt);

/// <summary>Marks where the case changed owner, so counts "by the current owner" start there.</summary>
public sealed record EscalatedSignal(EscalationRequested Escalation) : CaseSignal(Escalation.EscalationId, Escalation.RequestedAt);

/// <summary>
/// What triage knows of a case, folded from the case stream: Marten's live aggregation calls Create/Apply, and
/// <see cref="Fold"/> folds a recorded stream for replay with the same methods.
/// </summary>
public sealed record TriageCase(
    Guid Id,
    string Reference,
    Channel Channel,
    CustomerInfo Customer,
    string Category,
    string Subject,
    Tier CurrentTier,
    string CurrentCapability,
    Priority? CurrentPriority,
    Guid? CurrentEscalationId,
    ImmutableList<CaseSignal> Timeline,
    ImmutableList<EscalationRequested> Escalations,
    ImmutableHashSet<string> FiredKeys,
    ImmutableHashSet<Guid> DecidedOn,
    bool Resolved,
    string? IncidentKey)
{
    public static TriageCase Create(TicketOpened opened) => new(
        opened.CaseId,
        opened.Reference,
        opened.Channel,
        opened.Customer,
        opened.Category,
        opened.Subject,
        opened.Channel == Channel.Chatbot ? Tier.L0 : Tier.L1,
        opened.Category,
        CurrentPriority: null,
        CurrentEscalationId: null,
        [],
        [],
        [],
        [],
        Resolved: false,
        IncidentKey: null);

    public TriageCase Apply(IEvent<ContactReceived> received) => Add(new TurnSignal(received.Id, received.Data));

    public TriageCase Apply(IEvent<ResolutionAttempted> attempted) => Add(new AttemptSignal(attempted.Id, attempted.Data));

    public TriageCase Apply(IEvent<CaseReopened> reopened) => Add(new ReopenSignal(reopened.Id, reopened.Data)) with { Resolved = false };

    public TriageCase Apply(IEvent<SlaBreachImminent> warning) => Add(new SlaWarningSignal(warning.Id, warning.Data));

    public TriageCase Apply(IEvent<CaseLinkedToIncident> linked) =>
        Add(new IncidentSignal(linked.Id, linked.Data)) with { IncidentKey = linked.Data.IncidentKey };

    public TriageCase Apply(EscalationRequested requested) => Add(new EscalatedSignal(requested)) with
    {
        Escalations = Escalations.Add(requested),
        CurrentTier = requested.ToTier,
        CurrentCapability = requested.RequiredCapability,
        CurrentPriority = requested.Priority,
        CurrentEscalationId = requested.EscalationId,
        FiredKeys = FiredKeys.Union(requested.Triggers.Select(KeyOf)),
        DecidedOn = DecidedOn.Union(requested.Triggers.Where(t => t.SourceEventId is not null).Select(t => t.SourceEventId!.Value)),
    };

    public TriageCase Apply(EscalationPriorityRaised raised) => this with
    {
        CurrentPriority = raised.To,
        FiredKeys = FiredKeys.Union(raised.Triggers.Select(KeyOf)),
        DecidedOn = DecidedOn.Union(raised.Triggers.Where(t => t.SourceEventId is not null).Select(t => t.SourceEventId!.Value)),
    };

    public TriageCase Apply(CaseResolved resolved) => this with { Resolved = true };

    public TriageCase Apply(CaseClosed closed) => this with { Resolved = true };

    /// <summary>Folds one recorded event (replay); events triage does not weigh leave the state as it is.</summary>
    public static TriageCase? Fold(TriageCase? state, IEvent recorded) => (state, recorded) switch
    {
        (null, IEvent<TicketOpened> opened) => Create(opened.Data),
        (null, _) => null,
        (_, IEvent<ContactReceived> e) => state.Apply(e),
        (_, IEvent<ResolutionAttempted> e) => state.Apply(e),
        (_, IEvent<CaseReopened> e) => state.Apply(e),
        (_, IEvent<SlaBreachImminent> e) => state.Apply(e),
        (_, IEvent<CaseLinkedToIncident> e) => state.Apply(e),
        (_, IEvent<EscalationRequested> e) => state.Apply(e.Data),
        (_, IEvent<EscalationPriorityRaised> e) => state.Apply(e.Data),
        (_, IEvent<CaseResolved> e) => state.Apply(e.Data),
        (_, IEvent<CaseClosed> e) => state.Apply(e.Data),
        _ => state,
    };

    /// <summary>The trigger's identity on the case (older events without a key count by rule id).</summary>
    public static string KeyOf(TriggerEvidence trigger) => trigger.Key ?? trigger.Rule;

    /// <summary>The timeline up to and including <paramref name="eventId"/>, or null when it is not in the timeline.</summary>
    public IReadOnlyList<CaseSignal>? TimelineUpTo(Guid eventId)
    {
        var index = Timeline.FindIndex(s => s.EventId == eventId && s is not EscalatedSignal);
        return index < 0 ? null : Timeline.GetRange(0, index + 1);
    }

    public IEnumerable<TurnSignal> Turns => Timeline.OfType<TurnSignal>();

    private TriageCase Add(CaseSignal signal) => this with { Timeline = Timeline.Add(signal) };
}
