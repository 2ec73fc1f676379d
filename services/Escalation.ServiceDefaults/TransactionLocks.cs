using Marten;
using Npgsql;

namespace Escalation.ServiceDefaults;

/// <summary>Postgres advisory locks held until the session's transaction ends (commit or rollback).</summary>
public static class TransactionLocks
{
    /// <summary>
    /// Starts the session's transaction and takes one lock per key, in ordinal order so that two sessions taking
    /// overlapping keys cannot deadlock. Reads after this see everything committed before the lock was granted.
    /// </summary>
    public static async Task LockAsync(this IDocumentSession session, IEnumerable<string> keys, CancellationToken cancellation)
    {
        await session.BeginTransactionAsync(cancellation);
        foreach (var key in keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", session.Connection);
            command.Parameters.AddWithValue("key", key);
            await command.ExecuteNonQueryAsync(cancellation);
        }
    }

    /// <summary>
    /// Starts the session's transaction and takes the row locks of the case streams, in id order: the lock
    /// FetchForExclusiveWriting takes, for appending without reading the stream. Concurrent appenders then wait
    /// instead of colliding on a stream version (a collision would also leave a gap in the event sequence).
    /// </summary>
    public static async Task LockStreamsAsync(this IDocumentSession session, IEnumerable<Guid> streamIds, CancellationToken cancellation)
    {
        await session.BeginTransactionAsync(cancellation);
        await using var command = new NpgsqlCommand(
            $"SELECT id FROM {EventStore.EventsSchema}.mt_streams WHERE id = ANY(@ids) ORDER BY id FOR UPDATE", session.Connection);
        command.Parameters.AddWithValue("ids", streamIds.Distinct().ToArray());
        await command.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>
    /// Starts the session's transaction and takes the row locks of those case streams no other transaction holds,
    /// without waiting for the rest.
    /// </summary>
    /// <returns>The streams now locked: not those locked elsewhere, nor those that do not exist yet.</returns>
    public static async Task<HashSet<Guid>> LockFreeStreamsAsync(this IDocumentSession session, IEnumerable<Guid> streamIds, CancellationToken cancellation)
    {
        await session.BeginTransactionAsync(cancellation);
        await using var command = new NpgsqlCommand(
            $"SELECT id FROM {EventStore.EventsSchema}.mt_streams WHERE id = ANY(@ids) FOR UPDATE SKIP LOCKED", session.Connection);
        command.Parameters.AddWithValue("ids", streamIds.Distinct().ToArray());
        var locked = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation))
        {
            locked.Add(reader.GetGuid(0));
        }

        return locked;
    }
}
