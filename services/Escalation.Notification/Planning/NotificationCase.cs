using System.Collections.Immutable;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;

namespace Escalation.Notification.Planning;

/// <summary>An escalation as notification tells of it: what was asked, and who holds it now.</summary>
public sealed record EscalationView(
    Guid Id,
    EscalationType Type,
    Priority Priority,
    Tier FromTier,
    Tier ToTier,
    string Capability,
    IReadOnlyList<TriggerEvidence> Triggers,
    HandoffPacket Handoff,
    string? Team,
    string? Agent,
    DateTimeOffset? AcknowledgeBy);

/// <summary>A running (or paused) SLA clock: when it is due, if it is counting.</summary>
public sealed record ClockView(SlaMetric Metric, DateTimeOffset? DueAt);

/// <summary>What notification knows of a case: the customer, its escalations and the SLA clocks that are still open.</summary>
public sealed partial record NotificationCase(
    Guid Id,
    string Reference,
    Channel Channel,
    CustomerInfo Customer,
    string Subject,
    string Category,
    ImmutableList<EscalationView> Escalations,
    ImmutableDictionary<Guid, ClockView> Clocks)
{
    public static NotificationCase Create(TicketOpened opened) =>
        new(opened.CaseId, opened.Reference, opened.Channel, opened.Customer, opened.Subject, opened.Category, [], ImmutableDictionary<Guid, ClockView>.Empty);

    /// <summary>After an erasure nothing planned names or quotes the customer, and a customer message has no address.</summary>
    public NotificationCase Apply(CustomerDataErased erased) => this with
    {
        Customer = Customer.Erase(),
        Subject = PersonalData.Erased,
        Escalations = [.. Escalations.Select(e => e with { Handoff = e.Handoff.Erase(), Triggers = [.. e.Triggers.Select(t => t.Erase())] })],
    };

    public NotificationCase Apply(EscalationRequested requested) => this with
    {
        Escalations = Escalations.Add(new EscalationView(requested.EscalationId, requested.Type, requested.Priority, requested.FromTier, requested.ToTier,
            requested.RequiredCapability, requested.Triggers, requested.Handoff, null, null, null)),
    };

    public NotificationCase Apply(EscalationPriorityRaised raised) => Update(raised.EscalationId, e => e with { Priority = raised.To });

    public NotificationCase Apply(EscalationRouted routed) =>
        Update(routed.EscalationId, e => e with { Team = routed.Team, Agent = routed.Agent, AcknowledgeBy = routed.AcknowledgeBy });

    public NotificationCase Apply(EscalationRerouted rerouted) =>
        Update(rerouted.EscalationId, e => e with { Team = rerouted.Team, Agent = rerouted.Agent, AcknowledgeBy = rerouted.AcknowledgeBy });

    public NotificationCase Apply(EscalationQueued queued) =>
        Update(queued.EscalationId, e => e with { Team = queued.Queue, Agent = null, AcknowledgeBy = null });

    public NotificationCase Apply(SlaClockStarted started) => this with { Clocks = Clocks.SetItem(started.ClockId, new ClockView(started.Metric, started.DueAt)) };

    public NotificationCase Apply(SlaClockPaused paused) => Clock(paused.ClockId, c => c with { DueAt = null });

    public NotificationCase Apply(SlaClockResumed resumed) => Clock(resumed.ClockId, c => c with { DueAt = resumed.DueAt });

    public NotificationCase Apply(SlaClockRetargeted retargeted) => Clock(retargeted.ClockId, c => c with { DueAt = retargeted.DueAt });

    public NotificationCase Apply(SlaClockStopped stopped) => this with { Clocks = Clocks.Remove(stopped.ClockId) };

    /// <summary>The latest escalation: the one the customer is waiting on.</summary>
    public EscalationView? Current => Escalations.Count == 0 ? null : Escalations[^1];

    /// <summary>The escalation an event is about (by its escalation id), else the latest.</summary>
    public EscalationView? EscalationOf(ICaseEvent trigger)
    {
        Guid? id = trigger switch
        {
            EscalationRouted e => e.EscalationId,
            EscalationRerouted e => e.EscalationId,
            EscalationQueued e => e.EscalationId,
            EscalationPriorityRaised e => e.EscalationId,
            AcknowledgementTimedOut e => e.EscalationId,
            _ => null,
        };
        return id is { } known ? Escalations.FirstOrDefault(e => e.Id == known) ?? Current : Current;
    }

    /// <summary>
    /// When the customer can expect to hear from us: the earliest counting first- or next-response clock, else the
    /// escalation's acknowledgement clock, else the owner's acknowledgement deadline.
    /// </summary>
    public DateTimeOffset? ExpectedResponseBy(EscalationView? escalation)
    {
        DateTimeOffset? Earliest(params SlaMetric[] metrics) =>
            Clocks.Values.Where(c => metrics.Contains(c.Metric) && c.DueAt is not null).Select(c => c.DueAt).Min();
        return Earliest(SlaMetric.FirstResponse, SlaMetric.NextResponse) ?? Earliest(SlaMetric.EscalationAcknowledgement) ?? escalation?.AcknowledgeBy;
    }

    private NotificationCase Update(Guid escalationId, Func<EscalationView, EscalationView> change)
    {
        var index = Escalations.FindIndex(e => e.Id == escalationId);
        return index < 0 ? this : this with { Escalations = Escalations.SetItem(index, change(Escalations[index])) };
    }

    private NotificationCase Clock(Guid clockId, Func<ClockView, ClockView> change) =>
        Clocks.TryGetValue(clockId, out var clock) ? this with { Clocks = Clocks.SetItem(clockId, change(clock)) } : this;
}
