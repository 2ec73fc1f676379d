using System.Diagnostics.Metrics;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using Escalation.History.Cases;
using Escalation.History.Feed;
using Escalation.History.Kpis;
using JasperFx.Events;
using Microsoft.Extensions.Logging.Abstractions;
using static Escalation.UnitTests.CaseFixtures;

namespace Escalation.UnitTests.History;

public sealed class HistoryTests
{
    private static EscalationRequested Requested(Tier to, Priority priority, DateTimeOffset at) =>
        new(CaseId, Guid.NewGuid(), EscalationType.Hierarchical, [], priority, Tier.L0, to, "billing",
            new HandoffPacket("", [], ContactEntities.None, "", [], [], "", []), "r1", at);

    private static EscalationRouted Routed(string team, string? agent, DateTimeOffset at) =>
        new(CaseId, Guid.NewGuid(), team, agent, [], [], at.AddMinutes(15), 0, "m1", at);

    private static IReadOnlyList<IEvent> Stream(params object[] data) =>
        data.Select((d, i) => CaseFixtures.Stored(d, i + 1, Now.AddMinutes(i))).ToList();

    [Fact]
    public void The_case_view_follows_escalations_owners_resolution_and_reopening()
    {
        var opened = CaseView.Fold(Stream(Opened()))!;
        Assert.Equal((CaseStatus.Open, Tier.L0, 0, (Priority?)null), (opened.Status, opened.Tier, opened.EscalationCount, opened.Priority));

        var escalated = CaseView.Fold(Stream(Opened(), Received("human please"), Requested(Tier.L1, Priority.P3, Now), Routed("billing-support", "agent-a", Now),
            new EscalationPriorityRaised(CaseId, Guid.NewGuid(), Priority.P3, Priority.P2, [], "r1", Now), new EscalationAcknowledged(CaseId, Guid.NewGuid(), "agent-a", Now)))!;
        Assert.Equal((CaseStatus.Escalated, Tier.L1, Priority.P2, "billing-support", "agent-a", EscalationStage.Acknowledged, 1, 1, 6L),
            (escalated.Status, escalated.Tier, escalated.Priority, escalated.OwnerTeam, escalated.OwnerAgent, escalated.EscalationState, escalated.EscalationCount,
                escalated.ContactCount, escalated.Version));
        Assert.Equal(Now.AddMinutes(5), escalated.LastEventAt);

        var queuedThenResolvedThenReopened = CaseView.Fold(Stream(Opened(), Requested(Tier.L2, Priority.P1, Now), new EscalationQueued(CaseId, Guid.NewGuid(), "fraud", "no agent", Now),
            new CaseResolved(CaseId, "done", "agent-b", Now.AddHours(1)), new CaseReopened(CaseId, "m-9", "again", Now.AddHours(2))))!;
        Assert.Equal((CaseStatus.Escalated, "fraud", (string?)null, EscalationStage.Queued, (DateTimeOffset?)null),
            (queuedThenResolvedThenReopened.Status, queuedThenResolvedThenReopened.OwnerTeam, queuedThenResolvedThenReopened.OwnerAgent,
                queuedThenResolvedThenReopened.EscalationState, queuedThenResolvedThenReopened.ResolvedAt));

        Assert.Null(CaseView.Fold(Stream(Received("no opening"))));
    }

