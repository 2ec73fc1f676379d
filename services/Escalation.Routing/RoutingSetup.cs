using Escalation.Routing.Directory;
using Escalation.Routing.Directory.ManageAgents;
using Escalation.Routing.Directory.ManageTeams;
using Escalation.Routing.Directory.SeedDirectory;
using Escalation.Routing.Escalations;
using Escalation.Routing.Escalations.AgentActions;
using Escalation.Routing.Escalations.OfferQueued;
using Escalation.Routing.Escalations.RaisePriority;
using Escalation.Routing.Escalations.RouteEscalation;
using Escalation.Routing.Escalations.WatchAcknowledgements;
using Escalation.Routing.Matrix;
using Escalation.Routing.Matrix.ManageMatrix;
using Escalation.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Escalation.Routing;

public static class RoutingSetup
{
    public const string Schema = "routing";

    public static WebApplicationBuilder AddRouting(this WebApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection("Routing").Get<RoutingSettings>()
            ?? throw new InvalidOperationException("The Routing section (escalation matrix) is not configured.");
        builder.Services.AddSingleton(settings.Validated());
        builder.Services.AddSingleton(settings.DirectorySeedFile is { } seedFile ? DirectorySeed.Load(Path.Combine(AppContext.BaseDirectory, seedFile)) : DirectorySeed.Empty);
        builder.AddEscalationMarten(Schema, options =>
        {
            // Status is its own indexed column: the queue dispatcher looks for a team's few queued assignments under the
            // team lock, and scanning the team's every assignment took 9.6 ms a look with 31,000 of them.
            options.Schema.For<Assignment>().Index(a => a.CaseId).Index(a => a.Team).Index(a => a.Agent!).Index(a => a.AcknowledgeBy!)
                .Duplicate(a => a.Status);
            options.Schema.For<AgentProfile>().Index(a => a.Team);
            // Every document type is declared, so that `migrate` creates its table (the service's role cannot).
            options.Schema.For<MatrixCell>();
            options.Schema.For<TeamContacts>();
        });
        builder.Services.AddHostedService<DirectorySeeder>();
        builder.Services.AddSingleton<QueueDispatcher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<QueueDispatcher>());
        builder.Services.AddHostedService<AcknowledgementWatch>();
        builder.Services.AddOpenApi();
        builder.AddEscalationBus("routing", bus =>
        {
            bus.AddConsumer<EscalationRequestedConsumer>();
            bus.AddConsumer<EscalationPriorityRaisedConsumer>();
        }, orderByCase: true);
        builder.Services.TryAddSingleton(CaseDecisionOptions.From(builder.Configuration));
        builder.AddCaseViews<RoutingCase>();
        builder.Services.AddSingleton<EscalationRouter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EscalationRouter>()); // after the bus: stops first
        return builder;
    }

    public static WebApplication MapRouting(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapAgentDirectory();
        app.MapTeamContacts();
        app.MapEscalationMatrix();
        app.MapAgentActions();
        return app;
    }
}
