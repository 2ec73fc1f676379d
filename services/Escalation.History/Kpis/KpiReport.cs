using System.Data;
using System.Text.Json;
using Escalation.Contracts;
using Npgsql;

namespace Escalation.History.Kpis;

public enum KpiGrouping { All, Day, Team, Category, Channel }

/// <summary>
/// Who waits for a KPI computation: a caller, or nobody (the gauges). Background work uses no parallel workers and
/// leaves out the p90s, which no gauge exports (they read as zero): sorting for them was half the query's time.
/// </summary>
public enum KpiWork { OnDemand, Background }

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

/// <summary>
/// The KPIs over the case records opened in a range, computed by the database: one pass over the range's rows (an
/// index range on the duplicated <c>opened_at</c> column) instead of every record loaded and deserialized, which the
/// gauges would otherwise do every refresh over a whole day of cases.
/// </summary>
/// <remarks>
/// Both queries run without PostgreSQL's JIT compiler. The planner expects 100 rows from each record's
/// <c>jsonb_each</c> (there are a handful, and most records have none), so a day of cases looks costly enough to
/// compile with inlining and optimization: measured on 90,000 records, 400 ms of compiling for 50 ms of work, in each
/// parallel worker. For the gauges (<see cref="KpiWork.Background"/>) they also run without parallel workers and
/// p90s: a background refresh must not take every core from the pipeline for a second.
/// </remarks>
public static class KpiReport
{
    public const string Unrouted = "(unrouted)";
    private static readonly string Table = $"{HistorySetup.Schema}.mt_doc_caserecord";

    /// <param name="to">Exclusive; null for no upper bound.</param>
    /// <returns>One row per group, in ordinal order of the key; none for no cases.</returns>
    public static async Task<IReadOnlyList<KpiRow>> ComputeAsync(NpgsqlDataSource dataSource, DateTimeOffset from, DateTimeOffset? to,
        KpiGrouping grouping, KpiWork work, CancellationToken cancellationToken)
    {
        var groupKey = KeySql(grouping);
        var clockCount = Column(nameof(CaseRecord.ClockCount)); // null on a record written before the column existed
        string P90(string value, string filter) => work == KpiWork.Background
            ? "NULL::numeric"
            : $"percentile_disc(0.9) WITHIN GROUP (ORDER BY {value}) FILTER (WHERE {filter})";
        const string range = "opened_at >= $1 AND ($2::timestamptz IS NULL OR opened_at < $2)";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One snapshot for both queries, so that compliance and the case counts describe the same records.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using (var settings = new NpgsqlCommand(work == KpiWork.Background
                         ? "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"
                         : "SET LOCAL jit = off", connection, transaction))
        {
            await settings.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        // A breach counts once per clock: the record keeps one outcome per clock id.
        batch.BatchCommands.Add(WithRange(new NpgsqlBatchCommand($"""
            SELECT {groupKey}, clock.value ->> '{JsonName(nameof(ClockOutcome.Metric))}',
                   (count(*) FILTER (WHERE (clock.value ->> '{JsonName(nameof(ClockOutcome.Met))}')::boolean))::int,
                   (count(*) FILTER (WHERE NOT (clock.value ->> '{JsonName(nameof(ClockOutcome.Met))}')::boolean))::int
            FROM {Table} CROSS JOIN LATERAL jsonb_each(data -> '{JsonName(nameof(CaseRecord.Clocks))}') AS clock
            WHERE {range} AND ({clockCount} > 0 OR ({clockCount} IS NULL AND data -> '{JsonName(nameof(CaseRecord.Clocks))}' <> jsonb_build_object()))
            GROUP BY 1, 2
            """), from, to));
        // Nearest-rank percentiles are percentile_disc; NULLs (a case never routed, never resolved) drop out of
        // avg and percentile_disc alike.
        batch.BatchCommands.Add(WithRange(new NpgsqlBatchCommand($"""
            WITH cases AS (
                SELECT {groupKey} AS key,
                       {Column(nameof(CaseRecord.Escalations))} AS escalations,
                       extract(epoch FROM {Column(nameof(CaseRecord.FirstRoutedAt))} - opened_at) AS to_escalation,
                       extract(epoch FROM {Column(nameof(CaseRecord.FirstResolvedAt))}
                                        - {Column(nameof(CaseRecord.FirstEscalationRequestedAt))}) AS after_escalation,
                       {Column(nameof(CaseRecord.FirstResolvedAt))} IS NOT NULL AS resolved
                FROM {Table} WHERE {range})
            SELECT key,
                   count(*)::int,
                   (count(*) FILTER (WHERE escalations > 0))::int,
                   avg(to_escalation) FILTER (WHERE escalations > 0),
                   {P90("to_escalation", "escalations > 0")},
                   avg(after_escalation) FILTER (WHERE escalations > 0 AND after_escalation >= 0),
                   {P90("after_escalation", "escalations > 0 AND after_escalation >= 0")},
                   (count(*) FILTER (WHERE resolved))::int,
                   (count(*) FILTER (WHERE resolved AND escalations = 0))::int,
                   (count(*) FILTER (WHERE escalations > 1))::int
            FROM cases GROUP BY key
            """), from, to));

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var compliance = new List<(string Key, MetricCompliance Clocks)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            compliance.Add((reader.GetString(0), new MetricCompliance(Enum.Parse<SlaMetric>(reader.GetString(1)), reader.GetInt32(2), reader.GetInt32(3))));
        }

        var complianceByKey = compliance.ToLookup(c => c.Key, c => c.Clocks, StringComparer.Ordinal);
        await reader.NextResultAsync(cancellationToken);
        var rows = new List<KpiRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var (key, cases, escalated, resolved) = (reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(7));
            rows.Add(new KpiRow(key, cases, escalated, Ratio(escalated, cases),
                Seconds(reader, 3), Seconds(reader, 4), Seconds(reader, 5), Seconds(reader, 6),
                resolved, Ratio(reader.GetInt32(8), resolved), Ratio(reader.GetInt32(9), escalated),
                [.. complianceByKey[key].OrderBy(metric => metric.Metric)]));
        }