    [Fact]
    public void A_case_record_keeps_the_first_escalation_routing_team_resolution_and_one_outcome_per_clock()
    {
        var clock = Guid.NewGuid();
        var escalatedTwice = Record("ESC-1", "billing", Opened(), Requested(Tier.L1, Priority.P3, Now.AddMinutes(1)), Routed("team-a", null, Now.AddMinutes(3)),
            Requested(Tier.L2, Priority.P2, Now.AddMinutes(10)), Routed("team-b", null, Now.AddMinutes(12)), new CaseResolved(CaseId, "ok", null, Now.AddMinutes(61)),
            new CaseResolved(CaseId, "again", null, Now.AddMinutes(90)),
            new SlaBreached(CaseId, clock, SlaMetric.FirstResponse, Now, Now, false), new SlaClockStopped(CaseId, clock, SlaMetric.FirstResponse, true, TimeSpan.Zero, Now));
        Assert.Equal((2, Now.AddMinutes(1), Now.AddMinutes(3), "team-a", Now.AddMinutes(61)),
            (escalatedTwice.Escalations, escalatedTwice.FirstEscalationRequestedAt, escalatedTwice.FirstRoutedAt, escalatedTwice.FirstTeam, escalatedTwice.FirstResolvedAt));
        Assert.Equal(new ClockOutcome(SlaMetric.FirstResponse, Met: false), Assert.Single(escalatedTwice.Clocks).Value); // a breach stays a breach

        var met = Guid.NewGuid();
        var stoppedInTime = Record("ESC-2", "billing", Opened(), new SlaClockStopped(CaseId, met, SlaMetric.Resolution, true, TimeSpan.Zero, Now));
        Assert.Equal(new ClockOutcome(SlaMetric.Resolution, Met: true), stoppedInTime.Clocks[met]);

        var queued = Record("ESC-3", "fraud", Opened(), Requested(Tier.L2, Priority.P1, Now), new EscalationQueued(CaseId, Guid.NewGuid(), "fraud-queue", "no agent", Now));
        Assert.Equal(("fraud-queue", (DateTimeOffset?)null), (queued.FirstTeam, queued.FirstRoutedAt));

        var open = Record("ESC-4", "returns", Opened());
        Assert.Equal((0, (string?)null, (DateTimeOffset?)null), (open.Escalations, open.FirstTeam, open.FirstResolvedAt));
    }

    [Fact]
    public void KPI_gauges_report_the_last_computed_rows_per_team()
    {
        using var meters = new TestMeterFactory();
        var metrics = new KpiMetrics(null!, new KpiMetricsOptions(), TimeProvider.System, meters, NullLogger<KpiMetrics>.Instance);
        metrics.Publish([new KpiRow("team-a", 1, 1, 1.0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 0, 0, 0, [])]);

        var observed = new List<(string Name, double Value, string? Team)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Name.StartsWith("escalation.kpi.", StringComparison.Ordinal)) l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            observed.Add((instrument.Name, value, tags.ToArray().FirstOrDefault(t => t.Key == "escalation.team").Value as string)));
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Contains(("escalation.kpi.escalation_rate", 1.0, "team-a"), observed);
        Assert.Contains(("escalation.kpi.cases", 1.0, "team-a"), observed);
    }

    [Fact]
    public void Feed_filters_test_the_case_as_it_stood_at_each_event()
    {
        var facts = CaseFacts.Unknown
            .Apply(nameof(TicketOpened), """{"category":"billing","reference":"ESC-1"}""")
            .Apply(nameof(ContactReceived), """{"text":"x"}""");
        var filter = new FeedFilter(new HashSet<string>(), new HashSet<string> { "P2" }, new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Fraud" },
            new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "billing" });
        Assert.False(filter.Matches(nameof(ContactReceived), facts));

        var escalated = facts.Apply(nameof(EscalationRequested), """{"priority":"P2"}""");
        Assert.False(filter.Matches(nameof(EscalationRequested), escalated)); // no team yet
        var routed = escalated.Apply(nameof(EscalationRouted), """{"team":"fraud"}""");
        Assert.True(filter.Matches(nameof(EscalationRouted), routed));
        Assert.False(filter.Matches(nameof(EscalationRouted), routed.Apply(nameof(EscalationPriorityRaised), """{"to":"P1"}""")));
        Assert.Equal("fraud-queue", routed.Apply(nameof(EscalationQueued), """{"queue":"fraud-queue"}""").Team);

        var typesOnly = new FeedFilter(new HashSet<string> { nameof(TicketOpened) }, new HashSet<string>(), new HashSet<string>(), new HashSet<string>());
        Assert.False(typesOnly.NeedsCaseFacts);
        Assert.True(typesOnly.Matches(nameof(TicketOpened), CaseFacts.Unknown));
        Assert.False(typesOnly.Matches(nameof(ContactReceived), CaseFacts.Unknown));
    }

    private static CaseRecord Record(string reference, string category, TicketOpened opened, params object[] rest)
    {
        var record = CaseRecord.Of(opened with { Reference = reference, Category = category });
        return rest.Aggregate(record, (r, e) => r.Including(e));
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
