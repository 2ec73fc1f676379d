using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Escalation.Contracts;
using JasperFx;
using JasperFx.Events;
using Marten;
using Marten.Services;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Weasel.Core;

namespace Escalation.ServiceDefaults;

public static class EventStore
{
    /// <summary>The one event store schema every service shares (DESIGN §3).</summary>
    public const string EventsSchema = "events";

    /// <summary>
    /// Npgsql prepares the statements a pooled connection runs again and again (<c>Max Auto Prepare=64</c>, from the
    /// second use), unless the connection string sets <c>Max Auto Prepare</c> itself (0 turns it off, e.g. behind a
    /// pooler in transaction mode). Every message runs the same few Marten statements, so PostgreSQL stops parsing and
    /// planning them on every call; measured in docs/benchmarks (session 10): its CPU per contact fell by about a quarter.
    /// </summary>
    public static string WithStatementPreparation(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.ContainsKey("Max Auto Prepare") || given.ContainsKey("MaxAutoPrepare"))
        {
            return connectionString;
        }

        var settings = new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 64 };
        if (!given.ContainsKey("Auto Prepare Min Usages") && !given.ContainsKey("AutoPrepareMinUsages"))
        {
            settings.AutoPrepareMinUsages = 2;
        }

        return settings.ConnectionString;
    }

    /// <summary>
    /// Names the service's connections (<c>Application Name</c>, shown in <c>pg_stat_activity</c> and the server's log)
    /// unless the connection string names them itself, so that an operator looking at a lock, a long query or a full
    /// pool sees which service it belongs to.
    /// </summary>
    public static string WithApplicationName(string connectionString, string applicationName)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return given.ContainsKey("Application Name") || given.ContainsKey("ApplicationName")
            ? connectionString
            : new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName }.ConnectionString;
    }

    /// <summary>
    /// Marten on <c>ConnectionStrings:postgres</c>: the shared events schema, the service's own document schema,
    /// every case event type registered, and correlation, causation and header metadata on.
    /// </summary>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddEscalationMarten(
        this IHostApplicationBuilder builder, string documentSchema, Action<StoreOptions>? configure = null)
    {
        var connectionString = builder.Configuration.GetConnectionString("postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:postgres is not configured.");

        var migrateAtStartup = DatabaseSchema.MigratesAtStartup(builder.Configuration);
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(
            WithApplicationName(WithStatementPreparation(connectionString), builder.Environment.ApplicationName)));
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [ServiceDefaultsExtensions.ReadyTag]);

        var marten = builder.Services.AddMarten(options =>
            {
                options.DatabaseSchemaName = documentSchema;
                options.Events.DatabaseSchemaName = EventsSchema;
                options.Events.StreamIdentity = StreamIdentity.AsGuid;
                options.Events.MetadataConfig.CorrelationIdEnabled = true;
                options.Events.MetadataConfig.CausationIdEnabled = true;
                options.Events.MetadataConfig.HeadersEnabled = true;
                options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
                options.AutoCreateSchemaObjects = migrateAtStartup ? AutoCreate.CreateOrUpdate : AutoCreate.None;
                options.Events.AddEventTypes(CaseEventCatalog.All);
                options.OpenTelemetry.ExportCounterOnChangeSets<long>("escalation.case_events.appended", "{event}", CountAppendedCaseEvents);
                configure?.Invoke(options);
            })
            .UseNpgsqlDataSource();

        // Registered before the bus and the daemon so that both start on a migrated (or verified) schema.
        if (migrateAtStartup)
        {
            builder.Services.AddHostedService<SchemaMigrator>();
        }
        else
        {
            builder.Services.AddHostedService<SchemaCheck>();
        }

        return marten;
    }

    /// <summary>
    /// After each commit: one count per case event appended, by type and its bounded facts (escalations by type and
    /// priority, routings by team, SLA warnings and breaches by metric, notifications by channel).
    /// </summary>
    private static void CountAppendedCaseEvents(Counter<long> counter, IChangeSet commit)
    {
        foreach (var @event in commit.GetEvents())
        {
            if (@event.Data is ICaseEvent caseEvent)
            {
                counter.Add(1, [.. CaseTelemetry.MetricTagsOf(caseEvent)]);
            }
        }
    }

    /// <summary>
    /// Stamps the metadata every appended case event carries: correlation (case id), causation (what caused it),
    /// the current trace context and the actor.
    /// </summary>
    public static void StampCaseMetadata(this IDocumentSession session, Guid caseId, string causationId, string actor, string? rulesVersion = null)
    {
        session.CorrelationId = caseId.ToString();
        session.CausationId = causationId;
        StampHeaders(session.SetHeader, actor, rulesVersion, Activity.Current);
    }

    /// <summary>
    /// The same metadata on one event, for a session that appends to several cases at once (the session-wide
    /// correlation id would name only one of them).
    /// </summary>
    public static void StampCaseMetadata(this IEvent @event, Guid caseId, string causationId, string actor, string? rulesVersion = null) =>
        @event.StampCaseMetadata(caseId, causationId, actor, rulesVersion, Activity.Current);

    /// <summary>
    /// The same, with the trace context of <paramref name="trace"/> instead of the current activity's: for work done
    /// on behalf of a caller whose span is not the current one (intake's group commit writes many callers' contacts).
    /// </summary>
    public static void StampCaseMetadata(this IEvent @event, Guid caseId, string causationId, string actor, string? rulesVersion, Activity? trace)
    {
        @event.CorrelationId = caseId.ToString();
        @event.CausationId = causationId;
        StampHeaders(@event.SetHeader, actor, rulesVersion, trace);
    }

    private static void StampHeaders(Action<string, object> setHeader, string actor, string? rulesVersion, Activity? trace)
    {
        setHeader(EventHeaders.Actor, actor);
        if (rulesVersion is not null)
        {
            setHeader(EventHeaders.RulesVersion, rulesVersion);
        }

        if (trace is { } activity && activity.IdFormat == ActivityIdFormat.W3C)
        {
            setHeader(EventHeaders.TraceParent, activity.Id!);
            if (!string.IsNullOrEmpty(activity.TraceStateString))
            {
                setHeader(EventHeaders.TraceState, activity.TraceStateString);
            }
        }
    }
}

internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer.", exception);
        }
    }
}
