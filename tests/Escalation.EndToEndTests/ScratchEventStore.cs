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
        await RunAsync(admin, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", cancellation);
        await RunAsync(admin, $"CREATE DATABASE {database}", cancellation);
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

    /// <summary>
    /// Runs one statement on the scratch database, behind Marten's back, unpooled: a pooled connection would outlive
    /// the database, which the next test of the class drops and creates.
    /// </summary>
    public Task ExecuteAsync(string sql, CancellationToken cancellation) =>
        RunAsync(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString, sql, cancellation);

    public async ValueTask DisposeAsync()
    {
        Store.Dispose();
        await RunAsync(_admin, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", CancellationToken.None);
    }

    private static string ConnectionTo(string admin, string database) => new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;

    private static async Task RunAsync(string connectionString, string sql, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellation);
    }
}
