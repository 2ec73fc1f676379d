namespace Escalation.Bench.Measuring;

public static class Periodically
{
    /// <summary>Runs <paramref name="tick"/> now and then every <paramref name="every"/> until <paramref name="stop"/>, which ends it quietly.</summary>
    public static async Task RunAsync(TimeSpan every, TimeProvider time, Func<Task> tick, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(every, time);
        do
        {
            await tick();
        }
        while (await timer.WaitForNextTickAsync(stop).AsTask().ContinueWith(t => !t.IsCanceled && t.Result));
    }
}
