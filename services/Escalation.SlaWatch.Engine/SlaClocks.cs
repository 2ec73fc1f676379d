using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using Escalation.ServiceDefaults;
using NodaTime;
using NodaTime.Extensions;

namespace Escalation.SlaWatch.Engine;

/// <summary>
/// The SLA clocks as pure decisions over the case stream. Case events start, stop, pause, resume and re-target
/// clocks; time makes them warn and breach (<see cref="Fire"/>). Elapsed time is business time in each segment's
/// calendar, so it is exact for any moment and can be recomputed from the stream.
/// </summary>
/// <remarks>
/// Start/stop rules: a ticket starts first response and resolution; an agent's response stops first response (and a
/// running next response) and, when the policy says so, pauses resolution while the case waits on the customer; the
/// customer's next contact resumes it and starts next response; routing an escalation starts its acknowledgement
/// clock, acknowledging stops it; resolving stops every clock; reopening starts a new resolution clock. A change of
/// priority or tier re-targets open clocks and keeps the time already elapsed.
/// </remarks>
public static class SlaClocks
{
    public const int Breach = 100;

    /// <summary>A warning or breach detected later than this after its instant is marked late.</summary>
    public static readonly TimeSpan LateAfter = TimeSpan.FromSeconds(1);

    public static Guid ClockId(Guid caseId, SlaMetric metric, string occurrence) => DeterministicId.From($"{caseId:N}/{metric}/{occurrence}");

    /// <summary>Business time the clock has run by <paramref name="at"/>.</summary>
    public static TimeSpan Elapsed(Clock clock, SlaPolicy policy, DateTimeOffset at) => clock.Segments
        .Where(s => s.Start < at)
        .Aggregate(Duration.Zero, (sum, s) => sum + policy.Calendar(s.Calendar).Between(s.Start.ToInstant(), Min(s.End ?? at, at).ToInstant()))
        .ToTimeSpan();

    /// <summary>The instant the clock reaches <paramref name="percent"/> of its target, if it keeps running from now on.</summary>
    public static DateTimeOffset InstantOf(Clock clock, SlaPolicy policy, int percent)
    {
        var current = clock.Segments[^1];
        var before = Elapsed(clock, policy, current.Start);
        var left = TimeSpan.FromTicks(clock.Target.Ticks * percent / 100) - before;
        return policy.Calendar(current.Calendar).Add(current.Start.ToInstant(), Duration.FromTimeSpan(left < TimeSpan.Zero ? TimeSpan.Zero : left)).ToDateTimeOffset();
    }

    /// <summary>The next warning or breach of a running clock and when it is due; null when none is left.</summary>
    public static (DateTimeOffset FireAt, int Percent)? NextAlert(Clock clock, SlaPolicy policy)
    {
        if (clock.Status != ClockStatus.Running)
        {
            return null;
        }

        var next = policy.Thresholds.Append(Breach).Order().FirstOrDefault(p => !clock.Fired.Contains(p));
        return next == 0 ? null : (InstantOf(clock, policy, next), next);
    }

    /// <summary>Warnings and breaches whose instant has passed, each once, in order; late ones are marked.</summary>
    public static IReadOnlyList<ICaseEvent> Fire(SlaCase? state, Guid clockId, SlaPolicy policy, DateTimeOffset now)
    {
        if (state?.Clocks.GetValueOrDefault(clockId) is not { Status: ClockStatus.Running } clock)
        {
            return [];
        }

        var due = InstantOf(clock, policy, Breach);
        var events = new List<ICaseEvent>();
        foreach (var percent in policy.Thresholds.Append(Breach).Order().Where(p => !clock.Fired.Contains(p)))
        {
            var at = InstantOf(clock, policy, percent);
            if (at > now)
            {
                break;
            }

            var late = now - at > LateAfter;
            events.Add(percent == Breach
                ? new SlaBreached(state.Id, clock.Id, clock.Metric, due, now, late)
                : new SlaBreachImminent(state.Id, clock.Id, clock.Metric, percent, TimeSpan.FromTicks(clock.Target.Ticks * (100 - percent) / 100), due, now, late));
        }

        return events;
    }

