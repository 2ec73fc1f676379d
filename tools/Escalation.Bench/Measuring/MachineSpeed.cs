using System.Diagnostics;
using System.Security.Cryptography;

namespace Escalation.Bench.Measuring;

/// <summary>
/// How fast this machine's CPU is right now: a fixed piece of work (SHA-256 over 32 MB), timed while the platform is
/// idle between phases. On a virtual machine the host's other guests can slow every core without the guest seeing
/// steal time; then the same load costs more CPU seconds and every latency grows, and only this says why. The best
/// of three tries, so one preempted try does not count.
/// </summary>
public static class MachineSpeed
{
    private const int Megabytes = 32;
    private static readonly byte[] Block = new byte[1 << 20];

    public static double ProbeMilliseconds() => Enumerable.Range(0, 3).Min(_ => Time(() =>
    {
        for (var i = 0; i < Megabytes; i++)
        {
            SHA256.HashData(Block);
        }
    }));

    /// <summary>Wall milliseconds of <paramref name="work"/> (the machine is idle when probed, so wall is CPU).</summary>
    public static double Time(Action work)
    {
        var clock = Stopwatch.StartNew();
        work();
        return clock.Elapsed.TotalMilliseconds;
    }
}
