using Escalation.Contracts;
using Escalation.SlaWatch.Engine;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using Escalation.SlaWatch.Clocks;
using JasperFx.Events;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using NodaTime.Extensions;

namespace Escalation.UnitTests.Sla;

public sealed class BusinessCalendarTests
{
    private static readonly SlaPolicy Policy = SlaPolicy.Load(Path.Combine(AppContext.BaseDirectory, "Policies", "sla-policy.json"));
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private static DateTimeOffset Tokyo(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, Jst);

    private static DateTimeOffset Add(string calendar, DateTimeOffset start, TimeSpan amount) =>
        Policy.Calendar(calendar).Add(start.ToInstant(), Duration.FromTimeSpan(amount)).ToDateTimeOffset().ToOffset(start.Offset);

    [Theory]
    [InlineData(11, 24, 10, 0, 60, 11, 24, 11, 0)]   // inside the morning period
    [InlineData(11, 24, 11, 30, 60, 11, 24, 13, 30)] // across the lunch break
    [InlineData(11, 27, 17, 30, 60, 11, 30, 9, 30)]  // Friday evening → Monday morning
    [InlineData(11, 22, 12, 0, 60, 11, 24, 10, 0)]   // Sunday, then Monday 23 Nov is a public holiday (勤労感謝の日)
    [InlineData(11, 24, 7, 0, 30, 11, 24, 9, 30)]    // before opening
    [InlineData(11, 24, 12, 15, 15, 11, 24, 13, 15)] // starting in the lunch break
    public void Tokyo_business_time_skips_nights_lunch_weekends_and_holidays(int month, int day, int hour, int minute, int minutes,
        int dueMonth, int dueDay, int dueHour, int dueMinute)
    {
        Assert.Equal(Tokyo(dueMonth, dueDay, dueHour, dueMinute), Add("tokyo-business", Tokyo(month, day, hour, minute), TimeSpan.FromMinutes(minutes)));
    }

    [Fact]
    public void Business_time_between_two_instants_counts_only_open_periods()
    {
        var calendar = Policy.Calendar("tokyo-business");

        Assert.Equal(Duration.FromHours(2), calendar.Between(Tokyo(11, 24, 11).ToInstant(), Tokyo(11, 24, 14).ToInstant()));
        Assert.Equal(Duration.FromHours(8), calendar.Between(Tokyo(11, 27, 9).ToInstant(), Tokyo(11, 30, 9).ToInstant())); // a whole Friday
        Assert.Equal(Duration.Zero, calendar.Between(Tokyo(11, 23, 9).ToInstant(), Tokyo(11, 23, 18).ToInstant())); // the holiday
    }

