using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Escalation.ServiceDefaults;

public static class Messaging
{
    /// <summary>
    /// MassTransit over RabbitMQ at <c>ConnectionStrings:rabbitmq</c> (an <c>amqp://user:pass@host:port/vhost</c> URI).
    /// Queues are named <c>{service}-{consumer}</c>; the bus health check joins <c>/health/ready</c>.
    /// </summary>
    public static IHostApplicationBuilder AddEscalationBus(this IHostApplicationBuilder builder, string serviceName,
        Action<IBusRegistrationConfigurator>? registerConsumers = null,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? configureBus = null)
    {
        var connectionString = builder.Configuration.GetConnectionString("rabbitmq")
            ?? throw new InvalidOperationException("ConnectionStrings:rabbitmq is not configured.");
        var broker = new Uri(connectionString);

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(serviceName, includeNamespace: false));
            registerConsumers?.Invoke(bus);
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
                rabbit.UseMessageRetry(retry =>
                {
                    retry.Ignore<InvalidMessageException>();
                    retry.Ignore<JsonException>(); // a body that does not deserialize never will
                    retry.Exponential(8, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
                });
                configureBus?.Invoke(context, rabbit);
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
