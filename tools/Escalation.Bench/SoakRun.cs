using Escalation.Bench.Load;
using Escalation.Bench.Measuring;
using Escalation.Bench.Report;

namespace Escalation.Bench;

/// <summary>One look at the platform during a soak.</summary>
public sealed record SoakSample(double Minute, long QueuedMessages, IReadOnlyDictionary<string, ServiceMemory> Memory);

/// <summary>A soak: the mix at a fixed rate for a long time; what was lost or duplicated, and the curves' samples.</summary>
public sealed record SoakReport(RunInfo Run, double ContactsPerSecond, TimeSpan Length, int Sent, int SendFailures, long Recorded,
    int Escalations, int EscalationsCompleted, TimeSpan DrainedAfter, IReadOnlyList<SoakSample> Samples);

public sealed partial class BenchmarkRun
{
    /// <summary>
    /// Sends the mix over AMQP at <paramref name="contactRate"/> for <paramref name="length"/>, sampling queue depths
    /// and every service's memory every <paramref name="every"/>; then waits until every escalation is routed and
    /// notified and counts the recorded contacts (each exactly once means as many as were sent).
    /// </summary>
    public async Task<SoakReport> SoakAsync(RunInfo run, double contactRate, TimeSpan length, TimeSpan every, CancellationToken cancellationToken)
    {
        await SettleAsync(cancellationToken);
        var samples = new List<SoakSample>();
        var started = time.GetUtcNow();
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampling = Task.Run(() => Periodically.RunAsync(every, time, async () =>
        {
            var sample = new SoakSample((time.GetUtcNow() - started).TotalMinutes, await Platform.QueuedMessagesAsync(stopSampling.Token),
                ServiceProcesses.ServiceMemory());
            lock (samples) samples.Add(sample);
            Console.WriteLine($"   {sample.Minute,5:N1} min: {sample.QueuedMessages} queued; RSS " +
                              string.Join(", ", sample.Memory.OrderBy(m => m.Key).Select(m => $"{m.Key} {m.Value.Rss:N0}")));
        }, stopSampling.Token), CancellationToken.None);

        var (load, timelines, _, runId, from) = await DriveMixAsync("soak", contactRate, length, seed: 4, TimeSpan.FromMinutes(15), cancellationToken);
        var drained = time.GetUtcNow() - (load.StartedAt + load.SendingTook);
        await stopSampling.CancelAsync();
        await sampling;

        var (recorded, _) = await Store.ContactsRecordedAsync(from, runId, cancellationToken);
        return new SoakReport(run, contactRate, length, load.Sent.Count, load.Failed, recorded, load.Escalating,
            timelines.Count(t => t.CompletedAt is not null), drained, samples);
    }
}
