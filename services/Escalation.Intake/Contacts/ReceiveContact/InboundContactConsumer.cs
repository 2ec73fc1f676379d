using System.Diagnostics;
using System.Text.Json;
using Escalation.Contracts;
using Escalation.Contracts.Intake;
using Escalation.ServiceDefaults;
using MassTransit;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>Contacts from .NET publishers: <c>Publish&lt;InboundContact&gt;</c> in a MassTransit envelope.</summary>
public sealed class InboundContactConsumer(ContactReceiver receiver, TimeProvider time) : IConsumer<InboundContact>
{
    public Task Consume(ConsumeContext<InboundContact> context) =>
        InboundContacts.ReceiveAsync(receiver, context, context.Message, ContactValidation.Validate(context.Message, time.GetUtcNow()));
}

public sealed class InboundContactConsumerDefinition : ConsumerDefinition<InboundContactConsumer>
{
    private readonly IntakeOptions _options;

    public InboundContactConsumerDefinition(IntakeOptions options) => _options = options;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<InboundContactConsumer> consumerConfigurator, IRegistrationContext context) =>
        InboundContacts.WorkOnManyAtOnce(endpointConfigurator, _options);
}

/// <summary>Marker type for a raw JSON body on the raw endpoint; the body itself is read as <see cref="InboundContact"/>.</summary>
public sealed class RawInboundContact;

/// <summary>
/// Contacts from any language: plain JSON on the fanout exchange <see cref="Exchange"/>. The body is read with the
/// same options and validation as <c>POST /api/contacts</c>, so both transports accept and reject the same contacts
/// for the same reasons. (A <c>traceParent</c> in the body is used here, where AMQP has no standard trace header;
/// over HTTP the <c>traceparent</c> header carries it.)
/// </summary>
public sealed class RawInboundContactConsumer(ContactReceiver receiver, TimeProvider time) : IConsumer<RawInboundContact>
{
    /// <summary>Fanout exchange for publishers that send plain JSON (no MassTransit envelope); see the README.</summary>
    public const string Exchange = Wire.InboundContactsExchange;

    public Task Consume(ConsumeContext<RawInboundContact> context)
    {
        InboundContact? contact;
        IReadOnlyDictionary<string, string[]> errors;
        try
        {
            contact = JsonSerializer.Deserialize<InboundContact>(context.ReceiveContext.Body.GetBytes(), ContractJson.Options);
            errors = ContactValidation.Validate(contact, time.GetUtcNow());
        }
        catch (JsonException malformed)
        {
            var (field, reason) = MalformedJson.Describe(malformed);
            (contact, errors) = (null, new Dictionary<string, string[]> { [field] = [reason] });
        }

        return InboundContacts.ReceiveAsync(receiver, context, contact, errors);
    }
}

public sealed class RawInboundContactConsumerDefinition : ConsumerDefinition<RawInboundContactConsumer>
{
    private readonly IntakeOptions _options;

    public RawInboundContactConsumerDefinition(IntakeOptions options)
    {
        _options = options;
        EndpointName = "intake-inbound-contact-raw";
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<RawInboundContactConsumer> consumerConfigurator, IRegistrationContext context)
    {
        InboundContacts.WorkOnManyAtOnce(endpointConfigurator, _options);
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
        endpointConfigurator.ConfigureDeadLetter(pipe => pipe.UseFilter(new ExplainedDeadLetterFilter(
            "Not an InboundContact: the body is empty or JSON null. See contracts/Escalation.Contracts/Intake/inbound-contact.schema.json.")));
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.ConfigureConsumeTopology = false;
            rabbit.Bind(RawInboundContactConsumer.Exchange, exchange => exchange.ExchangeType = "fanout");
        }
    }
}

internal static class InboundContacts
{
    /// <summary>Enough contacts in flight for a group commit to gather (MassTransit's default is 16).</summary>
    public static void WorkOnManyAtOnce(IReceiveEndpointConfigurator endpoint, IntakeOptions options)
    {
        endpoint.PrefetchCount = options.InboundConcurrency;
        endpoint.ConcurrentMessageLimit = options.InboundConcurrency;
    }

    public static async Task ReceiveAsync(ContactReceiver receiver, ConsumeContext context, InboundContact? contact, IReadOnlyDictionary<string, string[]> errors)
    {
        if (contact is null || errors.Count > 0)
        {
            throw InvalidMessageException.For(nameof(InboundContact), errors);
        }

        using var activity = StartFromPublisherTraceContext(context, contact);
        var causationId = context.MessageId?.ToString() ?? $"amqp:{ReceiveContact.ContactKey(contact)}";
        await receiver.ReceiveAsync(contact, causationId, idempotencyKey: null, context.CancellationToken);
    }

    /// <summary>
    /// MassTransit continues a trace from its own MT-Activity-Id header. A non-.NET publisher sends a W3C
    /// <c>traceparent</c> (as an AMQP header or in the body) instead; continue that trace.
    /// </summary>
    private static Activity? StartFromPublisherTraceContext(ConsumeContext context, InboundContact contact)
    {
        if (context.Headers.TryGetHeader(Telemetry.MassTransitActivityIdHeader, out _))
        {
            return null;
        }

        var traceParent = context.Headers.Get<string>("traceparent") ?? contact.TraceParent;
        if (traceParent is null || !ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent))
        {
            return null;
        }

        // Named and tagged as the OpenTelemetry messaging conventions name a consumer's process span.
        var activity = Telemetry.Source.StartActivity($"process {RawInboundContactConsumer.Exchange}", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", RawInboundContactConsumer.Exchange);
        activity?.SetTag("messaging.message.id", context.MessageId?.ToString());
        return activity;
    }
}