    private static SlaPolicy WithCalendar(string json) => SlaPolicy.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Policies", "sla-policy.json"))
            .Replace("\"24x7\": { \"timeZone\": \"Etc/UTC\", \"alwaysOpen\": true, \"week\": {}, \"holidays\": [] },", $"\"24x7\": {{ \"timeZone\": \"Etc/UTC\", \"alwaysOpen\": true, \"week\": {{}}, \"holidays\": [] }}, \"test\": {json},"));

    [Fact]
    public void A_daylight_saving_zone_counts_real_hours_across_the_change()
    {
        var policy = WithCalendar("""
            { "timeZone": "America/New_York", "alwaysOpen": false, "holidays": [],
              "week": { "Friday": [ { "start": "09:00:00", "end": "17:00:00" } ], "Saturday": [ { "start": "22:00:00", "end": "06:00:00" } ],
                        "Monday": [ { "start": "09:00:00", "end": "17:00:00" } ] } }
            """);
        var calendar = policy.Calendar("test");
        var saturdayNight = new DateTimeOffset(2026, 3, 7, 22, 0, 0, TimeSpan.FromHours(-5)); // EST; clocks jump 02:00 → 03:00 on 8 March
        var sundayMorning = new DateTimeOffset(2026, 3, 8, 6, 0, 0, TimeSpan.FromHours(-4));  // EDT

        Assert.Equal(Duration.FromHours(7), calendar.Between(saturdayNight.ToInstant(), sundayMorning.ToInstant())); // 8 local hours, 7 real
        var fridayAfternoon = new DateTimeOffset(2026, 3, 6, 16, 0, 0, TimeSpan.FromHours(-5));
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 10, 0, 0, TimeSpan.FromHours(-4)),
            calendar.Add(fridayAfternoon.ToInstant(), Duration.FromHours(9)).ToDateTimeOffset().ToOffset(TimeSpan.FromHours(-4))); // 1 h Friday + 7 h Saturday night + 1 h Monday
    }

    [Fact]
    public void An_overnight_period_counts_past_midnight()
    {
        var policy = WithCalendar("""
            { "timeZone": "Asia/Tokyo", "alwaysOpen": false, "holidays": [], "week": { "Monday": [ { "start": "22:00:00", "end": "02:00:00" } ] } }
            """);

        Assert.Equal(new DateTimeOffset(2026, 11, 24, 1, 0, 0, Jst),
            policy.Calendar("test").Add(new DateTimeOffset(2026, 11, 23, 23, 0, 0, Jst).ToInstant(), Duration.FromHours(2)).ToDateTimeOffset().ToOffset(Jst));
    }

    [Fact]
    public void A_policy_with_overlapping_periods_or_an_unknown_zone_is_refused_with_the_reason()
    {
        var overlapping = Assert.Throws<InvalidOperationException>(() => WithCalendar("""
            { "timeZone": "Asia/Tokyo", "alwaysOpen": false, "holidays": [], "week": { "Monday": [ { "start": "09:00:00", "end": "13:00:00" }, { "start": "12:00:00", "end": "18:00:00" } ] } }
            """));
        var unknownZone = Assert.Throws<InvalidOperationException>(() => WithCalendar("""
            { "timeZone": "Mars/Olympus", "alwaysOpen": false, "holidays": [], "week": { "Monday": [ { "start": "09:00:00", "end": "17:00:00" } ] } }
            """));

        Assert.Contains("periods overlap", overlapping.Message);
        Assert.Contains("Mars/Olympus", unknownZone.Message);
    }
}

