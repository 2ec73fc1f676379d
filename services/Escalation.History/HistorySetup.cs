using Escalation.Access;
using Escalation.History.Admin;
using Escalation.History.Cases;
using Escalation.History.Cases.ReplayCase;
using Escalation.History.Feed;
using Escalation.History.Kpis;
using Escalation.History.Relay;
using Escalation.ServiceDefaults;
using Escalation.SlaWatch.Engine;
using JasperFx.Events.Projections;
using Marten;

namespace Escalation.History;

public static class HistorySetup
{
    public const string Schema = "history";

    public static WebApplicationBuilder AddHistory(this WebApplicationBuilder builder)
    {
        var relay = builder.Configuration.GetSection("Relay").Get<RelayOptions>() ?? new RelayOptions();
        builder.Services.AddSingleton(relay);
        builder.Services.AddSingleton(builder.Configuration.GetSection("Feed").Get<FeedOptions>() ?? new FeedOptions());
        builder.Services.AddSingleton(builder.Configuration.GetSection("Kpis").Get<KpiMetricsOptions>() ?? new KpiMetricsOptions());
        builder.Services.AddSingleton(SlaPolicy.Load(FromBase(builder.Configuration["Sla:PolicyFile"] ?? "Policies/sla-policy.json")));
        builder.Services.AddSingleton(TriageRulesLibrary.Load(FromBase(builder.Configuration["History:TriageRulesDirectory"] ?? "Rules/triage")));

        builder.AddEscalationMarten(Schema, options =>
            {
                // Relay latency is the pipeline's latency, once per hop (DESIGN §3): poll the high-water mark fast.
                options.Projections.FastPollingTime = TimeSpan.FromMilliseconds(relay.FastPollingMilliseconds);
                options.Projections.SlowPollingTime = TimeSpan.FromMilliseconds(relay.SlowPollingMilliseconds);
                options.Projections.Add(new CaseRecordProjection(), ProjectionLifecycle.Async);
                options.Schema.For<CaseRecord>().Duplicate(r => r.OpenedAt).Duplicate(r => r.Reference);
                options.Policies.ForAllDocuments(mapping =>
                {
                    if (mapping.DocumentType != typeof(CaseRecord)) return;
                    foreach (var member in KpiReport.ColumnMembers)
                    {
                        mapping.DuplicateField(member); // unlike Schema.For<T>().Duplicate, adds no index
                    }
                });
                CustomerErasure.AddMaskingRules(options.Events);
            })
            .AddSubscriptionWithServices<CaseEventRelay>(ServiceLifetime.Singleton, subscription =>
            {
                subscription.Name = CaseEventRelay.SubscriptionName;
                subscription.Options.BatchSize = relay.BatchSize;
            });

        // Publish-only: the relay is the one producer of case events on the bus.
        builder.AddEscalationBus("history");
        builder.Services.AddSingleton<RelayLease>();
        builder.Services.AddSingleton<RelayHealth>();
        builder.Services.AddHealthChecks().AddCheck<RelayHealth>(RelayHealth.Name, tags: RelayHealth.Tags);
        builder.Services.AddSingleton<CaseReferences>();
        builder.Services.AddSingleton<RunningDaemon>();
        builder.Services.AddHostedService<RelayLeader>();

        builder.Services.AddSingleton<EventProgression>();
        builder.Services.AddSingleton<EventTypeNames>();
        builder.Services.AddSingleton<StoredEventReader>();
        builder.Services.AddSingleton<CaseLookup>();
        builder.Services.AddSingleton<HighWaterMark>();
        builder.Services.AddHostedService(services => services.GetRequiredService<HighWaterMark>());
        builder.Services.AddSingleton<KpiMetrics>();
        builder.Services.AddHostedService(services => services.GetRequiredService<KpiMetrics>());

        builder.Services.AddGrpc();
        builder.Services.AddGrpcReflection();
        // The gRPC health service reports the same registered checks as /health/ready (Postgres, RabbitMQ).
        builder.Services.AddGrpcHealthChecks();
        return builder;
    }

    public static WebApplication MapHistory(this WebApplication app)
    {
        app.MapGrpcService<CaseHistoryService>().RequireAuthorization(Scopes.CasesRead);
        app.MapGrpcService<CaseFeedService>().RequireAuthorization(Scopes.CasesRead);
        app.MapGrpcService<KpiService>().RequireAuthorization(Scopes.CasesRead);
        app.MapGrpcService<HistoryAdminService>().RequireAuthorization(Scopes.PlatformAdmin);
        app.MapGrpcReflectionService(); // any valid key
        app.MapGrpcHealthChecksService().AllowAnonymous();
        return app;
    }

    private static string FromBase(string path) => Path.Combine(AppContext.BaseDirectory, path);
}
