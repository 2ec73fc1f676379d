using System.Globalization;
using Escalation.Contracts;

namespace Escalation.History.Kpis;

public enum KpiGrouping { All, Day, Team, Category, Channel }

public sealed record MetricCompliance(SlaMetric Metric, int Met, int Breached)
{
    public double Rate => Met + Breached == 0 ? 0 : (double)Met / (Met + Breached);
}

/// <summary>The seeds' essential escalation metrics over one group of cases.</summary>
public sealed record KpiRow(
    string Key,
    int Cases,
    int EscalatedCases,
    double EscalationRate,
    TimeSpan TimeToEscalationMean,
    TimeSpan TimeToEscalationP90,
    TimeSpan ResolutionAfterEscalationMean,
    TimeSpan ResolutionAfterEscalationP90,
    int ResolvedCases,
    double FirstContactResolutionRate,
    double RepeatEscalationRate,
    IReadOnlyList<MetricCompliance> SlaCompliance);

public static class KpiReport
{
    public const string Unrouted = "(unrouted)";

    public static IReadOnlyList<KpiRow> Compute(IEnumerable<CaseRecord> records, KpiGrouping grouping) =>
        records.GroupBy(r => KeyOf(r, grouping), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Row(g.Key, g.ToList()))
            .ToList();

    public static string KeyOf(CaseRecord record, KpiGrouping grouping) => grouping switch
    {
        KpiGrouping.Day => record.OpenedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        KpiGrouping.Team => record.FirstTeam ?? Unrouted,
        KpiGrouping.Category => record.Category,
        KpiGrouping.Channel => record.Channel.ToString(),
        _ => "all",
    };

    private static KpiRow Row(string key, IReadOnlyList<CaseRecord> cases)
    {
        var escalated = cases.Where(c => c.Escalations > 0).ToList();
        var resolved = cases.Where(c => c.FirstResolvedAt is not null).ToList();
        var toEscalation = escalated.Where(c => c.FirstRoutedAt is not null).Select(c => c.FirstRoutedAt!.Value - c.OpenedAt).ToList();
        var afterEscalation = escalated.Where(c => c.FirstResolvedAt >= c.FirstEscalationRequestedAt)
            .Select(c => c.FirstResolvedAt!.Value - c.FirstEscalationRequestedAt!.Value).ToList();
        var clocks = cases.SelectMany(c => c.Clocks.Values).ToList();
        return new KpiRow(
            key,
            cases.Count,
            escalated.Count,
            Ratio(escalated.Count, cases.Count),
            Mean(toEscalation),
            Percentile(toEscalation, 0.9),
            Mean(afterEscalation),
            Percentile(afterEscalation, 0.9),
            resolved.Count,
            Ratio(resolved.Count(c => c.Escalations == 0), resolved.Count),
            Ratio(escalated.Count(c => c.Escalations > 1), escalated.Count),
            Enum.GetValues<SlaMetric>()
                .Select(metric => new MetricCompliance(metric, clocks.Count(o => o.Metric == metric && o.Met), clocks.Count(o => o.Metric == metric && !o.Met)))
                .Where(m => m.Met + m.Breached > 0)
                .ToList());
    }

    private static double Ratio(int part, int whole) => whole == 0 ? 0 : (double)part / whole;

    private static TimeSpan Mean(IReadOnlyList<TimeSpan> values) =>
        values.Count == 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)values.Average(v => (double)v.Ticks));

    /// <summary>Nearest-rank percentile.</summary>
    public static TimeSpan Percentile(IReadOnlyList<TimeSpan> values, double fraction)
    {
        if (values.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
