using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Escalation.Bench.Report;

/// <summary>The report as Markdown (for people and the repository) and JSON (for comparing runs).</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string ToJson(BenchReport report) => JsonSerializer.Serialize(report, Json);

    public static string ToMarkdown(BenchReport report)
    {
        var run = report.Run;
        var md = new StringBuilder();
        md.AppendLine($"# Benchmark {run.StartedAt:yyyy-MM-dd HH:mm} UTC — {run.Label}");
        md.AppendLine();
        md.AppendLine($"Commit `{run.Commit}` · {run.Machine}, {run.Cores} cores, {N(run.MemoryGigabytes, 0)} GiB · {run.Runtime}. " +
                      "Everything (PostgreSQL, RabbitMQ, six services, load generator) ran on this one machine.");
        md.AppendLine();

        foreach (var failure in report.Failures)
        {
            md.AppendLine($"**Phase failed**: {failure}");
            md.AppendLine();
        }

        md.AppendLine("## Raw limits (same run)");
        md.AppendLine();
        md.AppendLine("| limit | per second | clients | how |");
        md.AppendLine("|---|---:|---:|---|");
        foreach (var limit in report.Limits)
        {
            md.AppendLine($"| {limit.Name} | {N(limit.PerSecond, 0)} | {limit.Clients} | {limit.Method} |");
        }

        md.AppendLine();
        md.AppendLine("## Results");
        md.AppendLine();
        md.AppendLine("| figure | value | ratio to limit | goal | met |");
        md.AppendLine("|---|---:|---:|---|:---:|");
        foreach (var figure in report.Figures)
        {
            var ratio = figure.Ratio is { } r ? $"{N(100 * r, 1)} % of {figure.Limit}" : "";
            var note = figure.Note is null ? "" : $" ({figure.Note})";
            md.AppendLine($"| {figure.Name}{note} | {N(figure.Value, figure.Value < 100 ? 1 : 0)} {figure.Unit} | {ratio} | {figure.Goal} | {Met(figure.Met)} |");
        }

        md.AppendLine();
        md.AppendLine("## Latency (milliseconds)");
        md.AppendLine();
        md.AppendLine("| measure | n | p50 | p95 | p99 | max | goal | met |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---|:---:|");
        foreach (var latency in report.Latencies)
        {
            var d = latency.Milliseconds;
            var note = latency.Note is null ? "" : $" ({latency.Note})";
            md.AppendLine($"| {latency.Name}{note} | {d.Count} | {N(d.P50, 1)} | {N(d.P95, 1)} | {N(d.P99, 1)} | {N(d.Max, 1)} | {latency.Goal} | {Met(latency.Met)} |");
        }

        md.AppendLine();
        md.AppendLine("## Peak memory under load (MB; RSS and anonymous sampled every 500 ms, PSS every 10 s)");
        md.AppendLine();
        md.AppendLine("RSS counts the runtime and framework pages all six services share in full; PSS divides them among the " +
                      "processes; anonymous is the service's own heap, code and stacks.");
        md.AppendLine();
        md.AppendLine("| service | peak RSS | peak PSS | peak anonymous | RSS goal ≤ 150 MB |");
        md.AppendLine("|---|---:|---:|---:|:---:|");
        foreach (var (service, memory) in report.PeakMemory.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            md.AppendLine($"| {service} | {N(memory.Rss, 0)} | {N(memory.Pss, 0)} | {N(memory.Anonymous, 0)} | {Met(memory.Rss <= 150)} |");
        }

        md.AppendLine();
        md.AppendLine("## Where the time goes (CPU seconds per phase; % = share of the machine's CPU time)");
        md.AppendLine();
        md.AppendLine("`bench` is the load generator itself, `other` the rest of the machine (kernel threads, tools); CPU pressure is the share");
        md.AppendLine("of the phase during which some runnable task waited for a CPU (Linux PSI); fixed work is the milliseconds a fixed");
        md.AppendLine("piece of CPU work (SHA-256 over 32 MB) took on the settled machine just before the phase: a higher number is a");
        md.AppendLine("slower machine (on a virtual machine, the host's other guests), so the same load costs more CPU seconds.");
        md.AppendLine();
        var groups = report.Cpu.SelectMany(p => p.CpuSeconds.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        md.AppendLine($"| phase | wall s | CPU pressure | fixed work ms | {string.Join(" | ", groups)} |");
        md.AppendLine($"|---|---:|---:|---:|{string.Concat(groups.Select(_ => "---:|"))}");
        foreach (var phase in report.Cpu)
        {
            var capacity = phase.WallSeconds * run.Cores;
            var cells = groups.Select(g => phase.CpuSeconds.TryGetValue(g, out var s) ? $"{N(s, 1)} ({N(100 * s / capacity, 0)} %)" : "");
            var pressure = phase.CpuPressurePercent is { } percent ? $"{N(percent, 0)} %" : "";
            var fixedWork = phase.FixedWorkMilliseconds is { } milliseconds ? N(milliseconds, 1) : "";
            md.AppendLine($"| {phase.Phase} | {N(phase.WallSeconds, 1)} | {pressure} | {fixedWork} | {string.Join(" | ", cells)} |");
        }

        foreach (var phase in report.TopStatements.GroupBy(statement => statement.Phase))
        {
            md.AppendLine();
            md.AppendLine($"## Database time by statement during the {phase.Key} (pg_stat_statements)");
            md.AppendLine();
            md.AppendLine("| statement | calls | total ms | mean ms |");
            md.AppendLine("|---|---:|---:|---:|");
            foreach (var statement in phase)
            {
                md.AppendLine($"| `{statement.Statement.Replace("|", "\\|")}` | {statement.Calls} | {N(statement.TotalMilliseconds, 0)} | {N(statement.MeanMilliseconds, 2)} |");
            }
        }

        return md.ToString();
    }

    private static string Met(bool? met) => met switch { true => "yes", false => "**no**", null => "" };

    private static string N(double value, int decimals) =>
        double.IsNaN(value) ? "–" : value.ToString("N" + decimals, CultureInfo.InvariantCulture);

    public static string ToJson(SoakReport report) => JsonSerializer.Serialize(report, Json);

    /// <summary>The soak's verdict and each curve's start, end, minimum and maximum.</summary>
    public static string ToMarkdown(SoakReport report)
    {
        var run = report.Run;
        var md = new StringBuilder();
        md.AppendLine($"# Soak {run.StartedAt:yyyy-MM-dd HH:mm} UTC — {run.Label}");
        md.AppendLine();
        md.AppendLine($"Commit `{run.Commit}` · {run.Machine}, {run.Cores} cores · {run.Runtime}. The mix over AMQP at " +
                      $"{N(report.ContactsPerSecond, 0)} contacts/s for {report.Length.TotalMinutes:0} min, everything on this one machine.");
        md.AppendLine();
        md.AppendLine("| | value |");
        md.AppendLine("|---|---:|");
        md.AppendLine($"| contacts sent (send failures) | {report.Sent:N0} ({report.SendFailures}) |");
        md.AppendLine($"| contacts recorded (once each when equal to sent) | {report.Recorded:N0} |");
        md.AppendLine($"| lost | {Math.Max(0, report.Sent - report.SendFailures - report.Recorded):N0} |");
        md.AppendLine($"| recorded more than once | {Math.Max(0, report.Recorded - (report.Sent - report.SendFailures)):N0} |");
        md.AppendLine($"| escalations routed and notified / sent | {report.EscalationsCompleted:N0} / {report.Escalations:N0} |");
        md.AppendLine($"| last escalation done after the sending ended | {report.DrainedAfter.TotalSeconds:N1} s |");
        md.AppendLine();
        md.AppendLine($"## Curves ({report.Samples.Count} samples)");
        md.AppendLine();
        md.AppendLine("| series | start | end | min | max |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        var samples = report.Samples;
        if (samples.Count > 0)
        {
            void Row(string name, Func<SoakSample, double> value) =>
                md.AppendLine($"| {name} | {N(value(samples[0]), 0)} | {N(value(samples[^1]), 0)} | {N(samples.Min(value), 0)} | {N(samples.Max(value), 0)} |");
            Row("messages queued (all consumed queues)", s => s.QueuedMessages);
            foreach (var service in samples.SelectMany(s => s.Memory.Keys).Distinct().Order(StringComparer.Ordinal))
            {
                Row($"{service} RSS MB", s => s.Memory.TryGetValue(service, out var m) ? m.Rss : 0);
                Row($"{service} PSS MB", s => s.Memory.TryGetValue(service, out var m) ? m.Pss : 0);
            }
        }

        return md.ToString();
    }
}
