using System.Diagnostics;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Notifications;
using Escalation.Contracts.Sla;

namespace Escalation.ServiceDefaults;

/// <summary>
/// The attributes spans, metrics and log scopes carry for a case event, so that an operator can search Jaeger by case,
/// reference, escalation, trigger, priority or team. One mapping for every service: the relay's publish span, each
/// consumer's span, the appended-events counter and the logging scope all use these names.
/// </summary>
public static class CaseTelemetry
{
    public const string CaseId = "escalation.case_id";
    public const string Reference = "escalation.case_reference";
    public const string EventType = "escalation.event_type";
    public const string EscalationId = "escalation.escalation_id";
    public const string EscalationType = "escalation.type";
    public const string Triggers = "escalation.triggers";
    public const string Priority = "escalation.priority";
    public const string Tier = "escalation.tier";
    public const string Team = "escalation.team";
    public const string Agent = "escalation.agent";
    public const string Category = "escalation.category";
    public const string Channel = "escalation.channel";
    public const string IncidentKey = "escalation.incident_key";
    public const string SlaMetric = "escalation.sla_metric";
    public const string Audience = "escalation.notification.audience";
    public const string NotificationChannel = "escalation.notification.channel";

    /// <summary>Bus header the relay sets to the case's reference (<c>ESC-…</c>).</summary>
    public const string ReferenceHeader = "escalation-reference";

    /// <summary>
    /// A logging scope naming the case: structured log exporters (OTLP, the JSON console) write its entries as fields,
    /// so every line logged within it can be found by case id or reference.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> LogScope(Guid caseId, string? reference, string? eventType = null, Guid? eventId = null)
    {
        var scope = new List<KeyValuePair<string, object?>> { new("CaseId", caseId) };
        if (reference is not null)
        {
            scope.Add(new("Reference", reference));
        }

        if (eventType is not null)
        {
            scope.Add(new("EventType", eventType));
        }

        if (eventId is not null)
        {
            scope.Add(new("EventId", eventId));
        }

        return scope;
    }

    /// <summary>Every searchable attribute of <paramref name="caseEvent"/>: ids, reference, triggers and the low-cardinality facts.</summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> TagsOf(ICaseEvent caseEvent)
    {
        var tags = new List<KeyValuePair<string, object?>> { new(CaseId, caseEvent.CaseId.ToString()) };
        switch (caseEvent)
        {
            case TicketOpened opened:
                tags.Add(new(Reference, opened.Reference));
                break;
            case EscalationRequested requested:
                tags.Add(new(EscalationId, requested.EscalationId.ToString()));
                tags.Add(new(Triggers, requested.Triggers.Select(trigger => trigger.Rule).Distinct().ToArray()));
                break;
            case EscalationPriorityRaised raised:
                tags.Add(new(EscalationId, raised.EscalationId.ToString()));
                tags.Add(new(Triggers, raised.Triggers.Select(trigger => trigger.Rule).Distinct().ToArray()));
                break;
            case EscalationRouted or EscalationRerouted or EscalationQueued or EscalationAcknowledged or EscalationDeclined
                or AcknowledgementTimedOut or AgentResponded:
                tags.Add(new(EscalationId, EscalationIdOf(caseEvent).ToString()));
                break;
            case CaseLinkedToIncident linked:
                tags.Add(new(IncidentKey, linked.IncidentKey));
                break;
        }

        tags.AddRange(MetricTagsOf(caseEvent));
        switch (caseEvent)
        {
            case EscalationRouted { Agent: { } agent }:
                tags.Add(new(Agent, agent));
                break;
            case EscalationRerouted { Agent: { } agent }:
                tags.Add(new(Agent, agent));
                break;
        }

        return tags;
    }

    /// <summary>
    /// The bounded attributes of <paramref name="caseEvent"/> (type, escalation type, priority, tier, first trigger, team,
    /// channel, SLA metric): safe as metric dimensions, unlike ids.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> MetricTagsOf(ICaseEvent caseEvent)
    {
        var tags = new List<KeyValuePair<string, object?>> { new(EventType, caseEvent.GetType().Name) };
        switch (caseEvent)
        {
            case TicketOpened opened:
                tags.Add(new(Channel, opened.Channel.ToString()));
                tags.Add(new(Category, opened.Category));
                break;
            case ContactReceived contact:
                tags.Add(new(Channel, contact.Channel.ToString()));
                break;
            case EscalationRequested requested:
                tags.Add(new(EscalationType, requested.Type.ToString()));
                tags.Add(new(Priority, requested.Priority.ToString()));
                tags.Add(new(Tier, requested.ToTier.ToString()));
                break;
            case EscalationPriorityRaised raised:
                tags.Add(new(Priority, raised.To.ToString()));
                break;
            case EscalationRouted routed:
                tags.Add(new(Team, routed.Team));
                break;
            case EscalationRerouted rerouted:
                tags.Add(new(Team, rerouted.Team));
                break;
            case EscalationQueued queued:
                tags.Add(new(Team, queued.Queue));
                break;
            case CaseLinkedToIncident linked:
                tags.Add(new(Category, linked.Category));
                break;
            case SlaClockStarted started:
                tags.Add(new(SlaMetric, started.Metric.ToString()));
                break;
            case SlaBreachImminent imminent:
                tags.Add(new(SlaMetric, imminent.Metric.ToString()));
                break;
            case SlaBreached breached:
                tags.Add(new(SlaMetric, breached.Metric.ToString()));
                break;
            case SlaClockStopped stopped:
                tags.Add(new(SlaMetric, stopped.Metric.ToString()));
                break;
            case SlaClockRetargeted retargeted:
                tags.Add(new(SlaMetric, retargeted.Metric.ToString()));
                break;
            case NotificationSent sent:
                tags.Add(new(Audience, sent.Audience.ToString()));
                tags.Add(new(NotificationChannel, sent.Channel.ToString()));
                break;
            case NotificationFailed failed:
                tags.Add(new(Audience, failed.Audience.ToString()));
                tags.Add(new(NotificationChannel, failed.Channel.ToString()));
                break;
        }

        return tags;
    }

    /// <summary>Sets <see cref="TagsOf"/> (and the reference, when known) on <paramref name="activity"/>.</summary>
    public static void Tag(this Activity? activity, ICaseEvent caseEvent, string? reference)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        foreach (var (key, value) in TagsOf(caseEvent))
        {
            activity.SetTag(key, value);
        }

        if (reference is not null)
        {
            activity.SetTag(Reference, reference);
        }
    }

    private static Guid EscalationIdOf(ICaseEvent caseEvent) => caseEvent switch
    {
        EscalationRouted e => e.EscalationId,
        EscalationRerouted e => e.EscalationId,
        EscalationQueued e => e.EscalationId,
        EscalationAcknowledged e => e.EscalationId,
        EscalationDeclined e => e.EscalationId,
        AcknowledgementTimedOut e => e.EscalationId,
        AgentResponded e => e.EscalationId,
        _ => Guid.Empty,
    };
}
