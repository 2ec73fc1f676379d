using Escalation.ServiceDefaults;
using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>
/// A Marten store with the platform's event settings in a database of its own (dropped on dispose), for tests of the
/// shared decision plumbing against the real PostgreSQL without the services.
/// </summary>
public sealed class ScratchEventStore : IAsyncDisposable
{
    private readonly string _admin;
    private readonly string _database;

    private ScratchEventStore(string admin, string database, DocumentStore store) => (_admin, _database, Store) = (admin, database, store);

    public DocumentStore Store { get; }

    /// <summary>The scratch database's connection string.</summary>
    public string ConnectionString => ConnectionTo(_admin, _database);

    public static async Task<ScratchEventStore> CreateAsync(PlatformFixture platform, string name, CancellationToken cancellation)
    {
        var admin = platform.Infrastructure.PostgresConnectionString;
        var database = $"{platform.Infrastructure.DatabaseName}_{name}";
        await AdminAsync(admin, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", cancellation);
        await AdminAsync(admin, $"CREATE DATABASE {database}", cancellation);
        var store = DocumentStore.For(options =>
        {
            options.Connection(ConnectionTo(admin, database));
            options.DatabaseSchemaName = "decisions";
            options.Events.DatabaseSchemaName = EventStore.EventsSchema;
            options.Events.StreamIdentity = StreamIdentity.AsGuid;
            options.Events.MetadataConfig.CorrelationIdEnabled = true;
            options.Events.MetadataConfig.CausationIdEnabled = true;
            options.Events.MetadataConfig.HeadersEnabled = true;
            options.AutoCreateSchemaObjects = AutoCreate.All;
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return new ScratchEventStore(admin, database, store);
    }

    /// <summary>Runs one statement on the scratch database, behind Marten's back.</summary>
    public async Task ExecuteAsync(string sql, CancellationToken cancellation)
    {
        // Unpooled: a pooled connection would outlive the database, which the next test of the class drops and creates.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        Store.Dispose();
        await AdminAsync(_admin, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", CancellationToken.None);
    }

    private static string ConnectionTo(string admin, string database) => new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;

    private static async Task AdminAsync(string admin, string sql, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync(cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellation);
    }
}
