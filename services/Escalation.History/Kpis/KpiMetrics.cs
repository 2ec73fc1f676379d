using System.Diagnostics.Metrics;
using Escalation.ServiceDefaults;
using Npgsql;

namespace Escalation.History.Kpis;

public sealed record KpiMetricsOptions
{
    /// <summary>The trailing window the gauges describe (cases opened within it).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How often the gauges' values are recomputed from the case-records projection (one aggregate query).</summary>
    public TimeSpan Refresh { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The KPIs as OpenTelemetry gauges (meter <c>Escalation.Platform</c>), per team, over the cases opened in a trailing
/// window: <c>escalation.kpi.*</c>. Recomputed every <see cref="KpiMetricsOptions.Refresh"/>, not on each scrape, so
/// a busy exporter costs no queries.
/// </summary>
public sealed partial class KpiMetrics : BackgroundService
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly KpiMetricsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<KpiMetrics> _logger;
    private volatile IReadOnlyList<KpiRow> _rows = [];

    public KpiMetrics(NpgsqlDataSource dataSource, KpiMetricsOptions options, TimeProvider time, IMeterFactory meters, ILogger<KpiMetrics> logger)
    {
        (_dataSource, _options, _time, _logger) = (dataSource, options, time, logger);
        var meter = meters.Create(Telemetry.MeterNames[0]);
        meter.CreateObservableGauge("escalation.kpi.cases", () => PerTeam(r => r.Cases), "{case}", "Cases opened in the window");
        meter.CreateObservableGauge("escalation.kpi.escalation_rate", () => PerTeam(r => r.EscalationRate), null, "Escalated cases / cases");
        meter.CreateObservableGauge("escalation.kpi.time_to_escalation", () => PerTeam(r => r.TimeToEscalationMean.TotalSeconds), "s",
            "Mean time from first contact to the first escalation routed");
        meter.CreateObservableGauge("escalation.kpi.resolution_after_escalation", () => PerTeam(r => r.ResolutionAfterEscalationMean.TotalSeconds), "s",
            "Mean time from the first escalation to resolution");
        meter.CreateObservableGauge("escalation.kpi.first_contact_resolution_rate", () => PerTeam(r => r.FirstContactResolutionRate), null,
            "Resolved cases never escalated / resolved cases");
        meter.CreateObservableGauge("escalation.kpi.repeat_escalation_rate", () => PerTeam(r => r.RepeatEscalationRate), null,
            "Cases escalated more than once / escalated cases");
        meter.CreateObservableGauge("escalation.kpi.sla_compliance", SlaCompliance, null, "SLA clocks met / clocks met or breached, per metric");
    }

    /// <summary>Replaces the gauges' values (the refresh loop; tests).</summary>
    public void Publish(IReadOnlyList<KpiRow> rows) => _rows = rows;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Publish(await KpiReport.ComputeAsync(_dataSource, _time.GetUtcNow() - _options.Window, to: null, KpiGrouping.Team, KpiWork.Background, stoppingToken));
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogRefreshFailed(exception);
            }

            await Task.Delay(_options.Refresh, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private IEnumerable<Measurement<double>> PerTeam(Func<KpiRow, double> value) =>
        _rows.Select(row => new Measurement<double>(value(row), new KeyValuePair<string, object?>(CaseTelemetry.Team, row.Key)));

    private IEnumerable<Measurement<double>> SlaCompliance() =>
        _rows.SelectMany(row => row.SlaCompliance.Select(m => new Measurement<double>(m.Rate,
            new KeyValuePair<string, object?>(CaseTelemetry.Team, row.Key), new KeyValuePair<string, object?>(CaseTelemetry.SlaMetric, m.Metric.ToString()))));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the KPI gauges failed; keeping the last values")]
    private partial void LogRefreshFailed(Exception exception);
}
