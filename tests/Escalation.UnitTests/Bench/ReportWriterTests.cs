using Escalation.Bench.Measuring;
using Escalation.Bench.Report;

namespace Escalation.UnitTests.Bench;

/// <summary>The report says how fast the machine was before each phase, so a slow run can be told from slow code.</summary>
public sealed class ReportWriterTests
{
    private static BenchReport ReportWith(params PhaseCpu[] phases) => new(
        new RunInfo(new DateTimeOffset(2026, 11, 25, 4, 0, 0, TimeSpan.Zero), "abc1234", "Linux", 2, 24, ".NET 10", "test"),
        [], [], [], new Dictionary<string, ServiceMemory>(), phases, [], []);

    [Fact]
    public void Each_phase_row_carries_the_fixed_work_time_measured_before_it()
    {
        var markdown = ReportWriter.ToMarkdown(ReportWith(
            new PhaseCpu("latency at half rate (1 of 2)", 32.0, new Dictionary<string, double> { ["postgres"] = 16.0 }, 90, 35.5),
            new PhaseCpu("latency at half rate (2 of 2)", 32.0, new Dictionary<string, double> { ["postgres"] = 19.2 }, 97, 46.1)));

        Assert.Contains("| phase | wall s | CPU pressure | fixed work ms | postgres |", markdown);
        Assert.Contains("| latency at half rate (1 of 2) | 32.0 | 90 % | 35.5 | 16.0 (25 %) |", markdown);
        Assert.Contains("| latency at half rate (2 of 2) | 32.0 | 97 % | 46.1 | 19.2 (30 %) |", markdown);
    }

    [Fact]
    public void The_probe_times_a_fixed_amount_of_work()
    {
        var once = MachineSpeed.Time(() => Thread.SpinWait(1));
        var probe = MachineSpeed.ProbeMilliseconds();

        Assert.True(probe > once, $"32 MB of SHA-256 ({probe:N2} ms) should take longer than one spin ({once:N4} ms)");
    }
}
