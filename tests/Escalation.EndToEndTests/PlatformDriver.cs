using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using RabbitMQ.Client;

namespace Escalation.EndToEndTests;

/// <summary>What a channel does to the platform, and polling for what the platform then does.</summary>
public sealed class PlatformDriver(PlatformFixture platform)
{
    public static readonly TimeSpan PipelineDeadline = TimeSpan.FromSeconds(60);

    /// <summary>Publishes bytes as a non-.NET channel would: plain JSON to the inbound fanout exchange, with AMQP headers.</summary>
    public async Task PublishBytesAsync(IEnumerable<(byte[] Body, IDictionary<string, object?> Headers)> messages)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        foreach (var (body, headers) in messages)
        {
            var properties = new BasicProperties { ContentType = "application/json", Persistent = true, Headers = headers };
            await channel.BasicPublishAsync("escalation.inbound-contacts", "", mandatory: true, properties, body);
        }
    }

    /// <summary>Sends a command in a MassTransit envelope, as a .NET service would, to the exchange of its message type.</summary>
    public async Task SendEnvelopeAsync(string messageType, object message, Guid? messageId = null, Guid? correlationId = null,
        IDictionary<string, object?>? transportHeaders = null)
    {
        var envelope = new Dictionary<string, object?>
        {
            ["messageId"] = messageId ?? Guid.NewGuid(),
            ["correlationId"] = correlationId,
            ["messageType"] = new[] { $"urn:message:{messageType}" },
            ["message"] = message,
            ["sentTime"] = DateTimeOffset.UtcNow,
            ["headers"] = new Dictionary<string, object>(),
        };
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true, Headers = transportHeaders };
        await channel.BasicPublishAsync(messageType, "", mandatory: true, properties, JsonSerializer.SerializeToUtf8Bytes(envelope, JsonSerializerOptions.Web));
    }

    public Task PublishRawAsync(object contact, string? traceParent) =>
        PublishBytesAsync([(JsonSerializer.SerializeToUtf8Bytes(contact),
            traceParent is null ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["traceparent"] = traceParent })]);

    /// <summary>A connection to this run's virtual host.</summary>
    public Task<IConnection> ConnectAsync() =>
        new ConnectionFactory { Uri = new Uri(platform.Infrastructure.RabbitMqUri) }.CreateConnectionAsync();

    /// <summary>A queue of our own bound to a case event's exchange (e.g. <c>Cases:TicketOpened</c>), as another service would bind.</summary>
    public static async Task<string> BindQueueAsync(IChannel channel, string eventExchange, CancellationToken cancellation)
    {
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellation)).QueueName;
        await channel.QueueBindAsync(queue, $"Escalation.Contracts.{eventExchange}", "", cancellationToken: cancellation);
        return queue;
    }

    /// <summary>The correlation (case) ids of every message waiting in the queue, taking them off it.</summary>
    public static async Task<List<string>> DrainCorrelationIdsAsync(IChannel channel, string queue, CancellationToken cancellation)
    {
        var correlationIds = new List<string>();
        while (await channel.BasicGetAsync(queue, autoAck: true, cancellation) is { } delivery)
        {
            using var envelope = JsonDocument.Parse(delivery.Body);
            correlationIds.Add(envelope.RootElement.GetProperty("correlationId").GetString()!);
        }

        return correlationIds;
    }

    /// <summary>Posts <paramref name="count"/> contacts, each opening a case of its own, and returns the case ids.</summary>
    public async Task<List<Guid>> PostContactsAsync(string prefix, int count)
    {
        var cases = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var contact = Contact($"{prefix}-{i}-{Guid.NewGuid():N}", "Email", "en", null, "Where is my refund?");
            cases.Add((await PostAsync(contact, null)).Body.CaseId);
        }

        return cases;
    }

    /// <summary>Events of a case, by type name, straight from the event store.</summary>
    public async Task<IReadOnlyList<(string Type, long Version, JsonDocument Data)>> EventsAsync(Guid caseId)
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT type, version, data::text FROM events.mt_events WHERE stream_id = @id ORDER BY version", connection);
        query.Parameters.AddWithValue("id", caseId);
        await using var reader = await query.ExecuteReaderAsync();
        var events = new List<(string, long, JsonDocument)>();
        while (await reader.ReadAsync())
        {
            events.Add((reader.GetString(0), reader.GetInt64(1), JsonDocument.Parse(reader.GetString(2))));
        }

        return events;
    }

    /// <summary>How many stored events and recorded contacts mention <paramref name="marker"/> in their contact id.</summary>
    public async Task<long> RecordedWithMarkerAsync(string marker)
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM events.mt_events WHERE data->>'contactId' LIKE @pattern OR data->>'firstContactId' LIKE @pattern) + " +
            "(SELECT count(*) FROM intake.mt_doc_receivedcontact WHERE id LIKE @pattern)", connection);
        count.Parameters.AddWithValue("pattern", $"%{marker}%");
        return (long)(await count.ExecuteScalarAsync())!;
    }

    public async Task<(HttpStatusCode Status, Accepted Body)> PostAsync(object contact, string? idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/contacts") { Content = JsonContent.Create(contact) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await platform.Intake.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (response.StatusCode, JsonSerializer.Deserialize<Accepted>(text, JsonSerializerOptions.Web)!);
    }

    public async Task<Guid> WaitForCaseOfContactAsync(string channel, string contactId, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(cancellation);
        var caseId = await PollAsync(async () =>
        {
            await using var query = new NpgsqlCommand("SELECT data->>'caseId' FROM intake.mt_doc_receivedcontact WHERE id = @id", connection);
            query.Parameters.AddWithValue("id", $"{channel}:{contactId}");
            return await query.ExecuteScalarAsync(cancellation) as string;
        }, $"intake never recorded {channel}:{contactId}");
        return Guid.Parse(caseId);
    }

    /// <summary>Settled: no message in flight in any queue and the relay has published every committed event, for a while.</summary>
    public async Task WaitUntilSettledAsync(CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(cancellation);
        var quietChecks = 0;
        await PollAsync(async () =>
        {
            var unpublished = await UnpublishedAsync(connection, cancellation);
            var inFlight = await platform.Infrastructure.MessagesInFlightAsync() ?? 0;
            quietChecks = unpublished == 0 && inFlight == 0 ? quietChecks + 1 : 0;
            return quietChecks >= 8 ? "settled" : null; // 8 polls, 100 ms apart: longer than the statistics interval
        }, "the pipeline did not settle");
    }

    /// <summary>Committed events the relay has not published yet.</summary>
    public static async Task<long> UnpublishedAsync(NpgsqlConnection connection, CancellationToken cancellation)
    {
        await using var lag = new NpgsqlCommand(
            "SELECT (SELECT coalesce(max(seq_id), 0) FROM events.mt_events) - " +
            "(SELECT coalesce(max(last_seq_id), 0) FROM events.mt_event_progression WHERE name LIKE 'case-event-relay%')", connection);
        return (long)(await lag.ExecuteScalarAsync(cancellation))!;
    }

    public Task<T> PollAsync<T>(Func<Task<T?>> probe, string failure) where T : class => PollAsync(probe, () => failure);

    /// <summary>The data of the first event of <paramref name="type"/> (snake_case, as stored) that matches, once the case has one.</summary>
    public async Task<JsonElement> WaitForEventAsync(Guid caseId, string type, Func<JsonElement, bool>? match = null) =>
        (await PollAsync(async () => (await EventsAsync(caseId))
            .Where(e => e.Type == type && (match is null || match(e.Data.RootElement))).Select(e => e.Data).FirstOrDefault(),
            $"case {caseId} never recorded {type}")).RootElement;

    /// <summary>
    /// A standard Japanese customer's contact as a non-.NET channel sends it (plain JSON). The customer is named after
    /// the conversation, so contacts of one conversation land in one case.
    /// </summary>
    public static object CustomerContact(string contactId, string category, string text, string channel = "Chatbot", string? conversationId = null,
        string author = "Customer", object? entities = null, double botConfidence = 0.9) => new
    {
        contactId,
        conversationId = conversationId ?? $"conv-{contactId}",
        channel,
        customer = new { id = $"cust-{conversationId ?? contactId}", name = "E2E Customer", tier = "Standard", language = "ja" },
        author,
        text,
        occurredAt = DateTimeOffset.UtcNow,
        category,
        botConfidence,
        entities,
    };

    /// <summary>Polls a probe that reads in-process state (e.g. what the OTLP receiver has received).</summary>
    public Task<T> PollAsync<T>(Func<T?> probe, Func<string> failure) where T : class => PollAsync(() => Task.FromResult(probe()), failure);

    public async Task<T> PollAsync<T>(Func<Task<T?>> probe, Func<string> failure) where T : class
    {
        var deadline = DateTime.UtcNow + PipelineDeadline;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } result)
            {
                return result;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{failure()} within {PipelineDeadline}.\n{platform.LogTails()}");
    }

    public static InboundContactJson Contact(string contactId, string channel, string language, string? email, string text) => new(
        contactId,
        $"conv-{contactId}",
        channel,
        new CustomerJson($"cust-{contactId}", "Test Customer", "Vip", language, email),
        "Customer",
        text,
        DateTimeOffset.UtcNow,
        Category: "billing",
        BotConfidence: 0.35);

    public sealed record Accepted(Guid CaseId, string Reference, bool Duplicate);

    // What a non-.NET channel sends: plain JSON, enums as strings.
    public sealed record CustomerJson(string Id, string Name, string Tier, string Language, string? Email);

    public sealed record InboundContactJson(
        string ContactId, string ConversationId, string Channel, CustomerJson Customer, string Author, string Text,
        DateTimeOffset OccurredAt, string? Category = null, double? BotConfidence = null);
}
