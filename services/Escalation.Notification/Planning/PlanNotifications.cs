using System.Globalization;
using System.Text.Json;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Directory;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using Escalation.Notification.Delivering;

namespace Escalation.Notification.Planning;

/// <summary>A case event that may call for notifications, with its stored id (the dedupe key's first part).</summary>
public sealed record Trigger(Guid EventId, ICaseEvent Event, string? TraceParent = null);

/// <summary>
/// Decides who is told what about one case event: the rules that apply, each audience's recipients and language, and
/// the rendered messages, as deliveries to store before anything is sent.
/// </summary>
public static class PlanNotifications
{
    /// <summary>The team whose directory entry names the staff recipients: the owner the event names, else the escalation's.</summary>
    public static string? TeamOf(NotificationCase state, ICaseEvent trigger) => trigger switch
    {
        EscalationRouted routed => routed.Team,
        EscalationRerouted rerouted => rerouted.Team,
        EscalationQueued queued => queued.Queue,
        _ => state.EscalationOf(trigger)?.Team,
    };

    /// <param name="team">The directory's recipients for <see cref="TeamOf"/>; null when no team is known (staff rules then do not apply).</param>
    public static IReadOnlyList<Delivery> Decide(NotificationCase state, Trigger trigger, NotificationRules rules, TemplateSet templates,
        TeamRecipients? team, DateTimeOffset now)
    {
        var deliveries = new List<Delivery>();
        foreach (var rule in rules.For(trigger.Event, state))
        {
            if (rule.Audience != Audience.Customer && team is null)
            {
                continue; // staff are found through the owning team; an event before any routing has none
            }

            var template = templates.Find(rule.Template, rule.Audience == Audience.Customer ? state.Customer.Language : rules.StaffLanguage);
            var planned = rule.Channels
                .Select(channel => (channel, recipients: RecipientsFor(rule.Audience, channel, state, trigger.Event, team)))
                .Where(x => x.recipients.Count > 0)
                .ToList();
            if (planned.Count == 0)
            {
                var nobody = rule.Audience == Audience.Customer ? "The customer has no email address." : $"Team {team?.Team} has no {rule.Audience} address for {string.Join(" or ", rule.Channels)}.";
                deliveries.Add(Delivery.Unreachable(state.Id, trigger.EventId, trigger.Event.GetType().Name, rule.Audience, rule.Channels[0], rule.Template,
                    template.Language, nobody, rules.Version, now));
                continue;
            }

            var values = MessageValues.For(state, trigger.Event, template.Language);
            var message = template.Render(values);
            foreach (var (channel, recipients) in planned)
            {
                var id = Delivery.IdFor(trigger.EventId, rule.Audience, channel);
                var json = channel == NotificationChannel.Webhook ? WebhookJson(id, state, trigger, rule, template.Language, message, values, now) : null;
                deliveries.Add(new Delivery(id, state.Id, trigger.EventId, trigger.Event.GetType().Name, rule.Audience, channel, rule.Template, template.Language,
                    recipients, new DeliveryContent(message.Subject, message.Text, message.Html, json), DeliveryStatus.Pending, 0, now, now, rules.Version,
                    trigger.TraceParent));
            }
        }

        return deliveries;
    }

