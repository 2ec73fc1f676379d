using System.Collections.Immutable;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;

namespace Escalation.SlaWatch.Engine;

public enum ClockStatus { Running, Paused, Stopped }

/// <summary>A stretch of wall-clock time while the clock ran (open-ended while running), and the calendar it counts in.</summary>
public sealed record Segment(DateTimeOffset Start, DateTimeOffset? End, string Calendar);

/// <summary>One SLA clock as the stream tells it: segments of running time, target, calendar, thresholds already fired.</summary>
public sealed record Clock(
    Guid Id,
    SlaMetric Metric,
    string PolicyId,
    int PolicyVersion,
    string Calendar,
    TimeSpan Target,
    DateTimeOffset StartedAt,
    ImmutableList<Segment> Segments,
    ClockStatus Status,
    DateTimeOffset? DueAt,
    ImmutableSortedSet<int> Fired,
    bool? Met)
{
    public bool Open => Status != ClockStatus.Stopped;
}

/// <summary>What SLA-watch knows of a case, folded from the case stream (Marten live aggregation and as-of replay).</summary>
public sealed record SlaCase(
    Guid Id,
    string Category,
    CustomerTier CustomerTier,
    Priority? Priority,
    Tier Tier,
    ImmutableDictionary<Guid, Clock> Clocks,
    bool AwaitingCustomer,
    bool Resolved)
{
    public static SlaCase Create(TicketOpened opened) => new(opened.CaseId, opened.Category, opened.Customer.Tier, null,
        opened.Channel == Channel.Chatbot ? Tier.L0 : Tier.L1, ImmutableDictionary<Guid, Clock>.Empty, AwaitingCustomer: false, Resolved: false);

    public SlaCase Apply(SlaClockStarted e) => this with
    {
        Clocks = Clocks.SetItem(e.ClockId, new Clock(e.ClockId, e.Metric, e.PolicyId, e.PolicyVersion, e.Calendar, e.Target, e.StartedAt,
            [new Segment(e.StartedAt, null, e.Calendar)], ClockStatus.Running, e.DueAt, [], null)),
    };

    public SlaCase Apply(SlaClockPaused e) => Update(e.ClockId, c => c with
    {
        Status = ClockStatus.Paused, DueAt = null, Segments = Close(c.Segments, e.PausedAt),
    }) with { AwaitingCustomer = true };

    public SlaCase Apply(SlaClockResumed e) => Update(e.ClockId, c => c with
    {
        Status = ClockStatus.Running, DueAt = e.DueAt, Segments = c.Segments.Add(new Segment(e.ResumedAt, null, c.Calendar)),
    }) with { AwaitingCustomer = false };

    // Thresholds that fired stay fired: a longer target after a warning does not warn again.
    public SlaCase Apply(SlaClockRetargeted e) => Update(e.ClockId, c => c with
    {
        Target = e.Target,
        Calendar = e.Calendar,
        DueAt = e.DueAt,
        Segments = c.Status == ClockStatus.Running ? Close(c.Segments, e.RetargetedAt).Add(new Segment(e.RetargetedAt, null, e.Calendar)) : c.Segments,
    });

    public SlaCase Apply(SlaBreachImminent e) => Update(e.ClockId, c => c with { Fired = c.Fired.Add(e.ThresholdPercent) });

    public SlaCase Apply(SlaBreached e) => Update(e.ClockId, c => c with { Fired = c.Fired.Add(100) });

    public SlaCase Apply(SlaClockStopped e) => Update(e.ClockId, c => c with
    {
        Status = ClockStatus.Stopped, DueAt = null, Met = e.Met, Segments = Close(c.Segments, e.StoppedAt),
    });

    public SlaCase Apply(EscalationRequested e) => this with { Priority = e.Priority, Tier = e.ToTier };

    public SlaCase Apply(EscalationPriorityRaised e) => this with { Priority = e.To };

    public SlaCase Apply(CaseResolved e) => this with { Resolved = true };

    public SlaCase Apply(CaseReopened e) => this with { Resolved = false };

    /// <summary>Folds one event of SLA-watch's own or of the case (replay, as-of, and the events a decision just made).</summary>
    public SlaCase Apply(object e) => e switch
    {
        SlaClockStarted x => Apply(x),
        SlaClockPaused x => Apply(x),
        SlaClockResumed x => Apply(x),
        SlaClockRetargeted x => Apply(x),
        SlaBreachImminent x => Apply(x),
        SlaBreached x => Apply(x),
        SlaClockStopped x => Apply(x),
        EscalationRequested x => Apply(x),
        EscalationPriorityRaised x => Apply(x),
        CaseResolved x => Apply(x),
        CaseReopened x => Apply(x),
        _ => this,
    };

    public int Occurrences(SlaMetric metric) => Clocks.Values.Count(c => c.Metric == metric);

    public Clock? RunningOrPaused(SlaMetric metric) => Clocks.Values.Where(c => c.Metric == metric && c.Open).MaxBy(c => c.StartedAt);

    private SlaCase Update(Guid clockId, Func<Clock, Clock> change) =>
        Clocks.TryGetValue(clockId, out var clock) ? this with { Clocks = Clocks.SetItem(clockId, change(clock)) } : this;

    private static ImmutableList<Segment> Close(ImmutableList<Segment> segments, DateTimeOffset at) =>
        segments.Count > 0 && segments[^1].End is null ? segments.SetItem(segments.Count - 1, segments[^1] with { End = at }) : segments;
}
