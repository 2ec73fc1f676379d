using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Escalation.Contracts.History.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>Every public HTTP and gRPC surface of the foundation, and how it refuses bad input.</summary>
public sealed class PublicSurfaceTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_service_reports_live_and_ready()
    {
        using var http = new HttpClient();
        foreach (var service in PlatformFixture.Services)
        {
            foreach (var path in new[] { "health/live", "health/ready" })
            {
                var response = await http.GetAsync(new Uri(platform.HttpAddress(service), path), Cancellation);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{service} /{path}: {(int)response.StatusCode}");
                Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(Cancellation));
            }
        }
    }

    [Fact]
    public async Task History_answers_gRPC_health_and_lists_its_services_by_reflection()
    {
        using var anonymous = platform.CreateHistoryChannel(apiKey: ""); // health needs no key
        var health = await new Health.HealthClient(anonymous).CheckAsync(new HealthCheckRequest(), cancellationToken: Cancellation);
        using var channel = platform.CreateHistoryChannel(platform.OperatorKey);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        using var reflection = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(cancellationToken: Cancellation);
        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, Cancellation);
        await reflection.RequestStream.CompleteAsync();
        Assert.True(await reflection.ResponseStream.MoveNext(Cancellation));
        var services = reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Subset(services.ToHashSet(), new HashSet<string>
        {
            "escalation.history.v1.CaseHistory", "escalation.history.v1.CaseFeed", "escalation.history.v1.Kpis", "escalation.history.v1.HistoryAdmin",
            "grpc.health.v1.Health",
        });
    }

    [Fact]
    public async Task Intake_serves_an_OpenAPI_document_describing_every_endpoint()
    {
        using var document = JsonDocument.Parse(await platform.Intake.GetStringAsync("openapi/v1.json", Cancellation));

        var post = document.RootElement.GetProperty("paths").GetProperty("/api/contacts").GetProperty("post");
        Assert.True(post.GetProperty("responses").TryGetProperty("202", out _));
        Assert.True(post.GetProperty("responses").TryGetProperty("400", out _));
        Assert.True(post.TryGetProperty("requestBody", out _));
        Assert.Contains(post.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key");
        Assert.True(document.RootElement.GetProperty("components").GetProperty("schemas").TryGetProperty("InboundContact", out _));
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/contacts:batch", "/api/contacts/schema", "/api/cases/{caseId}/resolution-attempts", "/api/cases/{caseId}/resolve", "/api/cases/{caseId}/close" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
        }
    }

    [Fact]
    public async Task A_contact_with_a_missing_field_is_rejected_with_problem_details_naming_the_field()
    {
        var invalid = PlatformDriver.Contact($"bad-{Guid.NewGuid():N}", "Chat", "en", null, "");
        var response = await platform.Intake.PostAsJsonAsync("api/contacts", invalid, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("text", out _));
    }

    [Fact]
    public async Task Malformed_JSON_is_a_problem_naming_the_field_and_records_nothing()
    {
        var contactId = $"malformed-{Guid.NewGuid():N}";
        var body = $$"""{"contactId":"{{contactId}}","conversationId":"c","channel":"Carrier pigeon","customer":{"id":"x","tier":"Standard","language":"en"},"author":"Customer","text":"hi","occurredAt":"2026-11-23T10:00:00Z"}""";

        var response = await platform.Intake.PostAsync("api/contacts", new StringContent(body, Encoding.UTF8, "application/json"), Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("channel", out _), problem.RootElement.ToString());
        Assert.Equal(0, await CountReceivedAsync($"Chat:{contactId}"));
    }

    [Fact]
    public async Task An_Idempotency_Key_reused_for_another_contact_is_a_conflict()
    {
        var key = $"key-{Guid.NewGuid():N}";
        var first = PlatformDriver.Contact($"idem-a-{Guid.NewGuid():N}", "Email", "en", null, "Where is my parcel?");
        var second = PlatformDriver.Contact($"idem-b-{Guid.NewGuid():N}", "Email", "en", null, "Another question");
        await _driver.PostAsync(first, key);

        using var request = new HttpRequestMessage(HttpMethod.Post, "api/contacts") { Content = JsonContent.Create(second) };
        request.Headers.Add("Idempotency-Key", key);
        var response = await platform.Intake.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await CountReceivedAsync($"Email:{second.ContactId}"));
    }

    [Fact]
    public async Task An_invalid_AMQP_contact_is_dead_lettered_with_the_reason_and_records_nothing()
    {
        Assert.SkipUnless(platform.Infrastructure.HasManagementApi, "needs the RabbitMQ management API to read the error queue");
        var contactId = $"amqp-invalid-{Guid.NewGuid():N}";
        await _driver.PublishRawAsync(PlatformDriver.Contact(contactId, "Social", "en", null, text: ""), traceParent: null);

        var dead = await _driver.PollAsync(async () =>
        {
            var messages = await platform.Infrastructure.PeekMessagesAsync("intake-inbound-contact-raw_error", 2000);
            return messages.FirstOrDefault(m => m.Payload.Contains(contactId)) is { Payload: not null } found ? found.Headers : null;
        }, "the invalid contact never reached intake-inbound-contact-raw_error");

        Assert.Contains("text", dead["MT-Fault-Message"]);
        Assert.Contains("InvalidMessageException", dead["MT-Fault-ExceptionType"]);
        Assert.Equal(0, await CountReceivedAsync($"Social:{contactId}"));
    }

    [Fact]
    public async Task GetHistory_pages_through_a_case_found_by_id_or_by_reference()
    {
        var contact = PlatformDriver.Contact($"paging-{Guid.NewGuid():N}", "Phone", "en", null, "My router keeps rebooting");
        var accepted = (await _driver.PostAsync(contact, null)).Body;
        await _driver.PollAsync(async () =>
            (await platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = accepted.CaseId.ToString() }, cancellationToken: Cancellation)).Events.Count >= 4 ? "ok" : null,
            "SLA-watch never started the first-response and resolution clocks");

        var byReference = await platform.History.GetHistoryAsync(new GetHistoryRequest { Reference = accepted.Reference, PageSize = 2 }, cancellationToken: Cancellation);
        Assert.Equal(accepted.CaseId.ToString(), byReference.CaseId);
        Assert.Equal(accepted.Reference, byReference.Reference);
        Assert.Equal(["TicketOpened", "ContactReceived"], byReference.Events.Select(e => e.Type));
        Assert.Equal(2, byReference.NextAfterVersion);
        Assert.False(byReference.EndOfStream);

        var rest = await platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = accepted.CaseId.ToString(), AfterVersion = byReference.NextAfterVersion }, cancellationToken: Cancellation);
        Assert.Equal(["SlaClockStarted", "SlaClockStarted"], rest.Events.Select(e => e.Type));
        Assert.True(rest.EndOfStream);
        var clock = rest.Events[0];
        Assert.Equal(3, clock.Version);
        Assert.True(clock.GlobalPosition > byReference.Events[1].GlobalPosition);
        Assert.Equal("service:slawatch", clock.Actor);
        Assert.Equal(byReference.Events[0].EventId, clock.CausationId);
        using var payload = JsonDocument.Parse(clock.Json);
        Assert.Equal("FirstResponse", payload.RootElement.GetProperty("metric").GetString());
    }

    [Theory]
    [InlineData("not-a-uuid", null, StatusCode.InvalidArgument)]
    [InlineData(null, null, StatusCode.InvalidArgument)]
    [InlineData("0193a000-0000-7000-8000-0000000000ff", null, StatusCode.NotFound)]
    [InlineData(null, "ESC-0", StatusCode.NotFound)]
    public async Task GetHistory_refuses_what_it_cannot_answer(string? caseId, string? reference, StatusCode expected)
    {
        var request = new GetHistoryRequest();
        if (caseId is not null) request.CaseId = caseId;
        if (reference is not null) request.Reference = reference;

        var failure = await Assert.ThrowsAsync<RpcException>(async () => await platform.History.GetHistoryAsync(request, cancellationToken: Cancellation));

        Assert.Equal(expected, failure.StatusCode);
    }

    private async Task<long> CountReceivedAsync(string contactKey)
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM intake.mt_doc_receivedcontact WHERE id = @id", connection);
        count.Parameters.AddWithValue("id", contactKey);
        return (long)(await count.ExecuteScalarAsync(Cancellation))!;
    }
}
