using Escalation.Bench.Measuring;

namespace Escalation.UnitTests;

public sealed class CpuSnapshotTests
{
    [Fact]
    public void A_phase_splits_the_machines_cpu_into_the_groups_the_load_generator_and_the_rest_and_gives_the_pressure()
    {
        var before = new CpuSnapshot(new() { ["postgres"] = 100, ["Triage"] = 40 }, Bench: 10, Machine: 1_000, Pressure: 50);
        var after = new CpuSnapshot(new() { ["postgres"] = 112, ["Triage"] = 45, ["History"] = 3 }, Bench: 12, Machine: 1_025, Pressure: 54);

        var phase = after.Since(before, "latency", wallSeconds: 16);

        Assert.Equal("latency", phase.Phase);
        Assert.Equal(12, phase.CpuSeconds["postgres"], 6);
        Assert.Equal(5, phase.CpuSeconds["Triage"], 6);
        Assert.Equal(3, phase.CpuSeconds["History"], 6); // started during the phase
        Assert.Equal(2, phase.CpuSeconds[CpuSnapshot.BenchGroup], 6);
        Assert.Equal(25 - 12 - 5 - 3 - 2, phase.CpuSeconds[CpuSnapshot.OtherGroup], 6);
        Assert.Equal(25.0, phase.CpuPressurePercent!.Value, 6); // 4 s of 16 s
    }

    [Fact]
    public void Without_pressure_stall_information_the_pressure_is_unknown()
    {
        var before = new CpuSnapshot([], Bench: 0, Machine: 0, Pressure: null);
        var after = new CpuSnapshot([], Bench: 1, Machine: 3, Pressure: null);

        var phase = after.Since(before, "intake", wallSeconds: 2);

        Assert.Null(phase.CpuPressurePercent);
        Assert.Equal(2, phase.CpuSeconds[CpuSnapshot.OtherGroup], 6);
    }
}
