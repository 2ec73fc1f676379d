using Escalation.Routing.Escalations.RouteEscalation;
using Escalation.ServiceDefaults;

namespace Escalation.Routing;

public static class RoutingSetup
{
    public static WebApplicationBuilder AddRouting(this WebApplicationBuilder builder)
    {
        var matrix = builder.Configuration.GetSection("Routing").Get<EscalationMatrix>()
            ?? throw new InvalidOperationException("The Routing section (escalation matrix) is not configured.");
        builder.Services.AddSingleton(matrix.Validated());
        builder.AddEscalationMarten("routing");
        builder.AddEscalationBus("routing", bus => bus.AddConsumer<EscalationRequestedConsumer>(), orderByCase: true);
        return builder;
    }
}
