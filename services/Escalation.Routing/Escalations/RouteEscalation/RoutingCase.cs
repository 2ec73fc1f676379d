using System.Collections.Immutable;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;

namespace Escalation.Routing.Escalations.RouteEscalation;

/// <summary>What routing knows of a case: built from the case stream.</summary>
public sealed partial record RoutingCase(Guid Id, string Category, string Language, ImmutableDictionary<Guid, EscalationRouted> Routed)
{
    public static RoutingCase Create(TicketOpened opened) =>
        new(opened.CaseId, opened.Category, opened.Customer.Language, ImmutableDictionary<Guid, EscalationRouted>.Empty);

    public RoutingCase Apply(EscalationRouted routed) => this with { Routed = Routed.SetItem(routed.EscalationId, routed) };
}
