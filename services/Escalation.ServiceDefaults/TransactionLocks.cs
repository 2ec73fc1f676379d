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
}