        return [.. rows.OrderBy(row => row.Key, StringComparer.Ordinal)];
    }

    private static string KeySql(KpiGrouping grouping) => grouping switch
    {
        KpiGrouping.Day => "to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        KpiGrouping.Team => $"coalesce({Column(nameof(CaseRecord.FirstTeam))}, '{Unrouted}')",
        KpiGrouping.Category => Field(nameof(CaseRecord.Category)),
        KpiGrouping.Channel => Field(nameof(CaseRecord.Channel)),
        _ => "'all'",
    };

    /// <summary>
    /// The record's members the aggregates read from columns of their own, which Marten keeps beside the JSON (no index:
    /// nothing filters on them). Every gauge refresh reads a day of records; taking the fields apart from each record's
    /// JSON made it 147 instead of 57 ms for 36,000 records on an idle machine.
    /// </summary>
    public static readonly IReadOnlyList<string> ColumnMembers =
    [
        nameof(CaseRecord.Escalations), nameof(CaseRecord.FirstEscalationRequestedAt), nameof(CaseRecord.FirstRoutedAt),
        nameof(CaseRecord.FirstTeam), nameof(CaseRecord.FirstResolvedAt), nameof(CaseRecord.ClockCount),
    ];

    /// <summary>A duplicated member's column, named as Marten names it (snake_case).</summary>
    private static string Column(string property) => JsonNamingPolicy.SnakeCaseLower.ConvertName(property);

    /// <summary>A record's property as text, named as the document stores it (camelCase), so a rename cannot drift.</summary>
    private static string Field(string property) => $"(data ->> '{JsonName(property)}')";

    private static string JsonName(string property) => JsonNamingPolicy.CamelCase.ConvertName(property);

    private static NpgsqlBatchCommand WithRange(NpgsqlBatchCommand command, DateTimeOffset from, DateTimeOffset? to)
    {
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = from.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = to?.ToUniversalTime() });
        return command;
    }

    private static TimeSpan Seconds(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? TimeSpan.Zero : TimeSpan.FromSeconds((double)reader.GetDecimal(ordinal));

    private static double Ratio(int part, int whole) => whole == 0 ? 0 : (double)part / whole;
}
