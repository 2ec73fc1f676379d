using System.Globalization;
using Escalation.Bench.Report;

namespace Escalation.Bench.Measuring;

/// <summary>
/// The latency run repeated within one benchmark: one run's p99 moves by up to 3× from run to run on a busy 2-core
/// machine, so a change is judged by the median of several runs' p99s, and their spread says how far one p99 can be
/// trusted.
/// </summary>
public static class LatencyRepeats
{
    public const double GoalMilliseconds = 300;

    /// <summary>The contact → routed p99 of each repeat, as one row: its p50 column is their median, judged against the goal.</summary>
    public static LatencyFigure Summarize(IReadOnlyList<double> p99s)
    {
        ArgumentOutOfRangeException.ThrowIfZero(p99s.Count);
        var tails = Distribution.Of(p99s);
        var each = string.Join(", ", p99s.Select(p => p.ToString("N0", CultureInfo.InvariantCulture)));
        return new LatencyFigure($"Contact → EscalationRouted p99 of each of {p99s.Count} latency runs", tails,
            $"median ≤ {GoalMilliseconds:N0} ms", tails.P50 <= GoalMilliseconds, $"{each} ms; p50 is their median");
    }
}
