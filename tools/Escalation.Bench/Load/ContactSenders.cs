using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Escalation.Contracts;
using RabbitMQ.Client;

namespace Escalation.Bench.Load;

/// <summary>Sends one contact to intake; completes when intake (HTTP 202) or the broker (publisher confirm) accepted it.</summary>
public interface IContactSender : IAsyncDisposable
{
    Task SendAsync(GeneratedContact contact, CancellationToken cancellationToken);
}

public static class ContactJson
{
    /// <summary>The wire format intake accepts: camelCase, enums by name.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>POST /api/contacts, the way a channel integration calls intake.</summary>
public sealed class HttpContactSender(Uri intake, string apiKey, int connections) : IContactSender
{
    private readonly HttpClient _http = PlatformClients.Http(intake, apiKey, TimeSpan.FromSeconds(60),
        new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(10) });

    public async Task SendAsync(GeneratedContact contact, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("api/contacts", contact.Contact, ContactJson.Options, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Intake answered {(int)response.StatusCode} for {contact.Contact.ContactId}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Plain JSON to the fanout exchange <c>escalation.inbound-contacts</c>, persistent, with publisher confirms: what a
/// non-.NET channel does. Several channels, used round robin, so confirms of one do not hold back the others.
/// </summary>
public sealed class AmqpContactSender : IContactSender
{
    public const string Exchange = Wire.InboundContactsExchange;
    private readonly IConnection _connection;
    private readonly IChannel[] _channels;
    private int _next;

    private AmqpContactSender(IConnection connection, IChannel[] channels) => (_connection, _channels) = (connection, channels);

    public static async Task<AmqpContactSender> ConnectAsync(Uri broker, int channels, CancellationToken cancellationToken)
    {
        var connection = await new ConnectionFactory { Uri = broker, ClientProvidedName = "escalation-bench" }.CreateConnectionAsync(cancellationToken);
        var opened = new IChannel[channels];
        for (var i = 0; i < channels; i++)
        {
            // No rate limiter: the load driver bounds how many sends are in flight.
            opened[i] = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
                publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null), cancellationToken);
        }

        return new AmqpContactSender(connection, opened);
    }

    public async Task SendAsync(GeneratedContact contact, CancellationToken cancellationToken)
    {
        var channel = _channels[(uint)Interlocked.Increment(ref _next) % _channels.Length];
        var body = JsonSerializer.SerializeToUtf8Bytes(contact.Contact, ContactJson.Options);
        // A fresh properties object per publish: with confirm tracking the client writes its sequence number into it.
        var properties = new BasicProperties { ContentType = "application/json", Persistent = true };
        await channel.BasicPublishAsync(Exchange, "", mandatory: false, properties, body, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            await channel.DisposeAsync();
        }

        await _connection.DisposeAsync();
    }
}
