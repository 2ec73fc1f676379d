using System.Diagnostics;
using Escalation.Contracts.Intake;
using Escalation.ServiceDefaults;
using MassTransit;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>Contacts over AMQP: MassTransit envelopes, or raw JSON on the <see cref="RawExchange"/> exchange.</summary>
public sealed class InboundContactConsumer(ContactReceiver receiver, TimeProvider time) : IConsumer<InboundContact>
{
    /// <summary>Fanout exchange for publishers that send plain JSON (no MassTransit envelope); see README, "Sending contacts over AMQP".</summary>
    public const string RawExchange = "escalation.inbound-contacts";

    public async Task Consume(ConsumeContext<InboundContact> context)
    {
        var errors = ContactValidation.Validate(context.Message, time.GetUtcNow());
        if (errors.Count > 0)
        {
            throw new InvalidMessageException("Invalid InboundContact: " +
                string.Join("; ", errors.Select(error => $"{error.Key}: {string.Join(" ", error.Value)}")));
        }

        using var activity = StartFromPublisherTraceContext(context);
        var causationId = context.MessageId?.ToString() ?? $"amqp:{ReceiveContact.ContactKey(context.Message)}";
        await receiver.ReceiveAsync(context.Message, causationId, idempotencyKey: null, context.CancellationToken);
    }

    /// <summary>
    /// MassTransit continues a trace from its own MT-Activity-Id header. A non-.NET publisher sends a W3C
    /// <c>traceparent</c> (as an AMQP header or in the body) instead; continue that trace.
    /// </summary>
    private static Activity? StartFromPublisherTraceContext(ConsumeContext<InboundContact> context)
    {
        if (context.Headers.TryGetHeader("MT-Activity-Id", out _))
        {
            return null;
        }

        var traceParent = context.Headers.Get<string>("traceparent") ?? context.Message.TraceParent;
        return traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent)
            ? Telemetry.Source.StartActivity("intake receive InboundContact", ActivityKind.Consumer, parent)
            : null;
    }
}

public sealed class InboundContactConsumerDefinition : ConsumerDefinition<InboundContactConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<InboundContactConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.Bind(InboundContactConsumer.RawExchange, exchange => exchange.ExchangeType = "fanout");
        }
    }
}
