namespace Escalation.SlaWatch.Clocks;

/// <summary>Wakes the alarm when an alert is planned earlier than it meant to sleep (same process only; other instances poll).</summary>
public sealed class AlarmSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset _sleepingUntil = DateTimeOffset.MaxValue;

    public void Wake(DateTimeOffset fireAt)
    {
        lock (_gate)
        {
            if (fireAt < _sleepingUntil)
            {
                _wake.TrySetResult();
            }
        }
    }

    /// <summary>Sleeps until <paramref name="until"/> or until an earlier alert is planned.</summary>
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
