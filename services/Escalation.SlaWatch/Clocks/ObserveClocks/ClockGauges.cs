using System.Diagnostics.Metrics;
using Escalation.ServiceDefaults;
using Escalation.SlaWatch.Engine;
using Npgsql;

namespace Escalation.SlaWatch.Clocks.ObserveClocks;

/// <summary>
/// <c>escalation.sla.clocks</c>: running clocks that have not breached, by state — <c>on_track</c> (no warning yet) or
/// <c>at_risk</c> (a warning fired). Read from the alert table (one row per such clock, its next percent in a column
/// of its own rather than parsed out of each row's JSON) every <see cref="ClockGaugeOptions.Refresh"/>, not on each
/// export. Breaches and warnings are counted as they are appended
/// (<c>escalation.case_events.appended</c>).
/// </summary>
public sealed partial class ClockGauges : BackgroundService
{
    public const string StateTag = "escalation.sla_clock_state";

    private readonly NpgsqlDataSource _dataSource;
    private readonly SlaPolicy _policy;
    private readonly ClockGaugeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClockGauges> _logger;
    private volatile IReadOnlyDictionary<string, long> _clocks = new Dictionary<string, long>();

    public ClockGauges(NpgsqlDataSource dataSource, SlaPolicy policy, ClockGaugeOptions options, TimeProvider time, IMeterFactory meters, ILogger<ClockGauges> logger)
    {
        (_dataSource, _policy, _options, _time, _logger) = (dataSource, policy, options, time, logger);
        meters.Create(Telemetry.MeterNames[0]).CreateObservableGauge("escalation.sla.clocks",
            () => _clocks.Select(state => new Measurement<long>(state.Value, new KeyValuePair<string, object?>(StateTag, state.Key))),
            "{clock}", "Running SLA clocks that have not breached, on track or at risk");
    }

    /// <summary>On track when the next alert is the first warning; at risk once a warning fired.</summary>
    public static IReadOnlyDictionary<string, long> ByState(IEnumerable<(int NextPercent, long Clocks)> alerts, SlaPolicy policy)
    {
        var firstWarning = policy.Thresholds.Count == 0 ? SlaClocks.Breach : policy.Thresholds.Min();
        var byState = new Dictionary<string, long> { ["on_track"] = 0, ["at_risk"] = 0 };
        foreach (var (nextPercent, clocks) in alerts)
        {
            byState[nextPercent <= firstWarning ? "on_track" : "at_risk"] += clocks;
        }

        return byState;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _clocks = ByState(await ReadAlertsAsync(stoppingToken), _policy);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogRefreshFailed(exception);
            }

            await Task.Delay(_options.Refresh, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<List<(int, long)>> ReadAlertsAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT percent, count(*) FROM slawatch.mt_doc_clockalert GROUP BY 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var alerts = new List<(int, long)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            alerts.Add((reader.GetInt32(0), reader.GetInt64(1)));
        }

        return alerts;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the SLA clock gauges failed; keeping the last values")]
    private partial void LogRefreshFailed(Exception exception);
}

public sealed record ClockGaugeOptions
{
    public TimeSpan Refresh { get; init; } = TimeSpan.FromSeconds(15);
}
