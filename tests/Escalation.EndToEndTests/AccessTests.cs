using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Escalation.Access;
using Escalation.Contracts.History.V1;
using Grpc.Core;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>
/// API keys on every HTTP and gRPC endpoint but health, scopes per caller, channel-bound keys, hashing at rest,
/// rotation and revocation, and intake's size and rate limits.
/// </summary>
public sealed class AccessTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_HTTP_endpoint_in_the_OpenAPI_documents_refuses_a_request_without_a_valid_key()
    {
        foreach (var service in new[] { "Intake", "Routing" })
        {
            using var keyed = platform.CreateClient(service);
            using var document = JsonDocument.Parse(await keyed.GetStringAsync("openapi/v1.json", Cancellation));
            var operations = document.RootElement.GetProperty("paths").EnumerateObject()
                .SelectMany(path => path.Value.EnumerateObject().Select(method => (Method: method.Name.ToUpperInvariant(), Path: Concrete(path.Name))))
                .ToList();
            Assert.True(operations.Count >= 3, $"{service} documents only {operations.Count} operations");

            foreach (var apiKey in new[] { "", "esc_0123456789abcdef.not-the-secret", "not-a-key" })
            {
                using var anonymous = platform.CreateClient(service, apiKey);
                foreach (var (method, path) in operations.Append(("GET", "openapi/v1.json")))
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path.TrimStart('/'));
                    if (method is "POST" or "PUT") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                    using var response = await anonymous.SendAsync(request, Cancellation);
                    Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{service} {method} {path} with key '{apiKey}': {(int)response.StatusCode}");
                    Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
                }
            }
        }
    }

    [Fact]
    public async Task Every_gRPC_method_but_health_refuses_a_call_without_a_valid_key()
    {
        using var anonymous = platform.CreateHistoryChannel(apiKey: "");
        var history = new CaseHistory.CaseHistoryClient(anonymous);
        var admin = new HistoryAdmin.HistoryAdminClient(anonymous);
        var calls = new Dictionary<string, Func<Task>>
        {
            ["GetCase"] = async () => await history.GetCaseAsync(new GetCaseRequest { Case = new CaseRef { Reference = "ESC-1" } }, cancellationToken: Cancellation),
            ["GetHistory"] = async () => await history.GetHistoryAsync(new GetHistoryRequest { CaseId = Guid.NewGuid().ToString() }, cancellationToken: Cancellation),
            ["GetCaseAsOf"] = async () => await history.GetCaseAsOfAsync(new GetCaseAsOfRequest { Case = new CaseRef { Reference = "ESC-1" }, Version = 1 }, cancellationToken: Cancellation),
            ["ReplayCase"] = async () => await history.ReplayCaseAsync(new ReplayCaseRequest { Case = new CaseRef { Reference = "ESC-1" } }, cancellationToken: Cancellation),
            ["Subscribe"] = async () =>
            {
                using var feed = new CaseFeed.CaseFeedClient(anonymous).Subscribe(new SubscribeRequest(), cancellationToken: Cancellation);
                await feed.ResponseStream.MoveNext(Cancellation);
            },
            ["GetKpis"] = async () => await new Kpis.KpisClient(anonymous).GetKpisAsync(new GetKpisRequest(), cancellationToken: Cancellation),
            ["ListProjections"] = async () => await admin.ListProjectionsAsync(new ListProjectionsRequest(), cancellationToken: Cancellation),
            ["EraseCustomer"] = async () => await admin.EraseCustomerAsync(new EraseCustomerRequest { CustomerId = "x" }, cancellationToken: Cancellation),
            ["RebuildProjection"] = async () =>
            {
                using var rebuild = admin.RebuildProjection(new RebuildProjectionRequest { Name = "case-records" }, cancellationToken: Cancellation);
                await rebuild.ResponseStream.MoveNext(Cancellation);
            },
        };

        foreach (var (method, call) in calls)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(call);
            Assert.True(refused.StatusCode == StatusCode.Unauthenticated, $"{method}: {refused.StatusCode}");
        }
    }

    [Fact]
    public async Task A_channel_key_submits_only_contacts_of_its_channel_and_reads_nothing()
    {
        var chatbotKey = await platform.IssueKeyAsync([Scopes.ContactsSubmit], channel: "Chatbot");
        using var intake = platform.CreateClient("Intake", chatbotKey);
        var id = Guid.NewGuid().ToString("N");

        var ownChannel = await intake.PostAsJsonAsync("api/contacts", PlatformDriver.Contact($"own-{id}", "Chatbot", "en", null, "hello"), Cancellation);
        Assert.Equal(HttpStatusCode.Accepted, ownChannel.StatusCode);

        var otherChannel = PlatformDriver.Contact($"other-{id}", "Email", "en", null, "hello");
        var refused = await intake.PostAsJsonAsync("api/contacts", otherChannel, Cancellation);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        using (var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Cancellation)))
        {
            Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("channel", out _));
        }

        var batch = await intake.PostAsJsonAsync("api/contacts:batch",
            new { contacts = new[] { PlatformDriver.Contact($"b1-{id}", "Chatbot", "en", null, "a"), PlatformDriver.Contact($"b2-{id}", "Phone", "en", null, "b") } },
            Cancellation);
        Assert.Equal(HttpStatusCode.Forbidden, batch.StatusCode);
        using (var problem = JsonDocument.Parse(await batch.Content.ReadAsStringAsync(Cancellation)))
        {
            Assert.Equal(["contacts[1].channel"], problem.RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        }

        // Nothing of the refused requests was recorded: the same contacts are new to an unbound key.
        var (_, first) = await _driver.PostAsync(otherChannel, idempotencyKey: null);
        Assert.False(first.Duplicate);
        var (_, batchFirst) = await _driver.PostAsync(PlatformDriver.Contact($"b1-{id}", "Chatbot", "en", null, "a"), idempotencyKey: null);
        Assert.False(batchFirst.Duplicate);

        using var routing = platform.CreateClient("Routing", chatbotKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await routing.GetAsync("api/routing/matrix", Cancellation)).StatusCode);
        using var channel = platform.CreateHistoryChannel(chatbotKey);
        var read = await Assert.ThrowsAsync<RpcException>(async () =>
            await new CaseHistory.CaseHistoryClient(channel).GetHistoryAsync(new GetHistoryRequest { CaseId = first.CaseId.ToString() }, cancellationToken: Cancellation));
        Assert.Equal(StatusCode.PermissionDenied, read.StatusCode);
    }

    [Fact]
    public async Task A_read_key_reads_and_subscribes_but_cannot_submit_act_or_administer()
    {
        var readKey = await platform.IssueKeyAsync([Scopes.CasesRead]);
        var (_, accepted) = await _driver.PostAsync(PlatformDriver.Contact($"read-{Guid.NewGuid():N}", "Chat", "en", null, "hello"), idempotencyKey: null);

        using var channel = platform.CreateHistoryChannel(readKey);
        var history = await new CaseHistory.CaseHistoryClient(channel).GetHistoryAsync(
            new GetHistoryRequest { CaseId = accepted.CaseId.ToString() }, cancellationToken: Cancellation);
        Assert.NotEmpty(history.Events);
        using (var feed = new CaseFeed.CaseFeedClient(channel).Subscribe(new SubscribeRequest(), cancellationToken: Cancellation))
        {
            Assert.True(await feed.ResponseStream.MoveNext(Cancellation));
        }

        using var routing = platform.CreateClient("Routing", readKey);
        Assert.Equal(HttpStatusCode.OK, (await routing.GetAsync("api/routing/matrix", Cancellation)).StatusCode);
        var putMatrix = await routing.PutAsJsonAsync("api/routing/matrix/billing/L2", new { team = "billing-l2" }, Cancellation);
        Assert.Equal(HttpStatusCode.Forbidden, putMatrix.StatusCode);
        Assert.Equal("application/problem+json", putMatrix.Content.Headers.ContentType?.MediaType);

        using var intake = platform.CreateClient("Intake", readKey);
        var submit = await intake.PostAsJsonAsync("api/contacts", PlatformDriver.Contact($"r-{Guid.NewGuid():N}", "Chat", "en", null, "x"), Cancellation);
        Assert.Equal(HttpStatusCode.Forbidden, submit.StatusCode);
        var resolve = await intake.PostAsJsonAsync($"api/cases/{accepted.CaseId}/resolve",
            new { commandId = Guid.NewGuid().ToString(), resolution = "done", resolvedBy = "agent-1" }, Cancellation);
        Assert.Equal(HttpStatusCode.Forbidden, resolve.StatusCode);

        var administer = await Assert.ThrowsAsync<RpcException>(async () =>
            await new HistoryAdmin.HistoryAdminClient(channel).ListProjectionsAsync(new ListProjectionsRequest(), cancellationToken: Cancellation));
        Assert.Equal(StatusCode.PermissionDenied, administer.StatusCode);
    }

    [Fact]
    public async Task Keys_are_stored_hashed_and_rotation_and_revocation_take_effect_within_the_cache_time()
    {
        var client = $"e2e-rotate-{Guid.NewGuid():N}";
        var original = await platform.ApiKeys.IssueAsync(client, [Scopes.CasesRead], null, null, null, DateTimeOffset.UtcNow, Cancellation);
        Assert.True(ApiKeyToken.TryParse(original.Token, out _, out var secret));

        await using (var database = NpgsqlDataSource.Create(platform.Infrastructure.PostgresConnectionString))
        await using (var row = database.CreateCommand("SELECT row_to_json(k)::text FROM access.api_keys k WHERE key_id = $1"))
        {
            row.Parameters.AddWithValue(original.Key.KeyId);
            var stored = (string)(await row.ExecuteScalarAsync(Cancellation))!;
            Assert.DoesNotContain(secret, stored);
            Assert.DoesNotContain(Convert.ToHexString(Encoding.UTF8.GetBytes(secret)), stored, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(HttpStatusCode.OK, await MatrixStatusAsync(original.Token));

        var rotated = await platform.ApiKeys.RotateAsync(client, grace: TimeSpan.Zero, DateTimeOffset.UtcNow, Cancellation);
        Assert.Equal(original.Key.Scopes, rotated.Key.Scopes);
        Assert.Equal(HttpStatusCode.OK, await MatrixStatusAsync(rotated.Token));
        await WaitForStatusAsync(original.Token, HttpStatusCode.Unauthorized, "the rotated-out key kept working");

        Assert.True(await platform.ApiKeys.RevokeAsync(rotated.Key.KeyId, DateTimeOffset.UtcNow, Cancellation));
        await WaitForStatusAsync(rotated.Token, HttpStatusCode.Unauthorized, "the revoked key kept working");

        var expired = await platform.ApiKeys.IssueAsync(client, [Scopes.CasesRead], null, null, DateTimeOffset.UtcNow.AddSeconds(-1), DateTimeOffset.UtcNow, Cancellation);
        using var routing = platform.CreateClient("Routing", expired.Token);
        var response = await routing.GetAsync("api/routing/matrix", Cancellation);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("expired", await response.Content.ReadAsStringAsync(Cancellation));
    }

    [Fact]
    public async Task Oversized_bodies_are_refused_everywhere_and_intake_refuses_contacts_beyond_a_keys_rate()
    {
        var tooLong = PlatformDriver.Contact($"big-{Guid.NewGuid():N}", "Chat", "en", null, new string('x', 300_000));
        var oversized = await platform.Intake.PostAsJsonAsync("api/contacts", tooLong, Cancellation);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.Equal("application/problem+json", oversized.Content.Headers.ContentType?.MediaType);

        using var routing = platform.CreateClient("Routing");
        var huge = await routing.PutAsync("api/routing/teams/billing/contacts",
            new StringContent($"{{\"email\":\"{new string('x', 2 * 1024 * 1024)}\"}}", Encoding.UTF8, "application/json"), Cancellation);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Equal("application/problem+json", huge.Content.Headers.ContentType?.MediaType);

        // Intake's batch endpoint takes more than the 1 MiB default: 100 long contacts, about 1.5 MB.
        var longText = new string('y', 15_000);
        var bigBatch = new { contacts = Enumerable.Range(0, 100).Select(i => PlatformDriver.Contact($"bigbatch-{Guid.NewGuid():N}", "Email", "en", null, longText)).ToArray() };
        Assert.Equal(HttpStatusCode.Accepted, (await platform.Intake.PostAsJsonAsync("api/contacts:batch", bigBatch, Cancellation)).StatusCode);

        var slowKey = await platform.IssueKeyAsync([Scopes.ContactsSubmit], contactsPerSecond: 5);
        using var intake = platform.CreateClient("Intake", slowKey);
        var run = Guid.NewGuid().ToString("N");
        object Batch(int n) => new { contacts = Enumerable.Range(0, 100).Select(i => PlatformDriver.Contact($"rate-{run}-{n}-{i}", "Chat", "en", null, "hi")).ToArray() };

        // The bucket holds one batch; the second cannot be refilled in time at 5 contacts/s.
        Assert.Equal(HttpStatusCode.Accepted, (await intake.PostAsJsonAsync("api/contacts:batch", Batch(1), Cancellation)).StatusCode);
        var limited = await intake.PostAsJsonAsync("api/contacts:batch", Batch(2), Cancellation);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);

        // Another key is not held back by this one's limit.
        var (status, _) = await _driver.PostAsync(PlatformDriver.Contact($"rate-{run}-other", "Chat", "en", null, "hi"), idempotencyKey: null);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(0, await _driver.RecordedWithMarkerAsync($"rate-{run}-2-"));
    }

    [Fact]
    public async Task Each_service_account_on_the_broker_reaches_only_its_own_queues_and_only_the_relay_publishes_case_events()
    {
        Assert.SkipUnless(platform.Infrastructure.HasManagementApi, "service accounts need the management API to be created");
        static async Task<RabbitMQ.Client.Exceptions.OperationInterruptedException?> RefusedAsync(string uri, Func<RabbitMQ.Client.IChannel, Task> act)
        {
            await using var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync(Cancellation);
            await using var channel = await connection.CreateChannelAsync(
                new RabbitMQ.Client.CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Cancellation);
            try
            {
                await act(channel);
                return null;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException refused)
            {
                return refused;
            }
        }

        var body = Encoding.UTF8.GetBytes("{}");
        Task PublishAsync(RabbitMQ.Client.IChannel channel, string exchange) =>
            channel.BasicPublishAsync(exchange, "", mandatory: false, new RabbitMQ.Client.BasicProperties(), body, Cancellation).AsTask();

        var triage = platform.Infrastructure.RabbitMqUriOf("Triage");
        var forged = await RefusedAsync(triage, c => PublishAsync(c, "Escalation.Contracts.Cases:TicketOpened"));
        Assert.Equal((ushort)403, forged?.ShutdownReason?.ReplyCode);
        var foreignQueue = await RefusedAsync(triage, c => c.BasicGetAsync("intake-inbound-contact", autoAck: false, Cancellation));
        Assert.Equal((ushort)403, foreignQueue?.ShutdownReason?.ReplyCode);
        Assert.Null(await RefusedAsync(triage, c => c.BasicGetAsync("triage-case-signals", autoAck: false, Cancellation)));

        var channelAccount = platform.Infrastructure.RabbitMqUriOf("channel");
        Assert.Equal((ushort)403, (await RefusedAsync(channelAccount, c => PublishAsync(c, "Escalation.Contracts.Intake:CloseCase")))?.ShutdownReason?.ReplyCode);
        Assert.Equal((ushort)403, (await RefusedAsync(channelAccount, c => c.BasicGetAsync("intake-inbound-contact", autoAck: false, Cancellation)))?.ShutdownReason?.ReplyCode);
    }

    private async Task<HttpStatusCode> MatrixStatusAsync(string apiKey)
    {
        using var routing = platform.CreateClient("Routing", apiKey);
        using var response = await routing.GetAsync("api/routing/matrix", Cancellation);
        return response.StatusCode;
    }

    private Task WaitForStatusAsync(string apiKey, HttpStatusCode expected, string failure) =>
        _driver.PollAsync(async () => await MatrixStatusAsync(apiKey) == expected ? "done" : null, () => failure);

    /// <summary>An OpenAPI path with its parameters filled in ({caseId} with a fresh GUID, others with a word).</summary>
    private static string Concrete(string path) => System.Text.RegularExpressions.Regex.Replace(path, @"\{([^}]+)\}",
        parameter => parameter.Groups[1].Value.EndsWith("Id", StringComparison.Ordinal) && parameter.Groups[1].Value != "agentId"
            ? Guid.NewGuid().ToString() : "x");
}
