using Escalation.ServiceDefaults;
using Npgsql;

namespace Escalation.History;

/// <summary>Reads Marten's progression table: the high-water mark and how far each projection or subscription has read.</summary>
public sealed class EventProgression(NpgsqlDataSource dataSource)
{
    /// <summary>Marten's name for the high-water mark row: every event at or below it is committed (or skipped for good).</summary>
    public const string HighWaterMarkName = "HighWaterMark";

    public async Task<long> HighWaterMarkAsync(CancellationToken cancellationToken) =>
        (await AllAsync(cancellationToken)).GetValueOrDefault(HighWaterMarkName);

    /// <summary>Position of a projection's shard (Marten names it <c>{projection}:All</c>), 0 before it ran.</summary>
    public async Task<long> ProjectionPositionAsync(string projection, CancellationToken cancellationToken) =>
        (await AllAsync(cancellationToken)).GetValueOrDefault($"{projection}:All");

    public async Task<IReadOnlyDictionary<string, long>> AllAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT name, last_seq_id FROM {EventStore.EventsSchema}.mt_event_progression");
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
