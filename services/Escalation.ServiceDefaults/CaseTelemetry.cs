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
        if (EscalationIdOf(caseEvent) is { } escalationId)
        {
            tags.Add(new(EscalationId, escalationId.ToString()));
        }

        if (TriggersOf(caseEvent) is { } triggers)
        {
            tags.Add(new(Triggers, triggers.Select(trigger => trigger.Rule).Distinct().ToArray()));
        }

        switch (caseEvent)
        {
            case TicketOpened opened:
                tags.Add(new(Reference, opened.Reference));
                break;
            case CaseLinkedToIncident linked:
                tags.Add(new(IncidentKey, linked.IncidentKey));
                break;
            case EscalationRouted { Agent: { } agent }:
                tags.Add(new(Agent, agent));
                break;
            case EscalationRerouted { Agent: { } agent }:
                tags.Add(new(Agent, agent));
                break;
        }

        tags.AddRange(MetricTagsOf(caseEvent));
        return tags;
    }

    /// <summary>
    /// The bounded attributes of <paramref name="caseEvent"/> (type, escalation type, priority, tier, team, channel,
    /// category, SLA metric, notification audience and channel): safe as metric dimensions, unlike ids.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> MetricTagsOf(ICaseEvent caseEvent)
    {
        var tags = new List<KeyValuePair<string, object?>> { new(EventType, caseEvent.GetType().Name) };
        void AddIfKnown(string key, object? value)
        {
            if (value is not null)
            {
                tags.Add(new(key, value.ToString()));
            }
        }

        AddIfKnown(Team, TeamOf(caseEvent));
        AddIfKnown(SlaMetric, SlaMetricOf(caseEvent));
        switch (caseEvent)
        {
            case TicketOpened opened:
                AddIfKnown(Channel, opened.Channel);
                AddIfKnown(Category, opened.Category);
                break;
            case ContactReceived contact:
                AddIfKnown(Channel, contact.Channel);
                break;
            case EscalationRequested requested:
                AddIfKnown(EscalationType, requested.Type);
                AddIfKnown(Priority, requested.Priority);
                AddIfKnown(Tier, requested.ToTier);
                break;
            case EscalationPriorityRaised raised:
                AddIfKnown(Priority, raised.To);
                break;
            case CaseLinkedToIncident linked:
                AddIfKnown(Category, linked.Category);
                break;
            case NotificationSent sent:
                AddIfKnown(Audience, sent.Audience);
                AddIfKnown(NotificationChannel, sent.Channel);
                break;
            case NotificationFailed failed:
                AddIfKnown(Audience, failed.Audience);
                AddIfKnown(NotificationChannel, failed.Channel);
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

    private static Guid? EscalationIdOf(ICaseEvent caseEvent) => caseEvent switch
    {
        EscalationRequested e => e.EscalationId,
        EscalationPriorityRaised e => e.EscalationId,
        EscalationRouted e => e.EscalationId,
        EscalationRerouted e => e.EscalationId,
        EscalationQueued e => e.EscalationId,
        EscalationAcknowledged e => e.EscalationId,
        EscalationDeclined e => e.EscalationId,
        AcknowledgementTimedOut e => e.EscalationId,
        AgentResponded e => e.EscalationId,
        _ => null,
    };

    private static IReadOnlyList<TriggerEvidence>? TriggersOf(ICaseEvent caseEvent) => caseEvent switch
    {
        EscalationRequested e => e.Triggers,
        EscalationPriorityRaised e => e.Triggers,
        _ => null,
    };

    /// <summary>The team that owns the escalation after the event (a queue is a team's).</summary>
    private static string? TeamOf(ICaseEvent caseEvent) => caseEvent switch
    {
        EscalationRouted e => e.Team,
        EscalationRerouted e => e.Team,
        EscalationQueued e => e.Queue,
        _ => null,
    };

    private static SlaMetric? SlaMetricOf(ICaseEvent caseEvent) => caseEvent switch
    {
        SlaClockStarted e => e.Metric,
        SlaBreachImminent e => e.Metric,
        SlaBreached e => e.Metric,
        SlaClockStopped e => e.Metric,
        SlaClockRetargeted e => e.Metric,
        _ => null,
    };
}
