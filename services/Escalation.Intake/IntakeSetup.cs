using Escalation.Intake.Cases;
using Escalation.Intake.Cases.EraseCustomerData;
using Escalation.Intake.Cases.ManageLifecycle;
using Escalation.Intake.Contacts.ReceiveContact;
using Escalation.ServiceDefaults;
using Weasel.Core;
using Weasel.Postgresql;

namespace Escalation.Intake;

public static class IntakeSetup
{
    public const string Schema = "intake";

    /// <summary>The actor intake's events name.</summary>
    public const string Actor = "service:intake";

    public static WebApplicationBuilder AddIntake(this WebApplicationBuilder builder)
    {
        builder.AddEscalationMarten(Schema, options =>
        {
            options.Schema.For<ReceivedContact>();
            options.Schema.For<ConversationCase>();
            options.Schema.For<ProcessedCommand>();
            options.Schema.For<IdempotencyRecord>();
            options.Storage.ExtendedSchemaObjects.Add(new Sequence(CaseReferences.SequenceName) { StartWith = CaseReferences.FirstNumber });
        });
        builder.AddEscalationBus("intake", bus =>
        {
            bus.AddConsumer<InboundContactConsumer>(typeof(InboundContactConsumerDefinition));
            bus.AddConsumer<RawInboundContactConsumer>(typeof(RawInboundContactConsumerDefinition));
            bus.AddConsumer<LifecycleCommandsConsumer>();
            bus.AddConsumer<CustomerDataErasedConsumer>();
        });
        builder.Services.AddSingleton((builder.Configuration.GetSection("Intake").Get<IntakeOptions>() ?? new IntakeOptions()).Validated());
        builder.Services.AddSingleton<CaseReferences>();
        builder.AddCaseViews<IntakeCase>();
        // Registered after the bus: hosted services stop in reverse order, so it stops taking contacts first.
        builder.Services.AddSingleton<ContactGroupCommit>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ContactGroupCommit>());
        builder.Services.AddScoped<ContactReceiver>();
        builder.Services.AddSingleton<ContactAdmission>();
        builder.Services.AddScoped<CaseCommandHandler>();
        builder.Services.AddOpenApi();
        return builder;
    }

    public static WebApplication MapIntake(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapReceiveContact();
        app.MapCaseLifecycle();
        return app;
    }
}
