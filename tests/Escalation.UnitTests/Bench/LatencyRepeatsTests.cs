using Escalation.Bench.Measuring;

namespace Escalation.UnitTests.Bench;

/// <summary>Repeated latency runs are judged by the median of their p99s, not by the luckiest or unluckiest one.</summary>
public sealed class LatencyRepeatsTests
{
    [Fact]
    public void One_slow_run_among_three_does_not_decide_the_goal()
    {
        var summary = LatencyRepeats.Summarize([271, 958, 285]);

        Assert.Equal(285, summary.Milliseconds.P50);
        Assert.Equal(958, summary.Milliseconds.Max);
        Assert.True(summary.Met);
        Assert.Contains("271, 958, 285 ms", summary.Note);
    }

    [Fact]
    public void Two_slow_runs_among_three_miss_the_goal()
    {
        var summary = LatencyRepeats.Summarize([271, 958, 485]);

        Assert.Equal(485, summary.Milliseconds.P50);
        Assert.False(summary.Met);
    }
}
