namespace Escalation.ServiceDefaults;

/// <summary>
/// Wakes a polling worker when work falls due earlier than it meant to sleep (an SLA alert planned sooner, a
/// notification to send now). Same process only; other instances find the work when they poll.
/// </summary>
public sealed class WakeSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset _sleepingUntil = DateTimeOffset.MaxValue;

    public void Wake(DateTimeOffset dueAt)
    {
        lock (_gate)
        {
            if (dueAt < _sleepingUntil)
            {
                _wake.TrySetResult();
            }
        }
    }

    /// <summary>Sleeps until <paramref name="until"/> or until earlier work is announced.</summary>
    public async Task SleepAsync(DateTimeOffset until, TimeSpan delay, TimeProvider time, CancellationToken cancellation)
    {
        Task woken;
        lock (_gate)
        {
            _sleepingUntil = until;
            if (_wake.Task.IsCompleted)
            {
                _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            woken = _wake.Task;
        }

        await Task.WhenAny(woken, Task.Delay(delay, time, cancellation));
        lock (_gate)
        {
            _sleepingUntil = DateTimeOffset.MaxValue;
        }
    }
}
