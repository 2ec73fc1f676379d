namespace Escalation.ServiceDefaults;

/// <summary>
/// Wakes a polling worker when work falls due earlier than it meant to sleep (an SLA alert planned sooner, a
/// notification to send now). Same process only; other instances find the work when they poll.
/// </summary>
/// <remarks>
/// One announcement wakes one worker, not all of them: every woken worker polls the database, and the others would
/// find nothing (measured in Notification at 100 contacts/s: four workers woken per planned notification, a third of
/// its pool checkouts spent on empty polls). A worker that finds more than it can take announces again. An
/// announcement that finds no one asleep is kept for the next worker about to sleep, which then polls once more
/// instead of sleeping past work that committed after its last look.
/// </remarks>
public sealed class WakeSignal
{
    private readonly object _gate = new();
    private readonly List<Sleeper> _sleepers = [];
    private DateTimeOffset? _unheard;

    /// <summary>Workers asleep now, not yet woken.</summary>
    public int Sleeping
    {
        get
        {
            lock (_gate)
            {
                return _sleepers.Count;
            }
        }
    }

    public void Wake(DateTimeOffset dueAt)
    {
        lock (_gate)
        {
            var sleeper = _sleepers.Find(s => dueAt < s.Until);
            if (sleeper is not null)
            {
                _sleepers.Remove(sleeper);
                sleeper.Woken.TrySetResult();
            }
            else if (_sleepers.Count == 0)
            {
                _unheard = _unheard is { } earlier && earlier < dueAt ? earlier : dueAt;
            }
        }
    }

    /// <summary>
    /// Sleeps until <paramref name="nextDue"/> (at once when it has passed), at most <paramref name="longest"/> (also
    /// when nothing is due), or until earlier work is announced.
    /// </summary>
    public async Task SleepAsync(DateTimeOffset? nextDue, TimeSpan longest, TimeProvider time, CancellationToken cancellation)
    {
        var now = time.GetUtcNow();
        var delay = nextDue is { } next ? next - now : longest;
        delay = delay < TimeSpan.Zero ? TimeSpan.Zero : delay > longest ? longest : delay;
        var until = now + delay;
        var sleeper = new Sleeper(until);
        lock (_gate)
        {
            if (_unheard is { } due)
            {
                _unheard = null;
                if (due < until)
                {
                    return;
                }
            }

            _sleepers.Add(sleeper);
        }

        try
        {
            await Task.WhenAny(sleeper.Woken.Task, Task.Delay(delay, time, cancellation));
        }
        finally
        {
            lock (_gate)
            {
                _sleepers.Remove(sleeper);
            }
        }
    }

    private sealed class Sleeper(DateTimeOffset until)
    {
        public DateTimeOffset Until { get; } = until;
        public TaskCompletionSource Woken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
