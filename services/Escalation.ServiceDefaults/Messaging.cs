using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Escalation.ServiceDefaults;

public static class Messaging
{
    /// <summary>Consumers of case events process this many cases at once per instance (one at a time per case).</summary>
    public const int CasePartitions = 16;

    /// <summary>
    /// MassTransit over RabbitMQ at <c>ConnectionStrings:rabbitmq</c> (an <c>amqp://user:pass@host:port/vhost</c> URI).
    /// Queues are named <c>{service}-{consumer}</c>; the bus health check joins <c>/health/ready</c>.
    /// </summary>
    /// <param name="orderByCase">
    /// For consumers of case events: messages of one case (CorrelationId, set by the relay) are consumed one at a
    /// time in delivery order, so a later contact cannot overtake an earlier one (DESIGN §3.4). Within an instance
    /// only; several instances would need single-active-consumer or consistent-hash queues.
    /// </param>
    public static IHostApplicationBuilder AddEscalationBus(this IHostApplicationBuilder builder, string serviceName,
        Action<IBusRegistrationConfigurator>? registerConsumers = null, bool orderByCase = false)
    {
        var connectionString = builder.Configuration.GetConnectionString("rabbitmq")
            ?? throw new InvalidOperationException("ConnectionStrings:rabbitmq is not configured.");
        var broker = new Uri(connectionString);

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(serviceName, includeNamespace: false));
            // MassTransit 8.4+ reports the bus's configuration to usage-tracking.masstransit.io unless told not to: a
            // platform holding customers' data makes no calls its operators did not configure.
            bus.ConfigureUsageTelemetryOptions(telemetry => telemetry.Enabled = false);
            registerConsumers?.Invoke(bus);
            if (orderByCase)
            {
                bus.AddConfigureEndpointsCallback((_, endpoint) =>
                    endpoint.UsePartitioner(CasePartitions, message => message.CorrelationId ?? message.MessageId ?? Guid.Empty));
            }

            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(broker.Host, (ushort)(broker.IsDefaultPort ? 5672 : broker.Port), VirtualHost(broker), host =>
                {
                    var credentials = Uri.UnescapeDataString(broker.UserInfo).Split(':', 2);
                    host.Username(credentials.Length > 0 && credentials[0].Length > 0 ? credentials[0] : "guest");
                    host.Password(credentials.Length > 1 ? credentials[1] : "guest");
                    host.PublisherConfirmation = true;
                });
                rabbit.ConfigureJsonSerializerOptions(options =>
                {
                    // Enums by name only, as over HTTP: a publisher's 3 must not silently mean some channel.
                    foreach (var lenient in options.Converters.OfType<JsonStringEnumConverter>().ToList())
                    {
                        options.Converters.Remove(lenient);
                    }

                    options.Converters.Insert(0, new JsonStringEnumConverter(allowIntegerValues: false));

                    // Plain JSON, as over HTTP: MassTransit's defaults accept comments and trailing commas.
                    options.AllowTrailingCommas = false;
                    options.ReadCommentHandling = JsonCommentHandling.Disallow;
                    return options;
                });
                rabbit.UseConsumeFilter(typeof(CaseEventObservation<>), context);
                rabbit.UsePublishFilter(typeof(TraceContextPublishFilter<>), context);
                // Long enough to ride out a database or broker restart (about 10 minutes), never for input that
                // cannot succeed. What still fails lands in the endpoint's _error queue, from where ops can move it back.
                rabbit.UseMessageRetry(retry =>
                {
                    retry.Ignore<InvalidMessageException>();
                    retry.Ignore<JsonException>(); // a body that does not deserialize never will
                    retry.Exponential(30, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    private static string VirtualHost(Uri broker)
    {
        var path = Uri.UnescapeDataString(broker.AbsolutePath.TrimStart('/'));
        return path.Length == 0 ? "/" : path;
    }
}
