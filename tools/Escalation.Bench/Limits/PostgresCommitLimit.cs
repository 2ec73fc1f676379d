using Npgsql;
using NpgsqlTypes;

namespace Escalation.Bench.Limits;

/// <summary>
/// How many single-row insert+commit round trips per second this PostgreSQL server accepts from a number of
/// concurrent connections: the ceiling for an event store that commits each append in its own transaction.
/// </summary>
public static class PostgresCommitLimit
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);
    private static readonly string Payload = Payloads.JsonOfLength(400);

    public static async Task<LimitResult> MeasureAsync(string connectionString, int clients, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clients, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);

        // Every client keeps one physical connection for the whole run; a pool would only add its size limit.
        var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
        var table = $"bench.raw_commit_{Guid.NewGuid():N}";

        await using var admin = new NpgsqlConnection(unpooled);
        await admin.OpenAsync(cancellationToken);
        var synchronousCommit = await ScalarAsync(admin, "SHOW synchronous_commit", cancellationToken);
        await ExecuteAsync(admin, $"""
            CREATE SCHEMA IF NOT EXISTS bench;
            CREATE TABLE {table} (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                stream_id uuid NOT NULL,
                payload jsonb NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now())
            """, cancellationToken);

        var connections = Enumerable.Range(0, clients).Select(_ => new NpgsqlConnection(unpooled)).ToList();
        try
        {
            await Task.WhenAll(connections.Select(connection => connection.OpenAsync(cancellationToken)));
            var window = new MeasuredWindow(Warmup, duration);
            var counts = await Task.WhenAll(connections.Select(connection => InsertUntilWindowEndsAsync(connection, table, window, cancellationToken)));
            var operations = counts.Sum();

            return new LimitResult("PostgreSQL insert+commit", operations / duration.TotalSeconds, clients, duration, operations,
                $"single-row INSERT (~{Payload.Length} B jsonb), autocommit, {clients} connection(s), synchronous_commit={synchronousCommit}");
        }
        finally
        {
            foreach (var connection in connections)
                await connection.DisposeAsync();
            await ExecuteAsync(admin, $"DROP TABLE IF EXISTS {table}", CancellationToken.None);
        }
    }

    private static async Task<long> InsertUntilWindowEndsAsync(NpgsqlConnection connection, string table, MeasuredWindow window, CancellationToken cancellationToken)
    {
        var streamId = new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid };
        var payload = new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Jsonb, TypedValue = Payload };
        await using var insert = new NpgsqlCommand($"INSERT INTO {table} (stream_id, payload) VALUES ($1, $2)", connection)
        {
            Parameters = { streamId, payload },
        };
        await insert.PrepareAsync(cancellationToken);

        long completed = 0;
        while (!window.HasEnded)
        {
            streamId.TypedValue = Guid.NewGuid();
            await insert.ExecuteNonQueryAsync(cancellationToken);
            if (window.IsOpen)
                completed++;
        }
        return completed;
    }

    private static async Task<string> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken)) ?? "";
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
