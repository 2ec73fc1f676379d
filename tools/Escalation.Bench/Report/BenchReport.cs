using Escalation.Bench.Limits;
using Escalation.Bench.Measuring;

namespace Escalation.Bench.Report;

/// <summary>Where and when the run happened, and with what.</summary>
public sealed record RunInfo(DateTimeOffset StartedAt, string Commit, string Machine, int Cores, double MemoryGigabytes, string Runtime, string Label);

/// <summary>
/// One result with its goal. <paramref name="Limit"/> names the raw limit it is divided by (<paramref name="Ratio"/>),
/// and <paramref name="Met"/> says whether the goal holds; null when the figure has no goal.
/// </summary>
public sealed record Figure(string Name, double Value, string Unit, string Goal, bool? Met, string? Limit = null, double? Ratio = null, string? Note = null);

public sealed record LatencyFigure(string Name, Distribution Milliseconds, string Goal, bool? Met, string? Note = null);

/// <summary>
/// CPU seconds each process group used during a phase, and the phase's wall time: where the time goes. CPU pressure is
/// the share of the wall time during which some runnable task waited for a CPU (null where the kernel does not say).
/// Machine speed is the milliseconds a fixed piece of work took just before the phase, on the settled machine
/// (<see cref="Measuring.MachineSpeed"/>): higher is a slower machine.
/// </summary>
public sealed record PhaseCpu(string Phase, double WallSeconds, IReadOnlyDictionary<string, double> CpuSeconds, double? CpuPressurePercent = null,
    double? FixedWorkMilliseconds = null);

/// <summary>A statement's share of the database's time during a phase (from pg_stat_statements, when installed).</summary>
public sealed record StatementCost(string Phase, string Statement, long Calls, double TotalMilliseconds, double MeanMilliseconds);

public sealed record BenchReport(
    RunInfo Run,
    IReadOnlyList<LimitResult> Limits,
    IReadOnlyList<Figure> Figures,
    IReadOnlyList<LatencyFigure> Latencies,
    IReadOnlyDictionary<string, ServiceMemory> PeakMemory,
    IReadOnlyList<PhaseCpu> Cpu,
    IReadOnlyList<StatementCost> TopStatements,
    IReadOnlyList<string> Failures);
