using System.Diagnostics;
using Escalation.Bench.Report;

namespace Escalation.Bench.Measuring;

/// <summary>
/// CPU used so far, from /proc: by each process group, by the load generator itself, by the whole machine, and the
/// time at least one runnable task waited for a CPU (Linux pressure stall information), which says how contended the
/// two cores were, whoever used them.
/// </summary>
public sealed record CpuSnapshot(Dictionary<string, double> Groups, double Bench, double Machine, double? Pressure)
{
    public const string BenchGroup = "bench";
    public const string OtherGroup = "other";

    public static CpuSnapshot Take() =>
        new(ServiceProcesses.CpuSeconds(), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, ServiceProcesses.MachineBusySeconds(),
            ServiceProcesses.CpuPressureSeconds());

    /// <summary>Each group's CPU since <paramref name="before"/>, the load generator's, and the rest of the machine's (kernel threads, tools).</summary>
    public PhaseCpu Since(CpuSnapshot before, string phase, double wallSeconds)
    {
        var used = Groups.ToDictionary(group => group.Key, group => Math.Max(0, group.Value - before.Groups.GetValueOrDefault(group.Key)));
        var bench = Bench - before.Bench;
        var other = Math.Max(0, Machine - before.Machine - bench - used.Values.Sum());
        (used[BenchGroup], used[OtherGroup]) = (bench, other);
        var pressure = Pressure - before.Pressure;
        return new PhaseCpu(phase, wallSeconds, used, pressure is { } waited && wallSeconds > 0 ? 100 * waited / wallSeconds : null);
    }
}
