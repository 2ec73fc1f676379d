using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>
/// The suite runs every service as its own Postgres role (infra/postgres), so the whole suite shows the grants are
/// enough; these tests show they are no more than that: shared event tables, a private schema per service, no DDL.
/// </summary>
public sealed class DatabaseRoleTests(PlatformFixture platform)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_service_role_reads_and_appends_events_and_uses_its_own_schema_but_nothing_else()
    {
        await using var triage = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionStringOf("Triage"));
        await triage.OpenAsync(Cancellation);
        var ownTable = await FirstTableAsync("triage");
        var routingTable = await FirstTableAsync("routing");

        Assert.True(await ScalarAsync<long>(triage, "SELECT count(*) FROM events.mt_events") >= 0);
        Assert.True(await ScalarAsync<long>(triage, $"SELECT count(*) FROM {ownTable}") >= 0);
        await ScalarAsync<object>(triage, "SELECT key_id FROM access.api_keys LIMIT 1");

        await AssertRefusedAsync(triage, $"SELECT count(*) FROM {routingTable}", PostgresErrorCodes.InsufficientPrivilege);
        await AssertRefusedAsync(triage, "UPDATE events.mt_events SET data = data WHERE false", PostgresErrorCodes.InsufficientPrivilege);
        await AssertRefusedAsync(triage, "DELETE FROM events.mt_events WHERE false", PostgresErrorCodes.InsufficientPrivilege);
        await AssertRefusedAsync(triage, "DELETE FROM events.mt_streams WHERE false", PostgresErrorCodes.InsufficientPrivilege);
        await AssertRefusedAsync(triage, "INSERT INTO access.api_keys (key_id, client, scopes, created_at, secret_hash) VALUES ('x', 'x', '{}', now(), '\\x00')",
            PostgresErrorCodes.InsufficientPrivilege);
        await AssertRefusedAsync(triage, "CREATE TABLE triage.smuggled (id int)", PostgresErrorCodes.InsufficientPrivilege);
        await AssertRefusedAsync(triage, "ALTER TABLE events.mt_events ADD COLUMN smuggled int", PostgresErrorCodes.InsufficientPrivilege);
        await AssertRefusedAsync(triage, "DROP TABLE events.mt_streams", PostgresErrorCodes.InsufficientPrivilege);
    }

    [Fact]
    public async Task Only_Historys_role_may_rewrite_an_event_which_is_how_erasure_masks_personal_data()
    {
        foreach (var service in PlatformFixture.Services.Where(service => service != "History"))
        {
            await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionStringOf(service));
            await connection.OpenAsync(Cancellation);
            await AssertRefusedAsync(connection, "UPDATE events.mt_events SET data = data WHERE false", PostgresErrorCodes.InsufficientPrivilege);
        }

        await using var history = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionStringOf("History"));
        await history.OpenAsync(Cancellation);
        await using var mask = new NpgsqlCommand("UPDATE events.mt_events SET data = data WHERE false", history);
        Assert.Equal(0, await mask.ExecuteNonQueryAsync(Cancellation));
        await AssertRefusedAsync(history, "DELETE FROM events.mt_events WHERE false", PostgresErrorCodes.InsufficientPrivilege);
    }

    [Fact]
    public async Task A_service_whose_role_may_not_migrate_refuses_to_start_on_a_schema_it_does_not_match()
    {
        var empty = $"{platform.Infrastructure.DatabaseName}_empty";
        await AdminAsync($"CREATE DATABASE {empty}");
        try
        {
            var (exitCode, output) = await platform.RunToExitAsync("Triage", [], new Dictionary<string, string?>
            {
                ["ConnectionStrings__postgres"] = new NpgsqlConnectionStringBuilder(platform.Infrastructure.PostgresConnectionStringOf("Triage")) { Database = empty }.ConnectionString,
            });

            Assert.NotNull(exitCode);
            Assert.NotEqual(0, exitCode);
            Assert.Contains("does not match this build of Escalation.Triage", output, StringComparison.Ordinal);
            Assert.Contains("migrate", output, StringComparison.Ordinal);
        }
        finally
        {
            await AdminAsync($"DROP DATABASE IF EXISTS {empty} WITH (FORCE)");
        }
    }

    [Fact]
    public async Task Migrate_is_idempotent_and_an_unknown_command_is_refused()
    {
        var owner = new Dictionary<string, string?> { ["ConnectionStrings__postgres"] = platform.Infrastructure.PostgresConnectionString };

        var (migrated, migrateOutput) = await platform.RunToExitAsync("Routing", ["migrate"], owner);
        Assert.True(migrated == 0, migrateOutput);
        Assert.Contains("schema of Escalation.Routing is up to date", migrateOutput, StringComparison.Ordinal);

        var (unknown, unknownOutput) = await platform.RunToExitAsync("Routing", ["migrat"], owner);
        Assert.Equal(2, unknown);
        Assert.Contains("Unknown command migrat", unknownOutput, StringComparison.Ordinal);
    }

    private async Task<string> FirstTableAsync(string schema)
    {
        await using var admin = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await admin.OpenAsync(Cancellation);
        var table = await ScalarAsync<string>(admin, $"SELECT '{schema}.' || min(tablename) FROM pg_tables WHERE schemaname = '{schema}'");
        Assert.False(string.IsNullOrEmpty(table), $"no table in schema {schema}");
        return table;
    }

    private async Task AdminAsync(string sql)
    {
        await using var admin = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await admin.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync(Cancellation);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    private static async Task AssertRefusedAsync(NpgsqlConnection connection, string sql, string sqlState)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(Cancellation));
        Assert.True(refused.SqlState == sqlState, $"{sql}: expected SQLSTATE {sqlState}, got {refused.SqlState} ({refused.MessageText})");
    }
}
