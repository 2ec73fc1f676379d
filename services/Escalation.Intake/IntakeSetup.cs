using Escalation.Intake.Contacts.ReceiveContact;
using Escalation.ServiceDefaults;
using Weasel.Core;
using Weasel.Postgresql;

namespace Escalation.Intake;

public static class IntakeSetup
{
    public const string Schema = "intake";

    public static WebApplicationBuilder AddIntake(this WebApplicationBuilder builder)
    {
        builder.AddEscalationMarten(Schema, options =>
        {
            options.Schema.For<ReceivedContact>();
            options.Schema.For<OpenConversation>();
            options.Schema.For<IdempotencyRecord>();
            options.Storage.ExtendedSchemaObjects.Add(new Sequence(CaseReferences.SequenceName) { StartWith = CaseReferences.FirstNumber });
        });
        builder.AddEscalationBus("intake", bus => bus.AddConsumer<InboundContactConsumer>(typeof(InboundContactConsumerDefinition)));
        builder.Services.AddSingleton<CaseReferences>();
        builder.Services.AddScoped<ContactReceiver>();
        builder.Services.AddOpenApi();
        return builder;
    }

    public static WebApplication MapIntake(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapReceiveContact();
        return app;
    }
}