    /// <param name="team">Null only for the customer, whose address is on the case.</param>
    private static IReadOnlyList<string> RecipientsFor(Audience audience, NotificationChannel channel, NotificationCase state, ICaseEvent trigger, TeamRecipients? team)
    {
        IEnumerable<string?> candidates = (audience, channel) switch
        {
            (Audience.Customer, NotificationChannel.Email) => new[] { state.Customer.Email },
            (Audience.Team, NotificationChannel.Email) => new[] { team?.Agents.FirstOrDefault(a => a.Id == AgentOf(state, trigger))?.Email, team?.Email },
            (Audience.Team or Audience.Stakeholder, NotificationChannel.Webhook) => new[] { team?.Webhook },
            (Audience.Stakeholder, NotificationChannel.Email) => team?.Stakeholders.Select(s => (string?)s.Email) ?? [],
            (Audience.OnCall, NotificationChannel.Email) => new[] { team?.OnCall?.Email },
            (Audience.OnCall, NotificationChannel.Webhook) => new[] { team?.OnCall?.Webhook },
            _ => Array.Empty<string?>(),
        };
        return candidates.OfType<string>().Where(a => a.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private static string? AgentOf(NotificationCase state, ICaseEvent trigger) => trigger switch
    {
        EscalationRouted routed => routed.Agent,
        EscalationRerouted rerouted => rerouted.Agent,
        _ => state.EscalationOf(trigger)?.Agent,
    };

    private static string WebhookJson(Guid id, NotificationCase state, Trigger trigger, NotificationRule rule, string language, RenderedMessage message,
        IReadOnlyDictionary<string, string> values, DateTimeOffset now) =>
        JsonSerializer.Serialize(new
        {
            id,
            type = rule.Template,
            audience = rule.Audience.ToString(),
            caseId = state.Id,
            reference = state.Reference,
            trigger = new { eventId = trigger.EventId, type = trigger.Event.GetType().Name },
            language,
            subject = message.Subject,
            text = message.Text,
            values,
            createdAt = now,
        }, WebhookJsonOptions);

    private static readonly JsonSerializerOptions WebhookJsonOptions = new(JsonSerializerDefaults.Web);
}

/// <summary>The values a template may insert, formatted for its language (Japanese times in JST, others in UTC).</summary>
public static class MessageValues
{
    private static readonly TimeZoneInfo Tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

    public static IReadOnlyDictionary<string, string> For(NotificationCase state, ICaseEvent trigger, string language)
    {
        var ja = language == "ja";
        var escalation = state.EscalationOf(trigger);
        var handoff = escalation?.Handoff;
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["reference"] = state.Reference,
            ["customerName"] = state.Customer.Name ?? (ja ? "お客" : "customer"),
            ["caseSubject"] = state.Subject,
            ["channel"] = state.Channel.ToString(),
            ["category"] = state.Category,
            ["expectedBy"] = state.ExpectedResponseBy(escalation) is { } by ? Moment(by, ja) : ja ? "できるだけ早く" : "as soon as possible",
            ["team"] = PlanNotifications.TeamOf(state, trigger) ?? "",
            ["agent"] = escalation?.Agent ?? (ja ? "（チーム待ち行列）" : "(team queue)"),
            ["priority"] = escalation?.Priority.ToString() ?? "",
            ["escalationType"] = escalation?.Type.ToString() ?? "",
            ["fromTier"] = escalation?.FromTier.ToString() ?? "",
            ["toTier"] = escalation?.ToTier.ToString() ?? "",
            ["capability"] = escalation?.Capability ?? "",
            ["triggers"] = escalation is null ? "" : string.Join("\n", escalation.Triggers.Select(t => $"- {t.Rule}: {t.Evidence}")),
            ["summary"] = handoff?.Summary ?? "",
            ["triggerReason"] = handoff?.TriggerReason ?? "",
            ["intents"] = handoff is null ? "" : string.Join(", ", handoff.Intents),
            ["entities"] = handoff is null ? "" : Entities(handoff.Entities),
            ["sentiment"] = handoff is null ? "" : $"{handoff.SentimentAssessment} [{string.Join(", ", handoff.SentimentTrajectory.Select(s => s.ToString("0.00", CultureInfo.InvariantCulture)))}]",
            ["attemptedSolutions"] = handoff is null || handoff.AttemptedSolutions.Count == 0 ? (ja ? "なし" : "none")
                : string.Join("\n", handoff.AttemptedSolutions.Select(a => $"- {a.Step}: {a.Outcome}")),
            ["transcript"] = handoff is null ? "" : string.Join("\n", handoff.Transcript.TakeLast(10).Select(t => $"> {t}")),
            ["acknowledgeBy"] = escalation?.AcknowledgeBy is { } ack ? Moment(ack, ja) : "",
        };

        switch (trigger)
        {
            case EscalationQueued queued:
                values["queue"] = queued.Queue;
                values["reason"] = queued.Reason;
                break;
            case EscalationRerouted rerouted:
                values["reason"] = rerouted.Reason;
                values["chainLevel"] = rerouted.ChainLevel.ToString(CultureInfo.InvariantCulture);
                values["acknowledgeBy"] = Moment(rerouted.AcknowledgeBy, ja);
                break;
            case EscalationRouted routed:
                values["chainLevel"] = routed.ChainLevel.ToString(CultureInfo.InvariantCulture);
                values["acknowledgeBy"] = Moment(routed.AcknowledgeBy, ja);
                break;
            case EscalationPriorityRaised raised:
                values["previousPriority"] = raised.From.ToString();
                values["priority"] = raised.To.ToString();
                values["reason"] = string.Join("; ", raised.Triggers.Select(t => t.Evidence));
                break;
            case AcknowledgementTimedOut timedOut:
                values["chainLevel"] = timedOut.ChainLevel.ToString(CultureInfo.InvariantCulture);
                values["dueAt"] = Moment(timedOut.DeadlineAt, ja);
                values["agent"] = timedOut.Owner ?? values["agent"];
                break;
            case SlaBreachImminent warning:
                values["metric"] = Metric(warning.Metric, ja);
                values["thresholdPercent"] = warning.ThresholdPercent.ToString(CultureInfo.InvariantCulture);
                values["remaining"] = Duration(warning.Remaining, ja);
                values["dueAt"] = Moment(warning.DueAt, ja);
                break;
            case SlaBreached breached:
                values["metric"] = Metric(breached.Metric, ja);
                values["dueAt"] = Moment(breached.DueAt, ja);
                break;
            case CaseResolved resolved:
                values["resolution"] = resolved.Resolution;
                break;
        }

        return values;
    }

    public static string Moment(DateTimeOffset instant, bool japanese) => japanese
        ? TimeZoneInfo.ConvertTime(instant, Tokyo).ToString("yyyy年M月d日 HH:mm", CultureInfo.InvariantCulture) + "（日本時間）"
        : instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    public static string Duration(TimeSpan span, bool japanese)
    {
        var minutes = Math.Max(0, (int)Math.Ceiling(span.TotalMinutes));
        var (hours, rest) = (minutes / 60, minutes % 60);
        return japanese
            ? hours > 0 ? $"{hours}時間{rest}分" : $"{rest}分"
            : hours > 0 ? $"{hours} h {rest} min" : $"{rest} min";
    }

    private static string Metric(SlaMetric metric, bool japanese) => (metric, japanese) switch
    {
        (SlaMetric.FirstResponse, true) => "初回応答",
        (SlaMetric.NextResponse, true) => "次回応答",
        (SlaMetric.Resolution, true) => "解決",
        (SlaMetric.EscalationAcknowledgement, true) => "エスカレーション受領",
        (SlaMetric.FirstResponse, false) => "first response",
        (SlaMetric.NextResponse, false) => "next response",
        (SlaMetric.Resolution, false) => "resolution",
        _ => "escalation acknowledgement",
    };

    private static string Entities(ContactEntities entities) => string.Join(", ", new[]
    {
        entities.OrderId is { } order ? $"order {order}" : null,
        entities.Amount is { } amount ? $"amount {amount.Amount.ToString(CultureInfo.InvariantCulture)} {amount.Currency}" : null,
        entities.Product is { } product ? $"product {product}" : null,
    }.OfType<string>());
}
