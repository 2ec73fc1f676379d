namespace Escalation.Contracts.Sla;

/// <summary>An SLA clock started.</summary>
/// <param name="ClockId">Clock id, unique per case and metric occurrence.</param>
/// <param name="Metric">What it measures.</param>
/// <param name="PolicyId">The SLA policy.</param>
/// <param name="PolicyVersion">Version of that policy.</param>
/// <param name="Calendar">Business calendar id.</param>
/// <param name="Target">Target duration in business time.</param>
/// <param name="StartedAt">When the clock started.</param>
/// <param name="DueAt">When it breaches, in wall-clock time.</param>
public sealed record SlaClockStarted(
    Guid CaseId,
    Guid ClockId,
    SlaMetric Metric,
    string PolicyId,
    int PolicyVersion,
    string Calendar,
    TimeSpan Target,
    DateTimeOffset StartedAt,
    DateTimeOffset DueAt) : ICaseEvent;

/// <summary>The clock paused (waiting on the customer).</summary>
public sealed record SlaClockPaused(Guid CaseId, Guid ClockId, string Reason, DateTimeOffset PausedAt) : ICaseEvent;

/// <summary>The clock resumed with a new due time.</summary>
public sealed record SlaClockResumed(Guid CaseId, Guid ClockId, DateTimeOffset ResumedAt, DateTimeOffset DueAt) : ICaseEvent;

/// <summary>
/// The case's priority or tier changed and the policy gives the clock another target: elapsed time is kept, the due
/// time moves (earlier for a more urgent priority).
/// </summary>
/// <param name="Calendar">The calendar the rest of the clock counts in (a more urgent priority may count 24×7).</param>
/// <param name="DueAt">The new due time; null while the clock is paused.</param>
public sealed record SlaClockRetargeted(Guid CaseId, Guid ClockId, SlaMetric Metric, TimeSpan Target, string Calendar, DateTimeOffset? DueAt, string Reason,
    DateTimeOffset RetargetedAt) : ICaseEvent;

/// <summary>A warning threshold was crossed.</summary>
public sealed record SlaBreachImminent(Guid CaseId, Guid ClockId, SlaMetric Metric, int ThresholdPercent, TimeSpan Remaining, DateTimeOffset DueAt, DateTimeOffset DetectedAt, bool Late) : ICaseEvent;

/// <summary>The target was missed.</summary>
public sealed record SlaBreached(Guid CaseId, Guid ClockId, SlaMetric Metric, DateTimeOffset DueAt, DateTimeOffset DetectedAt, bool Late) : ICaseEvent;

/// <summary>The clock stopped; <paramref name="Met"/> tells whether the target was met.</summary>
public sealed record SlaClockStopped(Guid CaseId, Guid ClockId, SlaMetric Metric, bool Met, TimeSpan Elapsed, DateTimeOffset StoppedAt) : ICaseEvent;
