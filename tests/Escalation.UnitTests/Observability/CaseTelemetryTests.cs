using System.Diagnostics;
using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Notifications;
using Escalation.Contracts.Sla;
using Escalation.ServiceDefaults;
using Escalation.SlaWatch.Clocks.ObserveClocks;
using Escalation.SlaWatch.Engine;
using static Escalation.UnitTests.CaseFixtures;

namespace Escalation.UnitTests.Observability;

public sealed class CaseTelemetryTests
{
    private static readonly Guid EscalationId = Guid.Parse("0193a000-0000-7000-8000-0000000000e1");

    private static EscalationRequested Requested() =>
        new(CaseId, EscalationId, EscalationType.Functional,
            [new TriggerEvidence("explicit-human-request", "人と話したい", null), new TriggerEvidence("low-bot-confidence", "0.3", null), new TriggerEvidence("explicit-human-request", "human", null)],
            Priority.P2, Tier.L0, Tier.L1, "billing", new HandoffPacket("", [], ContactEntities.None, "", [], [], "", []), "r1", Now);

    private static Dictionary<string, object?> Tags(ICaseEvent e) => CaseTelemetry.TagsOf(e).ToDictionary(t => t.Key, t => t.Value);

    private static Dictionary<string, object?> MetricTags(ICaseEvent e) => CaseTelemetry.MetricTagsOf(e).ToDictionary(t => t.Key, t => t.Value);

    [Fact]
    public void An_escalation_request_is_searchable_by_case_escalation_triggers_priority_and_tier()
    {
        var tags = Tags(Requested());

        Assert.Equal(CaseId.ToString(), tags[CaseTelemetry.CaseId]);
        Assert.Equal(EscalationId.ToString(), tags[CaseTelemetry.EscalationId]);
        Assert.Equal(new[] { "explicit-human-request", "low-bot-confidence" }, tags[CaseTelemetry.Triggers]); // each rule once
        Assert.Equal(("EscalationRequested", "Functional", "P2", "L1"),
            (tags[CaseTelemetry.EventType], tags[CaseTelemetry.EscalationType], tags[CaseTelemetry.Priority], tags[CaseTelemetry.Tier]));
    }

    [Fact]
    public void Opening_names_the_reference_and_routing_names_team_and_agent()
    {
        var opened = Tags(Opened(channel: Channel.Email, category: "integration"));
        Assert.Equal(("ESC-1000", "Email", "integration"), (opened[CaseTelemetry.Reference], opened[CaseTelemetry.Channel], opened[CaseTelemetry.Category]));

        var routed = Tags(new EscalationRouted(CaseId, EscalationId, "billing-support", "aiko.tanaka", [], [], Now, 0, "m1", Now));
        Assert.Equal(("billing-support", "aiko.tanaka", EscalationId.ToString()), (routed[CaseTelemetry.Team], routed[CaseTelemetry.Agent], routed[CaseTelemetry.EscalationId]));

        var queued = Tags(new EscalationQueued(CaseId, EscalationId, "billing-support", "nobody free", Now));
        Assert.Equal(("billing-support", EscalationId.ToString()), (queued[CaseTelemetry.Team], queued[CaseTelemetry.EscalationId]));
    }

    [Fact]
    public void Metric_dimensions_are_bounded_no_ids_references_agents_or_trigger_lists()
    {
        ICaseEvent[] events =
        [
            Opened(), Received("hello"), Requested(),
            new EscalationRouted(CaseId, EscalationId, "billing-support", "aiko.tanaka", [], [], Now, 0, "m1", Now),
            new SlaBreached(CaseId, Guid.NewGuid(), SlaMetric.FirstResponse, Now, Now, Late: false),
            new NotificationSent(CaseId, Guid.NewGuid(), Audience.Customer, NotificationChannel.Email, "jane@example.com", "t", "en", 1, Now),
        ];

        foreach (var e in events)
        {
            var tags = MetricTags(e);
            Assert.Equal(e.GetType().Name, tags[CaseTelemetry.EventType]);
            Assert.DoesNotContain(tags.Keys, key => key is CaseTelemetry.CaseId or CaseTelemetry.Reference or CaseTelemetry.EscalationId or CaseTelemetry.Agent or CaseTelemetry.Triggers);
            Assert.All(tags.Values, value => Assert.IsType<string>(value));
        }

        Assert.Equal("FirstResponse", MetricTags(events[4])[CaseTelemetry.SlaMetric]);
        Assert.Equal(("Customer", "Email"), (MetricTags(events[5])[CaseTelemetry.Audience], MetricTags(events[5])[CaseTelemetry.NotificationChannel]));
    }

    [Fact]
    public void Tagging_a_span_adds_the_reference_and_skips_spans_nobody_records()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "case-telemetry-test",
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Parent.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) || options.Parent == default
                    ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.PropagationData,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("case-telemetry-test");

        using (var recorded = source.StartActivity("recorded"))
        {
            recorded.Tag(Requested(), "ESC-1000");
            Assert.Equal("ESC-1000", recorded!.GetTagItem(CaseTelemetry.Reference));
            Assert.Equal(EscalationId.ToString(), recorded.GetTagItem(CaseTelemetry.EscalationId));
        }

        var unsampled = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, isRemote: true);
        using var propagationOnly = source.StartActivity("propagation only", ActivityKind.Consumer, unsampled);
        propagationOnly.Tag(Requested(), "ESC-1000");
        Assert.Null(propagationOnly!.GetTagItem(CaseTelemetry.CaseId));
    }

    [Fact]
    public void The_log_scope_names_the_case_reference_and_event_when_known()
    {
        var eventId = Guid.NewGuid();
        Assert.Equal([new("CaseId", CaseId), new("Reference", "ESC-1000"), new("EventType", "EscalationRouted"), new("EventId", eventId)],
            CaseTelemetry.LogScope(CaseId, "ESC-1000", "EscalationRouted", eventId));
        Assert.Equal([new KeyValuePair<string, object?>("CaseId", CaseId)], CaseTelemetry.LogScope(CaseId, reference: null));
    }

    [Fact]
    public void Clocks_are_on_track_until_their_first_warning_fires_then_at_risk()
    {
        var policy = SlaPolicy.Load(Path.Combine(AppContext.BaseDirectory, "Policies", "sla-policy.json")); // warnings at 75 % and 90 %

        var states = ClockGauges.ByState([(75, 4), (90, 2), (SlaClocks.Breach, 1)], policy);

        Assert.Equal(4, states["on_track"]);
        Assert.Equal(3, states["at_risk"]);
        Assert.Equal(new Dictionary<string, long> { ["on_track"] = 0, ["at_risk"] = 0 }, ClockGauges.ByState([], policy));
    }
}
