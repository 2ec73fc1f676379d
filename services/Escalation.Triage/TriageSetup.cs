using Escalation.ServiceDefaults;
using Escalation.Triage.Cases.EvaluateTriggers;
using Escalation.Triage.Engine;
using Escalation.Triage.Incidents.DetectWideImpact;

namespace Escalation.Triage;

public static class TriageSetup
{
    public static WebApplicationBuilder AddTriage(this WebApplicationBuilder builder)
    {
        var rulesPath = Path.Combine(AppContext.BaseDirectory, builder.Configuration["Triage:RulesFile"] ?? "Rules/triage-rules.json");
        builder.Services.AddSingleton(TriageRules.Load(rulesPath));
        builder.AddEscalationMarten("triage", options => options.Schema.For<ImpactCluster>().UseOptimisticConcurrency(true));
        builder.AddEscalationBus("triage", bus =>
        {
            bus.AddConsumer<CaseSignalsConsumer>();
            bus.AddConsumer<WideImpactConsumer>();
        }, orderByCase: true);
        builder.AddCaseDecisionGroups<TriageCase>();
        return builder;
    }
}
