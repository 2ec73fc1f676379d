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

    public async Task PublishRawAsync(object contact, string? traceParent)
    {
        var factory = new ConnectionFactory { Uri = new Uri(platform.Infrastructure.RabbitMqUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = "application/json", Persistent = true, Headers = new Dictionary<string, object?>() };
        if (traceParent is not null)
        {
            properties.Headers["traceparent"] = traceParent;
        }

        await channel.BasicPublishAsync("escalation.inbound-contacts", "", mandatory: true, properties, JsonSerializer.SerializeToUtf8Bytes(contact));
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
            await using var lag = new NpgsqlCommand(
                "SELECT (SELECT coalesce(max(seq_id), 0) FROM events.mt_events) - " +
                "(SELECT coalesce(max(last_seq_id), 0) FROM events.mt_event_progression WHERE name LIKE 'case-event-relay%')", connection);
            var unpublished = (long)(await lag.ExecuteScalarAsync(cancellation))!;
            var inFlight = await platform.Infrastructure.MessagesInFlightAsync() ?? 0;
            quietChecks = unpublished == 0 && inFlight == 0 ? quietChecks + 1 : 0;
            return quietChecks >= 8 ? "settled" : null; // 8 polls, 100 ms apart: longer than the statistics interval
        }, "the pipeline did not settle");
    }

    public async Task<T> PollAsync<T>(Func<Task<T?>> probe, string failure) where T : class
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

        throw new TimeoutException($"{failure} within {PipelineDeadline}.\n{platform.LogTails()}");
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
