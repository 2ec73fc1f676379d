using Escalation.Bench.Measuring;

namespace Escalation.UnitTests.Bench;

/// <summary>The cheap counters the bench samples every 500 ms say what the page walk it samples every 10 s says.</summary>
public sealed class ServiceMemoryTests
{
    [Fact]
    public void The_kernel_counters_give_the_same_rss_and_anonymous_memory_as_smaps_rollup()
    {
        var pid = Environment.ProcessId;
        var walked = ServiceProcesses.ReadMemory(pid);
        var counted = ServiceProcesses.ReadCounters(pid);

        Assert.True(counted.Rss > 0 && counted.Anonymous > 0 && counted.Anonymous < counted.Rss, $"{counted}");
        Assert.Equal(0, counted.Pss); // only the page walk knows the proportional share
        Assert.InRange(counted.Rss, walked.Rss * 0.9, walked.Rss * 1.1);
        Assert.InRange(counted.Anonymous, walked.Anonymous * 0.9, walked.Anonymous * 1.1);
    }
}
