using System.Text.Json;
using System.Text.Json.Serialization;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;

namespace Escalation.Notification.Planning;

/// <summary>Narrows a rule to some triggers; every condition given must hold.</summary>
/// <param name="Priorities">The escalation's priority (after the trigger) is one of these.</param>
/// <param name="Metrics">SLA events only: the clock's metric is one of these.</param>
/// <param name="ThresholdPercents">SlaBreachImminent only: the warning threshold is one of these (e.g. the policy's last, 90).</param>
/// <param name="Escalated">Whether the case must have been escalated at least once (or never).</param>
public sealed record RuleCondition(
    IReadOnlyList<Priority>? Priorities = null,
    IReadOnlyList<SlaMetric>? Metrics = null,
    IReadOnlyList<int>? ThresholdPercents = null,
    bool? Escalated = null);

/// <summary>When <see cref="On"/> is appended to a case, tell <see cref="Audience"/> with <see cref="Template"/> over <see cref="Channels"/>.</summary>
public sealed record NotificationRule(string On, Audience Audience, string Template, IReadOnlyList<NotificationChannel> Channels, RuleCondition? When = null);

/// <summary>
/// The mapping event → audience → template → channels (<c>Rules/notification-rules.json</c>), validated strictly at
/// start-up; its version is stamped on every notification event.
/// </summary>
/// <param name="StaffLanguage">Language of staff notices (templates fall back to English).</param>
public sealed record NotificationRules(string Version, string StaffLanguage, IReadOnlyList<NotificationRule> Rules)
{
    /// <summary>The case events a rule may react to (the consumer subscribes to exactly these).</summary>
    public static readonly IReadOnlyDictionary<string, Type> Triggers = new[]
    {
        typeof(EscalationRouted), typeof(EscalationQueued), typeof(EscalationRerouted), typeof(EscalationPriorityRaised),
        typeof(AcknowledgementTimedOut), typeof(SlaBreachImminent), typeof(SlaBreached), typeof(CaseResolved),
    }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
    };

    public static NotificationRules Load(string path, TemplateSet templates) => Parse(File.ReadAllText(path), templates, path);

    public static NotificationRules Parse(string json, TemplateSet templates, string source = "rules")
    {
        NotificationRules? rules;
        try
        {
            rules = JsonSerializer.Deserialize<NotificationRules>(json, Json);
        }
        catch (JsonException error)
        {
            throw new InvalidOperationException($"Notification rules {source} are not valid: {error.Message}", error);
        }

        return (rules ?? throw new InvalidOperationException($"Notification rules {source} are empty.")).Validated(templates, source);
    }

    /// <summary>
    /// The rules that apply to <paramref name="trigger"/> on a case in <paramref name="state"/>: per audience the first
    /// rule whose condition holds (one event tells an audience once).
    /// </summary>
    public IEnumerable<NotificationRule> For(ICaseEvent trigger, NotificationCase state) =>
        Rules.Where(rule => rule.On == trigger.GetType().Name && Holds(rule.When, trigger, state)).DistinctBy(rule => rule.Audience);

    private static bool Holds(RuleCondition? when, ICaseEvent trigger, NotificationCase state)
    {
        if (when is null)
        {
            return true;
        }

        var escalation = state.EscalationOf(trigger);
        var metric = trigger switch { SlaBreachImminent w => w.Metric, SlaBreached b => b.Metric, _ => (SlaMetric?)null };
        return (when.Priorities is null || escalation is not null && when.Priorities.Contains(escalation.Priority))
            && (when.Metrics is null || metric is { } m && when.Metrics.Contains(m))
            && (when.ThresholdPercents is null || trigger is SlaBreachImminent warning && when.ThresholdPercents.Contains(warning.ThresholdPercent))
            && (when.Escalated is null || when.Escalated == state.Escalations.Count > 0);
    }

    private NotificationRules Validated(TemplateSet templates, string source)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Version)) problems.Add("version is required");
        if (string.IsNullOrWhiteSpace(StaffLanguage)) problems.Add("staffLanguage is required");
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            var at = $"rules[{i}]";
            if (!Triggers.ContainsKey(rule.On)) problems.Add($"{at}.on: '{rule.On}' is not one of {string.Join(", ", Triggers.Keys)}");
            if (!templates.Has(rule.Template)) problems.Add($"{at}.template: no English template '{rule.Template}' in {templates.Directory}");
            if (rule.Channels.Count == 0 || rule.Channels.Distinct().Count() != rule.Channels.Count) problems.Add($"{at}.channels: one or more distinct channels");
            if (rule.Audience == Audience.Customer && rule.Channels.Contains(NotificationChannel.Webhook)) problems.Add($"{at}.channels: customers are told by email only");
            var sla = rule.On is nameof(SlaBreachImminent) or nameof(SlaBreached);
            if (rule.When?.Metrics is not null && !sla) problems.Add($"{at}.when.metrics: only for SLA events");
            if (rule.When?.ThresholdPercents is not null && rule.On != nameof(SlaBreachImminent)) problems.Add($"{at}.when.thresholdPercents: only for SlaBreachImminent");
            if (rule.When?.ThresholdPercents?.Any(p => p is < 1 or > 99) == true) problems.Add($"{at}.when.thresholdPercents: percentages in [1, 99]");
        }

        problems.AddRange(Rules.Select((rule, i) => (rule, i))
            .Where(x => Rules.Take(x.i).Any(earlier => earlier.On == x.rule.On && earlier.Audience == x.rule.Audience && earlier.When is null))
            .Select(x => $"rules[{x.i}]: never used, an earlier rule tells {x.rule.Audience} of every {x.rule.On}"));
        return problems.Count == 0 ? this : throw new InvalidOperationException($"Notification rules {source} are not valid: {string.Join("; ", problems)}.");
    }
}
