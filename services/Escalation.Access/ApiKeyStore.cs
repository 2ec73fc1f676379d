using Npgsql;
using NpgsqlTypes;

namespace Escalation.Access;

/// <summary>
/// The key table every service reads, <c>access.api_keys</c>, shared like the event tables. Keys are issued, rotated
/// and revoked with <c>escalationctl keys</c>; a row never holds a secret, only its hash.
/// </summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    public const string Schema = "access";
    private const long MigrationLock = 0x4143_4345_5353; // "ACCESS"

    private const string Columns = "key_id, client, scopes, channel, contacts_per_second, created_at, expires_at, revoked_at, secret_hash";

    /// <summary>Creates the schema and table when missing; safe to run from every service at once.</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Execute(connection, $"SELECT pg_advisory_xact_lock({MigrationLock})", cancellationToken);
        await Execute(connection, $"""
            CREATE SCHEMA IF NOT EXISTS {Schema};
            CREATE TABLE IF NOT EXISTS {Schema}.api_keys (
                key_id text PRIMARY KEY,
                client text NOT NULL,
                scopes text[] NOT NULL,
                channel text NULL,
                contacts_per_second integer NULL CHECK (contacts_per_second > 0),
                created_at timestamptz NOT NULL,
                expires_at timestamptz NULL,
                revoked_at timestamptz NULL,
                secret_hash bytea NOT NULL);
            CREATE INDEX IF NOT EXISTS api_keys_client ON {Schema}.api_keys (client);
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <exception cref="ArgumentException">A scope is unknown, or there is none.</exception>
    public async Task<IssuedApiKey> IssueAsync(string client, IReadOnlyList<string> scopes, string? channel, int? contactsPerSecond,
        DateTimeOffset? expiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Validate(client, scopes, contactsPerSecond);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await InsertAsync(connection, client, scopes, channel, contactsPerSecond, expiresAt, now, cancellationToken);
    }

    /// <summary>
    /// Issues a new key like the client's newest active one and lets the client's other active keys expire after
    /// <paramref name="grace"/>, so callers can switch to the new key without an outage.
    /// </summary>
    /// <exception cref="InvalidOperationException">The client has no active key to rotate.</exception>
    public async Task<IssuedApiKey> RotateAsync(string client, TimeSpan grace, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var active = (await QueryAsync(connection,
                $"SELECT {Columns} FROM {Schema}.api_keys WHERE client = @client ORDER BY created_at DESC FOR UPDATE",
                command => command.Parameters.AddWithValue("client", client), cancellationToken))
            .Where(key => key.IsActiveAt(now))
            .ToList();
        var template = active.FirstOrDefault() ?? throw new InvalidOperationException($"Client '{client}' has no active key to rotate.");

        var lifetime = template.ExpiresAt - template.CreatedAt; // a rotated key lives as long as the one it replaces
        var issued = await InsertAsync(connection, client, template.Scopes, template.Channel, template.ContactsPerSecond, now + lifetime, now, cancellationToken);
        await using (var expire = new NpgsqlCommand(
            $"UPDATE {Schema}.api_keys SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), @until) WHERE key_id = ANY(@ids)", connection))
        {
            expire.Parameters.AddWithValue("until", now + grace);
            expire.Parameters.AddWithValue("ids", active.Select(key => key.KeyId).ToArray());
            await expire.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return issued;
    }

    /// <returns>False when there is no such key.</returns>
    public async Task<bool> RevokeAsync(string keyId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var revoke = new NpgsqlCommand($"UPDATE {Schema}.api_keys SET revoked_at = COALESCE(revoked_at, @now) WHERE key_id = @id", connection);
        revoke.Parameters.AddWithValue("now", now);
        revoke.Parameters.AddWithValue("id", keyId);
        return await revoke.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<ApiKey?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var found = await QueryAsync(connection, $"SELECT {Columns} FROM {Schema}.api_keys WHERE key_id = @id",
            command => command.Parameters.AddWithValue("id", keyId), cancellationToken);
        return found.SingleOrDefault();
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await QueryAsync(connection, $"SELECT {Columns} FROM {Schema}.api_keys ORDER BY client, created_at", _ => { }, cancellationToken);
    }

    private static void Validate(string client, IReadOnlyList<string> scopes, int? contactsPerSecond)
    {
        if (string.IsNullOrWhiteSpace(client)) throw new ArgumentException("A key needs a client name.", nameof(client));
        if (scopes.Count == 0) throw new ArgumentException($"A key needs at least one scope: {string.Join(", ", Scopes.All)}.", nameof(scopes));
        if (scopes.FirstOrDefault(scope => !Scopes.IsKnown(scope)) is { } unknown)
        {
            throw new ArgumentException($"Unknown scope '{unknown}'; the scopes are {string.Join(", ", Scopes.All)}.", nameof(scopes));
        }

        if (contactsPerSecond is <= 0) throw new ArgumentException("The rate limit must be positive.", nameof(contactsPerSecond));
    }

    private static async Task<IssuedApiKey> InsertAsync(NpgsqlConnection connection, string client, IReadOnlyList<string> scopes, string? channel,
        int? contactsPerSecond, DateTimeOffset? expiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (keyId, token, secretHash) = ApiKeyToken.Generate();
        var key = new ApiKey(keyId, client, [.. scopes.Distinct(StringComparer.Ordinal)], channel, contactsPerSecond, now, expiresAt, null, secretHash);
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {Schema}.api_keys ({Columns}) VALUES (@id, @client, @scopes, @channel, @rate, @created, @expires, NULL, @hash)", connection);
        insert.Parameters.AddWithValue("id", key.KeyId);
        insert.Parameters.AddWithValue("client", key.Client);
        insert.Parameters.AddWithValue("scopes", key.Scopes.ToArray());
        insert.Parameters.Add(new NpgsqlParameter("channel", NpgsqlDbType.Text) { Value = (object?)key.Channel ?? DBNull.Value });
        insert.Parameters.Add(new NpgsqlParameter("rate", NpgsqlDbType.Integer) { Value = (object?)key.ContactsPerSecond ?? DBNull.Value });
        insert.Parameters.AddWithValue("created", key.CreatedAt);
        insert.Parameters.Add(new NpgsqlParameter("expires", NpgsqlDbType.TimestampTz) { Value = (object?)key.ExpiresAt ?? DBNull.Value });
        insert.Parameters.AddWithValue("hash", key.SecretHash);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return new IssuedApiKey(key, token);
    }

    private static async Task<List<ApiKey>> QueryAsync(NpgsqlConnection connection, string sql, Action<NpgsqlCommand> bind, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        bind(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new ApiKey(
                reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.GetFieldValue<byte[]>(8)));
        }

        return keys;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
