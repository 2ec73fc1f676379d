using Escalation.ServiceDefaults;
using Escalation.Triage.Contacts.EvaluateContact;
using Escalation.Triage.Rules;

namespace Escalation.Triage;

public static class TriageSetup
{
    public static WebApplicationBuilder AddTriage(this WebApplicationBuilder builder)
    {
        var rulesPath = Path.Combine(AppContext.BaseDirectory, builder.Configuration["Triage:RulesFile"] ?? "Rules/triage-rules.json");
        builder.Services.AddSingleton(TriageRules.Load(rulesPath));
        builder.AddEscalationMarten("triage");
        builder.AddEscalationBus("triage", bus => bus.AddConsumer<ContactReceivedConsumer>(), orderByCase: true);
        return builder;
    }
}