    /// <summary>What a case event does to the clocks; <paramref name="state"/> already includes the event.</summary>
    public static IReadOnlyList<ICaseEvent> Decide(SlaCase? state, object stimulus, SlaPolicy policy)
    {
        if (state is null)
        {
            return [];
        }

        return stimulus switch
        {
            TicketOpened opened => Start(state, SlaMetric.FirstResponse, "1", policy, opened.OpenedAt)
                .Concat(Start(state, SlaMetric.Resolution, "1", policy, opened.OpenedAt)).ToList(),
            ContactReceived { Author: AuthorKind.Customer } contact => CustomerWrote(state, policy, contact.ReceivedAt),
            ContactReceived { Author: AuthorKind.Agent } contact => AgentResponded(state, policy, contact.ReceivedAt),
            AgentResponded responded => AgentResponded(state, policy, responded.RespondedAt),
            EscalationRouted routed => Start(state, SlaMetric.EscalationAcknowledgement, routed.EscalationId.ToString("N"), policy, routed.RoutedAt),
            EscalationAcknowledged acknowledged => Stop(state, policy, acknowledged.AcknowledgedAt,
                state.Clocks.GetValueOrDefault(ClockId(state.Id, SlaMetric.EscalationAcknowledgement, acknowledged.EscalationId.ToString("N")))),
            EscalationRequested requested => Retarget(state, policy, requested.RequestedAt, $"escalated to {requested.ToTier} at {requested.Priority}"),
            EscalationPriorityRaised raised => Retarget(state, policy, raised.RaisedAt, $"priority raised to {raised.To}"),
            CaseResolved resolved => state.Clocks.Values.Where(c => c.Open).OrderBy(c => c.StartedAt).SelectMany(c => Stop(state, policy, resolved.ResolvedAt, c)).ToList(),
            CaseReopened reopened => Start(state, SlaMetric.Resolution, (state.Occurrences(SlaMetric.Resolution) + 1).ToString(), policy, reopened.ReopenedAt),
            _ => [],
        };
    }

    private static IReadOnlyList<ICaseEvent> CustomerWrote(SlaCase state, SlaPolicy policy, DateTimeOffset at)
    {
        var events = new List<ICaseEvent>();
        if (state.RunningOrPaused(SlaMetric.Resolution) is { Status: ClockStatus.Paused } paused)
        {
            var resumed = paused with { Status = ClockStatus.Running, Segments = paused.Segments.Add(new Segment(at, null, paused.Calendar)) };
            events.Add(new SlaClockResumed(state.Id, paused.Id, at, InstantOf(resumed, policy, Breach)));
        }

        var responded = state.Clocks.Values.Any(c => c.Metric == SlaMetric.FirstResponse && !c.Open);
        if (responded && state.RunningOrPaused(SlaMetric.NextResponse) is null && !state.Resolved)
        {
            events.AddRange(Start(state, SlaMetric.NextResponse, (state.Occurrences(SlaMetric.NextResponse) + 1).ToString(), policy, at));
        }

        return events;
    }

    private static IReadOnlyList<ICaseEvent> AgentResponded(SlaCase state, SlaPolicy policy, DateTimeOffset at)
    {
        var events = new List<ICaseEvent>();
        foreach (var metric in new[] { SlaMetric.FirstResponse, SlaMetric.NextResponse })
        {
            events.AddRange(Stop(state, policy, at, state.RunningOrPaused(metric)));
        }

        if (policy.PauseResolutionWhileAwaitingCustomer && state.RunningOrPaused(SlaMetric.Resolution) is { Status: ClockStatus.Running } resolution)
        {
            events.Add(new SlaClockPaused(state.Id, resolution.Id, "awaiting customer", at));
        }

        return events;
    }

    private static IReadOnlyList<ICaseEvent> Start(SlaCase state, SlaMetric metric, string occurrence, SlaPolicy policy, DateTimeOffset at)
    {
        var id = ClockId(state.Id, metric, occurrence);
        if (state.Clocks.ContainsKey(id) || state.Resolved)
        {
            return [];
        }

        var target = policy.TargetFor(state.Priority ?? policy.InitialPriorityOf(state.CustomerTier), state.Tier, state.Category);
        var duration = target.For(metric);
        var due = policy.Calendar(target.Calendar).Add(at.ToInstant(), Duration.FromTimeSpan(duration)).ToDateTimeOffset();
        return [new SlaClockStarted(state.Id, id, metric, policy.Id, policy.Version, target.Calendar, duration, at, due)];
    }

    private static IReadOnlyList<ICaseEvent> Stop(SlaCase state, SlaPolicy policy, DateTimeOffset at, Clock? clock)
    {
        if (clock is not { Open: true })
        {
            return [];
        }

        var elapsed = Elapsed(clock, policy, at);
        return [new SlaClockStopped(state.Id, clock.Id, clock.Metric, elapsed <= clock.Target, elapsed, at)];
    }

    private static IReadOnlyList<ICaseEvent> Retarget(SlaCase state, SlaPolicy policy, DateTimeOffset at, string reason)
    {
        var target = policy.TargetFor(state.Priority ?? policy.InitialPriorityOf(state.CustomerTier), state.Tier, state.Category);
        var events = new List<ICaseEvent>();
        foreach (var clock in state.Clocks.Values.Where(c => c.Open).OrderBy(c => c.StartedAt))
        {
            var duration = target.For(clock.Metric);
            if (duration == clock.Target && target.Calendar == clock.Calendar)
            {
                continue;
            }

            var moved = state.Apply(new SlaClockRetargeted(state.Id, clock.Id, clock.Metric, duration, target.Calendar, null, reason, at)).Clocks[clock.Id];
            var due = clock.Status == ClockStatus.Running ? InstantOf(moved, policy, Breach) : (DateTimeOffset?)null;
            events.Add(new SlaClockRetargeted(state.Id, clock.Id, clock.Metric, duration, target.Calendar, due, reason, at));
        }

        return events;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
