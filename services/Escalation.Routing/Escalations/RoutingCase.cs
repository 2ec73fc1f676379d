using System.Collections.Immutable;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;

namespace Escalation.Routing.Escalations;

/// <summary>What routing knows of a case: built from the case stream (Marten live aggregation).</summary>
public sealed record RoutingCase(
    Guid Id,
    string Category,
    string Language,
    ImmutableDictionary<Guid, EscalationRequested> Requested,
    ImmutableHashSet<Guid> Placed,
    ImmutableDictionary<Guid, PeerConsultRequested> Consults,
    ImmutableHashSet<Guid> Answered,
    bool Resolved)
{
    public static RoutingCase Create(TicketOpened opened) =>
        new(opened.CaseId, opened.Category, opened.Customer.Language, ImmutableDictionary<Guid, EscalationRequested>.Empty, [],
            ImmutableDictionary<Guid, PeerConsultRequested>.Empty, [], Resolved: false);

    public RoutingCase Apply(EscalationRequested requested) => this with { Requested = Requested.SetItem(requested.EscalationId, requested) };

    public RoutingCase Apply(EscalationRouted routed) => this with { Placed = Placed.Add(routed.EscalationId) };

    public RoutingCase Apply(EscalationQueued queued) => this with { Placed = Placed.Add(queued.EscalationId) };

    public RoutingCase Apply(PeerConsultRequested consult) => this with { Consults = Consults.SetItem(consult.ConsultId, consult) };

    public RoutingCase Apply(PeerConsultAnswered answered) => this with { Answered = Answered.Add(answered.ConsultId) };

    public RoutingCase Apply(CaseResolved resolved) => this with { Resolved = true };

    public RoutingCase Apply(CaseClosed closed) => this with { Resolved = true };

    public RoutingCase Apply(CaseReopened reopened) => this with { Resolved = false };
}
