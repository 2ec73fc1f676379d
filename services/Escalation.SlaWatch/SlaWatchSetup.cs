using Escalation.ServiceDefaults;
using Escalation.SlaWatch.Clocks.StartClocks;

namespace Escalation.SlaWatch;

public static class SlaWatchSetup
{
    public static WebApplicationBuilder AddSlaWatch(this WebApplicationBuilder builder)
    {
        var policy = builder.Configuration.GetSection("Sla:Policy").Get<SlaPolicy>()
            ?? throw new InvalidOperationException("Sla:Policy is not configured.");
        builder.Services.AddSingleton(policy.Validated());
        builder.AddEscalationMarten("slawatch");
        builder.AddEscalationBus("slawatch", bus => bus.AddConsumer<TicketOpenedConsumer>(), orderByCase: true);
        return builder;
    }
}
