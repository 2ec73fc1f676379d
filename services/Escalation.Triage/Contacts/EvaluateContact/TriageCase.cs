using System.Collections.Immutable;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using JasperFx.Events;

namespace Escalation.Triage.Contacts.EvaluateContact;

/// <summary>A turn of the conversation, with the id of the event that recorded it.</summary>
public sealed record Turn(Guid EventId, ContactReceived Contact);

/// <summary>What triage knows of a case: built from the case stream (Marten live aggregation).</summary>
public sealed partial record TriageCase(
    Guid Id,
    string Reference,
    Channel Channel,
    CustomerInfo Customer,
    string Category,
    string Subject,
    Tier CurrentTier,
    ImmutableList<Turn> Turns,
    ImmutableList<AttemptedSolution> Attempts,
    ImmutableList<EscalationRequested> Escalations,
    bool Resolved)
{
    public static TriageCase Create(TicketOpened opened) => new(
        opened.CaseId,
        opened.Reference,
        opened.Channel,
        opened.Customer,
        opened.Category,
        opened.Subject,
        opened.Channel == Channel.Chatbot ? Tier.L0 : Tier.L1,
        [],
        [],
        [],
        Resolved: false);

    public TriageCase Apply(IEvent<ContactReceived> received) => this with { Turns = Turns.Add(new Turn(received.Id, received.Data)) };

    public TriageCase Apply(ResolutionAttempted attempted) => this with { Attempts = Attempts.Add(new AttemptedSolution(attempted.Step, attempted.Outcome)) };

    public TriageCase Apply(EscalationRequested requested) => this with { Escalations = Escalations.Add(requested), CurrentTier = requested.ToTier };

    public TriageCase Apply(CaseResolved resolved) => this with { Resolved = true };

    public TriageCase Apply(CaseReopened reopened) => this with { Resolved = false };

    /// <summary>True when an escalation was already requested because of this event.</summary>
    public bool HasEscalatedOn(Guid eventId) => Escalations.Any(e => e.Triggers.Any(t => t.SourceEventId == eventId));
}
