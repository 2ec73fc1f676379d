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
    /// <param name="waitAtMost">
    /// When set, give up once any of the locks has been waited for this long: PostgreSQL then fails the statement with
    /// <see cref="PostgresErrorCodes.LockNotAvailable"/> (<see cref="IsLockWaitTooLong"/>) and the transaction with it.
    /// Later statements in the transaction wait as long as the connection's own setting allows.
    /// </param>
    public static async Task LockStreamsAsync(this IDocumentSession session, IEnumerable<Guid> streamIds, CancellationToken cancellation,
        TimeSpan? waitAtMost = null)
    {
        await session.BeginTransactionAsync(cancellation);
        await using var batch = new NpgsqlBatch(session.Connection);
        if (waitAtMost is { } wait)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET LOCAL lock_timeout = {Math.Max(1, (long)wait.TotalMilliseconds)}"));
        }

        var lockRows = new NpgsqlBatchCommand($"SELECT id FROM {EventStore.EventsSchema}.mt_streams WHERE id = ANY($1) ORDER BY id FOR UPDATE");
        lockRows.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = streamIds.Distinct().ToArray() });
        batch.BatchCommands.Add(lockRows);
        if (waitAtMost is not null)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL lock_timeout = DEFAULT"));
        }

        await batch.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>A lock statement that gave up waiting (<c>lock_timeout</c>), possibly wrapped.</summary>
    public static bool IsLockWaitTooLong(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable }
        || exception.InnerException is { } inner && IsLockWaitTooLong(inner);
}
