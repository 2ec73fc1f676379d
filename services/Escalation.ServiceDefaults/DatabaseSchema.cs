using Escalation.Access;
using JasperFx;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Weasel.Core.Migrations;

namespace Escalation.ServiceDefaults;

/// <summary>
/// Who changes the database schema. <c>Database:MigrateAtStartup</c> (default true) lets each service create and update
/// its own tables when it starts, which suits local development where it connects as the owner. In production the
/// service connects as its own role without DDL rights (infra/postgres), the owner runs <c>migrate</c> once per
/// release, and the service only checks at start-up that the schema matches it.
/// </summary>
public static class DatabaseSchema
{
    public static bool MigratesAtStartup(IConfiguration configuration) => configuration.GetValue("Database:MigrateAtStartup", true);

    /// <summary>The command that applies the service's schema changes and exits.</summary>
    public const string MigrateCommand = "migrate";

    private const long MigrationLockKey = 0x4553_4341_4c41_54; // "ESCALAT"

    /// <summary>
    /// Runs the service; or, with the argument <c>migrate</c>, applies its schema changes with the configured
    /// connection (the schema owner's) and exits: Marten's document tables in the service's schema, the shared event
    /// tables and the key table. Exit code 0 when the schema is up to date, 2 for an unknown command.
    /// </summary>
    public static async Task<int> RunServiceAsync(this WebApplication app, string[] args)
    {
        // A command comes first; configuration arguments (--key value, key=value) belong to the host.
        var command = args is [var first, ..] && !first.StartsWith('-') && !first.Contains('=') ? first : null;
        if (command is null)
        {
            await app.RunAsync();
            return 0;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseSchema));
        if (command != MigrateCommand)
        {
            SchemaLog.UnknownCommand(logger, command, MigrateCommand);
            return 2;
        }

        await MigrateAsync(app.Services.GetRequiredService<IDocumentStore>(), app.Services.GetRequiredService<NpgsqlDataSource>(),
            app.Services.GetRequiredService<ApiKeyStore>(), CancellationToken.None);
        SchemaLog.Migrated(logger, app.Environment.ApplicationName);
        return 0;
    }

    /// <summary>
    /// Applies every configured change, one process at a time. Marten's own migration lock gives up after about
    /// 400 ms when another process holds it, which happens whenever the six services start together; this waits on a
    /// Postgres advisory lock instead.
    /// </summary>
    internal static async Task MigrateAsync(IDocumentStore store, NpgsqlDataSource dataSource, ApiKeyStore apiKeys, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var acquire = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
        {
            acquire.Parameters.AddWithValue("key", MigrationLockKey);
            await acquire.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            // The override matters for `migrate`: the service itself may be configured to change nothing at runtime.
            await store.Storage.Database.ApplyAllConfiguredChangesToDatabaseAsync(AutoCreate.CreateOrUpdate, ct: cancellationToken);
            await apiKeys.EnsureSchemaAsync(cancellationToken);
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            release.Parameters.AddWithValue("key", MigrationLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Throws when the database lacks a table, column, index or function this build of the service needs, or when the
    /// service's role cannot read the key table: a service that would fail on its first request does not start.
    /// </summary>
    internal static async Task CheckAsync(IDocumentStore store, NpgsqlDataSource dataSource, string service, CancellationToken cancellationToken)
    {
        try
        {
            await store.Storage.Database.AssertDatabaseMatchesConfigurationAsync(cancellationToken);
            await using var keys = dataSource.CreateCommand($"SELECT 1 FROM {ApiKeyStore.Schema}.api_keys LIMIT 0");
            await keys.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception mismatch) when (mismatch is DatabaseValidationException or PostgresException { SqlState: PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.InsufficientPrivilege })
        {
            throw new InvalidOperationException(
                $"The database schema does not match this build of {service}, or its role may not use it. Run `dotnet {service}.dll {MigrateCommand}` " +
                "with the schema owner's connection string, then infra/postgres/grant-service-roles.sql, and start the service again. " +
                $"Details: {mismatch.Message}", mismatch);
        }
    }
}

/// <summary>Migrates at start-up (Database:MigrateAtStartup, the default): before the bus and the daemon start.</summary>
internal sealed class SchemaMigrator(IDocumentStore store, NpgsqlDataSource dataSource, ApiKeyStore apiKeys) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => DatabaseSchema.MigrateAsync(store, dataSource, apiKeys, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Checks the schema at start-up when the service may not change it.</summary>
internal sealed class SchemaCheck(IDocumentStore store, NpgsqlDataSource dataSource, IHostEnvironment environment) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => DatabaseSchema.CheckAsync(store, dataSource, environment.ApplicationName, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static partial class SchemaLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "The database schema of {Service} is up to date")]
    public static partial void Migrated(ILogger logger, string service);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unknown command {Command}; the only command is {Migrate}")]
    public static partial void UnknownCommand(ILogger logger, string command, string migrate);
}
