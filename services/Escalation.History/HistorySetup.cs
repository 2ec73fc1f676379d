using Escalation.History.Cases.GetHistory;
using Escalation.History.Relay;
using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.History;

public static class HistorySetup
{
    public const string Schema = "history";

    public static WebApplicationBuilder AddHistory(this WebApplicationBuilder builder)
    {
        var relay = builder.Configuration.GetSection("Relay").Get<RelayOptions>() ?? new RelayOptions();
        builder.Services.AddSingleton(relay);

        builder.AddEscalationMarten(Schema, options =>
            {
                // Relay latency is the pipeline's latency, once per hop (DESIGN §3): poll the high-water mark fast.
                options.Projections.FastPollingTime = TimeSpan.FromMilliseconds(relay.FastPollingMilliseconds);
                options.Projections.SlowPollingTime = TimeSpan.FromMilliseconds(relay.SlowPollingMilliseconds);
            })
            .AddSubscriptionWithServices<CaseEventRelay>(ServiceLifetime.Singleton, subscription =>
            {
                subscription.Name = CaseEventRelay.SubscriptionName;
                subscription.Options.BatchSize = relay.BatchSize;
            });

        // Publish-only: the relay is the one producer of case events on the bus.
        builder.AddEscalationBus("history");
        builder.Services.AddSingleton<RelayLease>();
        builder.Services.AddHostedService<RelayLeader>();

        builder.Services.AddGrpc();
        builder.Services.AddGrpcReflection();
        // The gRPC health service reports the same registered checks as /health/ready (Postgres, RabbitMQ).
        builder.Services.AddGrpcHealthChecks();
        return builder;
    }

    public static WebApplication MapHistory(this WebApplication app)
    {
        app.MapGrpcService<CaseHistoryService>();
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        return app;
    }
}
