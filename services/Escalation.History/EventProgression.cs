using Escalation.ServiceDefaults;
using Npgsql;

namespace Escalation.History;

/// <summary>Reads Marten's progression table: the high-water mark and how far each projection or subscription has read.</summary>
public sealed class EventProgression(NpgsqlDataSource dataSource)
{
    /// <summary>Marten's name for the high-water mark row: every event at or below it is committed (or skipped for good).</summary>
    public const string HighWaterMarkName = "HighWaterMark";

    private static readonly string Table = $"{EventStore.EventsSchema}.mt_event_progression";

    /// <summary>Marten's progression row of a projection's one shard.</summary>
    public static string ShardOf(string projection) => $"{projection}:All";

    /// <summary>Read every poll interval by the feed, so it asks for its one row only.</summary>
    public Task<long> HighWaterMarkAsync(CancellationToken cancellationToken) => PositionOfAsync(HighWaterMarkName, cancellationToken);

    /// <summary>Position of a projection's shard, 0 before it ran.</summary>
    public Task<long> ProjectionPositionAsync(string projection, CancellationToken cancellationToken) =>
        PositionOfAsync(ShardOf(projection), cancellationToken);

    private async Task<long> PositionOfAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT last_seq_id FROM {Table} WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : 0;
        }
        catch (PostgresException missing) when (missing.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0; // No daemon has run against this database yet.
        }
    }

    public async Task<IReadOnlyDictionary<string, long>> AllAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT name, last_seq_id FROM {Table}");
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        catch (PostgresException missing) when (missing.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // No daemon has run against this database yet.
        }

        return rows;
    }
}