public sealed class SlaClockTests
{
    private static readonly SlaPolicy Policy = SlaPolicy.Load(Path.Combine(AppContext.BaseDirectory, "Policies", "sla-policy.json"));
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);
    private static readonly DateTimeOffset TuesdayTen = new(2026, 11, 24, 10, 0, 0, Jst);
    private static readonly Guid Case = Guid.CreateVersion7();

    private static TicketOpened Opened(CustomerTier tier = CustomerTier.Standard, Channel channel = Channel.Chat) =>
        new(Case, "ESC-1", channel, "conv-1", new CustomerInfo("c", null, tier, "ja", null), "s", "billing", "c-1", TuesdayTen);

    private static ContactReceived Contact(AuthorKind author, DateTimeOffset at) =>
        new(Case, Guid.NewGuid().ToString(), Channel.Chat, author, "text", "ja", null, null, null, ContactEntities.None, at, at);

    /// <summary>Feeds case events one by one, applying each and SLA-watch's decision on it, as the service does.</summary>
    private static (SlaCase State, List<ICaseEvent> Decided) Run(params object[] events)
    {
        var state = SlaCase.Create((TicketOpened)events[0]);
        var decided = new List<ICaseEvent>();
        foreach (var e in events)
        {
            state = state.Apply(e);
            var decision = SlaClocks.Decide(state, e, Policy);
            decided.AddRange(decision);
            state = decision.Aggregate(state, (s, d) => s.Apply(d));
        }

        return (state, decided);
    }

    [Fact]
    public void A_ticket_starts_first_response_and_resolution_in_the_policy_calendar()
    {
        var (_, decided) = Run(Opened());

        var started = decided.Cast<SlaClockStarted>().ToDictionary(s => s.Metric);
        Assert.Equal((TimeSpan.FromHours(4), "tokyo-business"), (started[SlaMetric.FirstResponse].Target, started[SlaMetric.FirstResponse].Calendar));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 15, 0, 0, Jst), started[SlaMetric.FirstResponse].DueAt); // 4 business hours with lunch
        Assert.Equal(("default", 2), (started[SlaMetric.Resolution].PolicyId, started[SlaMetric.Resolution].PolicyVersion));
    }

    [Fact]
    public void The_agents_response_stops_first_response_and_pauses_resolution_until_the_customer_writes()
    {
        var (state, decided) = Run(Opened(), Contact(AuthorKind.Agent, TuesdayTen.AddMinutes(30)), Contact(AuthorKind.Customer, TuesdayTen.AddHours(5)));

        var stopped = Assert.Single(decided.OfType<SlaClockStopped>());
        Assert.True(stopped.Met);
        Assert.Equal(TimeSpan.FromMinutes(30), stopped.Elapsed);
        Assert.Equal("awaiting customer", Assert.Single(decided.OfType<SlaClockPaused>()).Reason);
        var resumed = Assert.Single(decided.OfType<SlaClockResumed>());
        // 30 business minutes ran before the pause; 24 h - 30 min remain from Tuesday 15:00: Wednesday 2 h 30 (to 18:00) + 21 h 30 … ends Tuesday next week.
        var resolution = state.Clocks.Values.Single(c => c.Metric == SlaMetric.Resolution);
        Assert.Equal(TimeSpan.FromMinutes(30), SlaClocks.Elapsed(resolution, Policy, TuesdayTen.AddHours(5)));
        Assert.Equal(Policy.Calendar("tokyo-business").Add(TuesdayTen.AddHours(5).ToInstant(), Duration.FromHours(72) - Duration.FromMinutes(30)).ToDateTimeOffset(), resumed.DueAt);
        Assert.Single(decided.OfType<SlaClockStarted>(), s => s.Metric == SlaMetric.NextResponse); // the customer's message awaits a next response
    }

    [Fact]
    public void Warnings_fire_at_each_threshold_once_and_the_breach_at_the_target_marked_late_when_missed()
    {
        var (state, _) = Run(Opened(CustomerTier.Strategic)); // P2: first response 30 min, 24×7
        var clock = state.Clocks.Values.Single(c => c.Metric == SlaMetric.FirstResponse);
        var time = new FakeTimeProvider(TuesdayTen.AddMinutes(22).AddSeconds(30)); // exactly 75 %

        var atSeventyFive = SlaClocks.Fire(state, clock.Id, Policy, time.GetUtcNow());
        state = atSeventyFive.Aggregate(state, (s, e) => s.Apply(e));
        var again = SlaClocks.Fire(state, clock.Id, Policy, time.GetUtcNow());
        time.Advance(TimeSpan.FromMinutes(8)); // 90 % was at 27:00, the breach at 30:00; now 30:30
        var missed = SlaClocks.Fire(state, clock.Id, Policy, time.GetUtcNow());

        var warning = Assert.IsType<SlaBreachImminent>(Assert.Single(atSeventyFive));
        Assert.Equal((75, TimeSpan.FromMinutes(7.5), false), (warning.ThresholdPercent, warning.Remaining, warning.Late));
        Assert.Empty(again);
        Assert.Equal(90, Assert.IsType<SlaBreachImminent>(missed[0]).ThresholdPercent);
        var breach = Assert.IsType<SlaBreached>(missed[1]);
        Assert.True(breach.Late);
        Assert.Equal(TuesdayTen.AddMinutes(30), breach.DueAt);
        Assert.Null(SlaClocks.NextAlert(missed.Aggregate(state, (s, e) => s.Apply(e)).Clocks[clock.Id], Policy));
    }

    [Fact]
    public void A_raised_priority_retargets_running_clocks_and_keeps_the_time_already_elapsed()
    {
        var escalated = new EscalationRequested(Case, Guid.NewGuid(), EscalationType.Priority, [], Priority.P2, Tier.L1, Tier.L2, "fraud",
            new HandoffPacket("", [], ContactEntities.None, "", [], [], "", []), "r", TuesdayTen.AddMinutes(20));

        var (state, decided) = Run(Opened(), escalated);

        var retarget = decided.OfType<SlaClockRetargeted>().Single(r => r.Metric == SlaMetric.FirstResponse);
        Assert.Equal((TimeSpan.FromMinutes(30), "24x7"), (retarget.Target, retarget.Calendar));
        Assert.Equal(TuesdayTen.AddMinutes(30), retarget.DueAt); // 20 min elapsed of the new 30
        Assert.Equal(TimeSpan.FromMinutes(25), SlaClocks.Elapsed(state.Clocks[retarget.ClockId], Policy, TuesdayTen.AddMinutes(25)));
    }

    [Fact]
    public void Routing_starts_the_acknowledgement_clock_and_acknowledging_stops_it()
    {
        var escalation = Guid.NewGuid();
        var routed = new EscalationRouted(Case, escalation, "team", "aiko", [], [], TuesdayTen.AddHours(1), 0, "m", TuesdayTen.AddMinutes(5));
        var acknowledged = new EscalationAcknowledged(Case, escalation, "aiko", TuesdayTen.AddMinutes(12));

        var (_, decided) = Run(Opened(), routed, routed, acknowledged);

        Assert.Single(decided.OfType<SlaClockStarted>(), s => s.Metric == SlaMetric.EscalationAcknowledgement);
        var stopped = Assert.Single(decided.OfType<SlaClockStopped>());
        Assert.Equal((SlaMetric.EscalationAcknowledgement, TimeSpan.FromMinutes(7), true), (stopped.Metric, stopped.Elapsed, stopped.Met));
    }

    [Fact]
    public void Every_clock_can_be_reconstructed_for_any_past_moment_from_the_stream()
    {
        var agent = Contact(AuthorKind.Agent, TuesdayTen.AddMinutes(30));
        var (_, decided) = Run(Opened(), agent);
        var stream = new List<IEvent> { Wrap(Opened(), 1, TuesdayTen), Wrap(agent, 2, agent.ReceivedAt) };
        stream.AddRange(decided.Select((d, i) => Wrap(d, 3 + i, d switch
        {
            SlaClockStarted s => s.StartedAt,
            SlaClockStopped s => s.StoppedAt,
            SlaClockPaused p => p.PausedAt,
            _ => TuesdayTen,
        })));

        var atTwenty = SlaAsOf.At(stream, Policy, TuesdayTen.AddMinutes(20)).ToDictionary(c => c.Metric);
        var atNoon = SlaAsOf.At(stream, Policy, TuesdayTen.AddHours(2)).ToDictionary(c => c.Metric);

        Assert.Equal((ClockStatus.Running, TimeSpan.FromMinutes(20)), (atTwenty[SlaMetric.FirstResponse].Status, atTwenty[SlaMetric.FirstResponse].Elapsed));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 15, 0, 0, Jst), atTwenty[SlaMetric.FirstResponse].DueAt);
        Assert.Equal((ClockStatus.Stopped, TimeSpan.FromMinutes(30)), (atNoon[SlaMetric.FirstResponse].Status, atNoon[SlaMetric.FirstResponse].Elapsed));
        Assert.Equal((ClockStatus.Paused, TimeSpan.FromMinutes(30)), (atNoon[SlaMetric.Resolution].Status, atNoon[SlaMetric.Resolution].Elapsed));
    }

    private static IEvent Wrap(object data, int version, DateTimeOffset at) => CaseFixtures.Stored(data, version, at);
}
