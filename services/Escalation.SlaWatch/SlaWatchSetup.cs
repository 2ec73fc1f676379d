using Escalation.ServiceDefaults;
using Escalation.SlaWatch.Engine;
using Escalation.SlaWatch.Clocks;
using Escalation.SlaWatch.Clocks.FireAlerts;
using Escalation.SlaWatch.Clocks.ObserveClocks;
using Escalation.SlaWatch.Clocks.TrackClocks;

namespace Escalation.SlaWatch;

public static class SlaWatchSetup
{
    public static WebApplicationBuilder AddSlaWatch(this WebApplicationBuilder builder)
    {
        var policyPath = Path.Combine(AppContext.BaseDirectory, builder.Configuration["Sla:PolicyFile"] ?? "Policies/sla-policy.json");
        builder.Services.AddSingleton(SlaPolicy.Load(policyPath));
        builder.Services.AddSingleton(services => new WakeSignal(services.GetRequiredService<TimeProvider>(), Alarm.LongestSleep));
        builder.AddEscalationMarten("slawatch", options =>
            options.Schema.For<ClockAlert>().Duplicate(a => a.FireAt).Duplicate(a => a.Percent).Index(a => a.CaseId));
        builder.AddEscalationBus("slawatch", bus => bus.AddConsumer<CaseSignalsConsumer>(), orderByCase: true);
        builder.AddCaseDecisionGroups<SlaCase>();
        builder.Services.AddHostedService<Alarm>();
        builder.Services.AddSingleton(builder.Configuration.GetSection("Sla:Gauges").Get<ClockGaugeOptions>() ?? new ClockGaugeOptions());
        builder.Services.AddHostedService<ClockGauges>();
        return builder;
    }
}
