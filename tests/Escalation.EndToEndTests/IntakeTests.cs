using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>Intake as the platform's front door: every channel, both transports, dedupe, lifecycle, bad input.</summary>
public sealed class IntakeTests(PlatformFixture platform)
{
    private static readonly string[] Channels = ["Phone", "Email", "Chat", "Chatbot", "Social", "InPerson", "HelpDesk", "WebForm"];
    private readonly PlatformDriver _driver = new(platform);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_channel_is_accepted_over_both_transports_and_the_MassTransit_envelope()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        await _driver.PublishBytesAsync(Channels.Select(channel =>
            (Encoding.UTF8.GetBytes(Contact($"amqp-{channel}-{run}", channel).ToJsonString()), (IDictionary<string, object?>)new Dictionary<string, object?>())));
        var httpCases = new Dictionary<string, Guid>();
        foreach (var channel in Channels)
        {
            httpCases[channel] = (await _driver.PostAsync(Contact($"http-{channel}-{run}", channel), null)).Body.CaseId;
        }

        // A .NET publisher may send the MassTransit envelope instead of plain JSON.
        var envelope = Contact($"envelope-{run}", "Email");
        await _driver.SendEnvelopeAsync("Escalation.Contracts.Intake:InboundContact", envelope);
        var envelopeCase = await _driver.WaitForCaseOfContactAsync("Email", $"envelope-{run}", Cancellation);
        Assert.Single(await _driver.EventsAsync(envelopeCase), e => e.Type == "contact_received");

        foreach (var channel in Channels)
        {
            var amqpCase = await _driver.WaitForCaseOfContactAsync(channel, $"amqp-{channel}-{run}", Cancellation);
            foreach (var caseId in new[] { amqpCase, httpCases[channel] })
            {
                var events = await _driver.EventsAsync(caseId);
                Assert.Equal(channel, events.Single(e => e.Type == "ticket_opened").Data.RootElement.GetProperty("channel").GetString());
                Assert.Equal(channel, events.Single(e => e.Type == "contact_received").Data.RootElement.GetProperty("channel").GetString());
            }
        }
    }

    [Fact]
    public async Task Fifty_copies_of_one_contact_at_once_over_both_transports_record_one_contact()
    {
        var contactId = $"copies-{Guid.NewGuid():N}";
        var contact = Contact(contactId, "Chat");
        var body = Encoding.UTF8.GetBytes(contact.ToJsonString());

        var amqp = _driver.PublishBytesAsync(Enumerable.Range(0, 25).Select(_ => (body, (IDictionary<string, object?>)new Dictionary<string, object?>())));
        var http = Enumerable.Range(0, 25).Select(_ => platform.Intake.PostAsync("api/contacts", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } }, Cancellation));
        var responses = await Task.WhenAll(http);
        await amqp;
        await _driver.WaitUntilSettledAsync(Cancellation);

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.Accepted, response.StatusCode));
        var cases = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<PlatformDriver.Accepted>(Cancellation))!));
        Assert.Single(cases.Select(c => c.CaseId).Distinct());
        Assert.InRange(cases.Count(c => !c.Duplicate), 0, 1); // none when an AMQP copy won the race
        var events = await _driver.EventsAsync(cases[0].CaseId);
        Assert.Single(events, e => e.Type == "contact_received");
        Assert.Single(events, e => e.Type == "ticket_opened");
    }

    [Fact]
    public async Task Two_different_contacts_of_one_case_at_the_same_instant_both_land_in_a_defined_order()
    {
        var conversation = $"pair-{Guid.NewGuid():N}";
        var first = (await _driver.PostAsync(Contact($"{conversation}-0", "Chat", conversation), null)).Body;

        var concurrent = Enumerable.Range(1, 10).Select(i => _driver.PostAsync(Contact($"{conversation}-{i}", "Chat", conversation), null));
        var results = await Task.WhenAll(concurrent);

        Assert.All(results, r => Assert.Equal(first.CaseId, r.Body.CaseId));
        var received = (await _driver.EventsAsync(first.CaseId)).Where(e => e.Type == "contact_received").ToList();
        Assert.Equal(11, received.Count);
        Assert.Equal(11, received.Select(e => e.Data.RootElement.GetProperty("contactId").GetString()).Distinct().Count());
        Assert.Equal(received.Select(e => e.Version).Order(), received.Select(e => e.Version)); // one total order, by stream version
    }

    [Fact]
    public async Task A_burst_of_new_and_follow_up_contacts_shares_commits_and_records_each_once_on_its_own_trace()
    {
        var run = $"burst-{Guid.NewGuid():N}"[..14];
        var existing = new Dictionary<string, Guid>();
        for (var i = 0; i < 10; i++)
        {
            var conversation = $"{run}-old-{i}";
            existing[conversation] = (await _driver.PostAsync(Contact($"{conversation}-0", "Chat", conversation), null)).Body.CaseId;
        }

        // 150 new conversations, two follow-ups on each existing one, and a second copy of ten new contacts: all at once.
        var burst = new List<(string ContactId, string TraceId, JsonObject Contact)>();
        void Add(string contactId, string conversation) =>
            burst.Add((contactId, Guid.NewGuid().ToString("N"), Contact(contactId, "Chat", conversation)));
        for (var i = 0; i < 150; i++) Add($"{run}-new-{i}-0", $"{run}-new-{i}");
        foreach (var conversation in existing.Keys)
        {
            Add($"{conversation}-1", conversation);
            Add($"{conversation}-2", conversation);
        }

        for (var i = 0; i < 10; i++) Add($"{run}-new-{i}-0", $"{run}-new-{i}");
        await _driver.PublishBytesAsync(burst.Select(message => (Encoding.UTF8.GetBytes(message.Contact.ToJsonString()),
            (IDictionary<string, object?>)new Dictionary<string, object?> { ["traceparent"] = $"00-{message.TraceId}-{message.TraceId[..16]}-01" })));
        await _driver.WaitUntilSettledAsync(Cancellation);

        var received = new List<(string ContactId, Guid CaseId, long Version, string TraceParent, string Transaction)>();
        await using (var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString))
        {
            await connection.OpenAsync(Cancellation);
            await using var query = new NpgsqlCommand(
                "SELECT data->>'contactId', stream_id, version, headers->>'traceparent', xmin::text FROM events.mt_events " +
                "WHERE type = 'contact_received' AND data->>'contactId' LIKE @run", connection);
            query.Parameters.AddWithValue("run", $"{run}-%");
            await using var reader = await query.ExecuteReaderAsync(Cancellation);
            while (await reader.ReadAsync(Cancellation))
            {
                received.Add((reader.GetString(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4)));
            }
        }

        // Each contact exactly once: a case of its own for each new conversation, three in turn on each existing case.
        Assert.Equal(10 + 150 + 20, received.Count);
        Assert.Equal(received.Count, received.Select(contact => contact.ContactId).Distinct().Count());
        Assert.Equal(150, received.Where(contact => contact.ContactId.Contains("-new-")).Select(contact => contact.CaseId).Distinct().Count());
        foreach (var (conversation, caseId) in existing)
        {
            var onCase = received.Where(contact => contact.CaseId == caseId).ToList();
            Assert.Equal([$"{conversation}-0", $"{conversation}-1", $"{conversation}-2"], onCase.Select(contact => contact.ContactId).Order());
            Assert.Equal(3, onCase.Select(contact => contact.Version).Distinct().Count());
        }

        // Each event carries the trace of a message that delivered its contact, not the group commit's.
        var fromBurst = received.Where(contact => burst.Any(message => message.ContactId == contact.ContactId)).ToList();
        Assert.Equal(170, fromBurst.Count);
        foreach (var contact in fromBurst)
        {
            var traceId = contact.TraceParent.Split('-')[1];
            Assert.Contains(burst, message => message.ContactId == contact.ContactId && message.TraceId == traceId);
        }

        // And the burst shared transactions: fewer commits than contacts.
        Assert.InRange(fromBurst.Select(contact => contact.Transaction).Distinct().Count(), 1, fromBurst.Count - 1);
    }

    [Fact]
    public async Task A_case_is_worked_resolved_closed_and_reopened_within_the_window()
    {
        var conversation = $"life-{Guid.NewGuid():N}";
        var opened = (await _driver.PostAsync(Contact($"{conversation}-1", "Email", conversation, "My router keeps rebooting"), null)).Body;
        var caseUrl = $"api/cases/{opened.CaseId}";

        Assert.Equal(HttpStatusCode.Accepted, (await PostJsonAsync($"{caseUrl}/resolution-attempts", new { attemptId = "a-1", step = "Power cycle", outcome = "Failed", by = "bot", attemptedAt = DateTimeOffset.UtcNow })).StatusCode);
        var agentReply = Contact($"{conversation}-2", "Email", conversation, "Please try the firmware update.");
        agentReply["author"] = "Agent";
        await _driver.PostAsync(agentReply, null);
        Assert.Equal(HttpStatusCode.Conflict, (await PostJsonAsync($"{caseUrl}/close", new { commandId = "c-0" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await PostJsonAsync($"{caseUrl}/resolve", new { commandId = "r-1", resolution = "Firmware updated", resolvedBy = "agent-7" })).StatusCode);
        var repeat = await PostJsonAsync($"{caseUrl}/resolve", new { commandId = "r-1", resolution = "Firmware updated", resolvedBy = "agent-7" });
        Assert.True((await repeat.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("duplicate").GetBoolean());
        Assert.Equal(HttpStatusCode.Accepted, (await PostJsonAsync($"{caseUrl}/close", new { commandId = "c-1", confirmedBy = "customer" })).StatusCode);

        var reopened = (await _driver.PostAsync(Contact($"{conversation}-3", "Email", conversation, "It is rebooting again!"), null)).Body;

        Assert.Equal(opened.CaseId, reopened.CaseId);
        Assert.Equal(
            ["ticket_opened", "contact_received", "resolution_attempted", "contact_received", "case_resolved", "case_closed", "case_reopened", "contact_received"],
            (await _driver.EventsAsync(opened.CaseId)).Select(e => e.Type).Where(t => t is "ticket_opened" or "contact_received" or "resolution_attempted"
                or "case_resolved" or "case_closed" or "case_reopened")); // intake's own events; other services add theirs
    }

    [Fact]
    public async Task Past_the_reopen_window_a_new_contact_opens_a_new_case_for_the_conversation()
    {
        // A second Intake whose window is zero: any contact after the close is past it, with no waiting.
        var intake = await platform.StartExtraInstanceAsync("Intake", new Dictionary<string, string?> { ["Intake__ReopenWindow"] = "00:00:00" });
        using var http = platform.CreateClient(intake);
        var conversation = $"window-{Guid.NewGuid():N}";
        var first = await http.PostAsJsonAsync("api/contacts", Contact($"{conversation}-1", "Phone", conversation), Cancellation);
        var caseId = (await first.Content.ReadFromJsonAsync<PlatformDriver.Accepted>(Cancellation))!.CaseId;
        await http.PostAsJsonAsync($"api/cases/{caseId}/resolve", new { commandId = "r", resolution = "done" }, Cancellation);
        await http.PostAsJsonAsync($"api/cases/{caseId}/close", new { commandId = "c" }, Cancellation);

        var later = await http.PostAsJsonAsync("api/contacts", Contact($"{conversation}-2", "Phone", conversation), Cancellation);
        var next = (await later.Content.ReadFromJsonAsync<PlatformDriver.Accepted>(Cancellation))!;

        Assert.NotEqual(caseId, next.CaseId);
        Assert.False(next.Duplicate);
        Assert.Equal(["ticket_opened", "contact_received"], (await _driver.EventsAsync(next.CaseId)).Select(e => e.Type).Take(2));
        Assert.DoesNotContain(await _driver.EventsAsync(caseId), e => e.Type == "case_reopened");
        await platform.StopInstanceAsync(intake);
    }

    [Fact]
    public async Task Lifecycle_commands_over_AMQP_are_applied_once_and_refusals_dead_lettered()
    {
        var conversation = $"amqp-life-{Guid.NewGuid():N}";
        var opened = (await _driver.PostAsync(Contact($"{conversation}-1", "HelpDesk", conversation), null)).Body;
        var attempt = new { caseId = opened.CaseId, attemptId = $"{conversation}-a", step = "Cleared cache", outcome = "Partial", by = "agent", attemptedAt = DateTimeOffset.UtcNow };

        await _driver.SendEnvelopeAsync("Escalation.Contracts.Intake:RecordResolutionAttempt", attempt);
        await _driver.SendEnvelopeAsync("Escalation.Contracts.Intake:RecordResolutionAttempt", attempt);
        await _driver.SendEnvelopeAsync("Escalation.Contracts.Intake:CloseCase", new { caseId = opened.CaseId, commandId = $"{conversation}-close" });
        await _driver.WaitUntilSettledAsync(Cancellation);

        Assert.Single(await _driver.EventsAsync(opened.CaseId), e => e.Type == "resolution_attempted");
        Assert.DoesNotContain(await _driver.EventsAsync(opened.CaseId), e => e.Type == "case_closed");
        var refused = await platform.Infrastructure.PeekMessagesAsync("intake-lifecycle-commands_error", 200);
        Assert.Contains(refused, m => m.Payload.Contains($"{conversation}-close") && m.Headers["MT-Fault-Message"].Contains("not resolved"));
    }

    [Fact]
    public async Task A_batch_is_recorded_in_order_and_refused_whole_when_any_item_is_bad()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var good = new JsonObject { ["contacts"] = new JsonArray(Contact($"batch-{run}-1", "Chat"), Contact($"batch-{run}-2", "Social"), Contact($"batch-{run}-3", "WebForm")) };
        var accepted = await PostJsonAsync("api/contacts:batch", good, $"batch-{run}");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var results = (await accepted.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("results");
        Assert.Equal(3, results.GetArrayLength());
        Assert.All(results.EnumerateArray(), r => Assert.False(r.GetProperty("duplicate").GetBoolean()));

        var replay = await PostJsonAsync("api/contacts:batch", good, $"batch-{run}");
        Assert.All((await replay.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("results").EnumerateArray(), r => Assert.True(r.GetProperty("duplicate").GetBoolean()));

        var bad = Contact($"batch-{run}-bad", "Chat");
        bad["text"] = "";
        var mixed = new JsonObject { ["contacts"] = new JsonArray(Contact($"batch-{run}-4", "Chat"), bad) };
        var refused = await PostJsonAsync("api/contacts:batch", mixed);
        await AssertProblemAsync(refused, "contacts[1].text");
        Assert.Equal(0, await _driver.RecordedWithMarkerAsync($"batch-{run}-4"));

        var oversize = new JsonObject { ["contacts"] = new JsonArray(Enumerable.Range(0, 101).Select(i => (JsonNode)Contact($"batch-{run}-big-{i}", "Chat")).ToArray()) };
        await AssertProblemAsync(await PostJsonAsync("api/contacts:batch", oversize), "contacts");
        Assert.Equal(0, await _driver.RecordedWithMarkerAsync($"batch-{run}-big"));
    }

    [Fact]
    public async Task A_batch_of_interleaved_conversations_keeps_each_conversations_order_and_answers_in_the_batchs_order()
    {
        var run = $"mix-{Guid.NewGuid():N}"[..12];
        var conversations = Enumerable.Range(0, 4).Select(c => $"{run}-c{c}").ToList();
        var contacts = Enumerable.Range(0, 40).Select(i => Contact($"{conversations[i % 4]}-{i / 4}", "Chat", conversations[i % 4])).ToList();
        var response = await PostJsonAsync("api/contacts:batch", new JsonObject { ["contacts"] = new JsonArray([.. contacts]) });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("results").EnumerateArray()
            .Select(result => result.GetProperty("caseId").GetGuid()).ToList();

        Assert.Equal(40, results.Count);
        for (var c = 0; c < 4; c++)
        {
            // Every contact of a conversation answered with its one case, whose contacts landed in the batch's order.
            var caseId = results[c];
            Assert.All(Enumerable.Range(0, 10), turn => Assert.Equal(caseId, results[turn * 4 + c]));
            var received = (await _driver.EventsAsync(caseId)).Where(e => e.Type == "contact_received")
                .Select(e => e.Data.RootElement.GetProperty("contactId").GetString()).ToList();
            Assert.Equal(Enumerable.Range(0, 10).Select(turn => $"{conversations[c]}-{turn}"), received);
        }

        Assert.Equal(4, results.Distinct().Count());
    }

    [Fact]
    public async Task The_served_schema_is_the_committed_one()
    {
        var served = await platform.Intake.GetStringAsync("api/contacts/schema", Cancellation);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(PlatformFixture.RepositoryRoot, "contracts", "Escalation.Contracts", "Intake", "inbound-contact.schema.json"), Cancellation), served);
    }

    public static TheoryData<BadContact> Corpus() => [.. BadContactCorpus.Build("corpus-http", DateTimeOffset.UtcNow)];

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Every_bad_contact_over_HTTP_is_a_problem_naming_the_field(BadContact bad)
    {
        var response = await platform.Intake.PostAsync("api/contacts", new ByteArrayContent(bad.Body) { Headers = { ContentType = new("application/json") } }, Cancellation);

        await AssertProblemAsync(response, bad.Field);
    }

    [Fact]
    public async Task The_bad_contact_corpus_changes_nothing_over_HTTP()
    {
        // Runs alongside the theory above; by the time its own pass is through, nothing may carry the marker.
        foreach (var bad in BadContactCorpus.Build("corpus-http-2", DateTimeOffset.UtcNow))
        {
            var response = await platform.Intake.PostAsync("api/contacts", new ByteArrayContent(bad.Body) { Headers = { ContentType = new("application/json") } }, Cancellation);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Equal(0, await _driver.RecordedWithMarkerAsync("corpus-http"));
        Assert.Equal(HttpStatusCode.Accepted, (await platform.Intake.PostAsJsonAsync("api/contacts", Contact($"after-corpus-{Guid.NewGuid():N}", "Chat"), Cancellation)).StatusCode);
    }

    [Fact]
    public async Task Every_bad_contact_over_AMQP_is_dead_lettered_with_the_reason_and_the_consumer_keeps_going()
    {
        Assert.SkipUnless(platform.Infrastructure.HasManagementApi, "needs the RabbitMQ management API to read the error queue");
        var run = $"corpus-amqp-{Guid.NewGuid():N}"[..24];
        var corpus = BadContactCorpus.Build(run, DateTimeOffset.UtcNow);
        await _driver.PublishBytesAsync(corpus.Select(bad => (bad.Body, (IDictionary<string, object?>)new Dictionary<string, object?> { ["corpus-case"] = $"{run}/{bad.Name}" })));
        var after = $"after-amqp-corpus-{Guid.NewGuid():N}";
        await _driver.PublishRawAsync(Contact(after, "Chat"), traceParent: null);

        await _driver.WaitForCaseOfContactAsync("Chat", after, Cancellation);
        // Faults go to _error with MT-Fault-Message; a body no consumer could take (empty, JSON null) to _skipped with MT-Reason.
        var missing = corpus.Select(bad => bad.Name).ToList();
        var reasons = await _driver.PollAsync(async () =>
        {
            var found = new Dictionary<string, string>();
            foreach (var (queue, header) in new[] { ("intake-inbound-contact-raw_error", "MT-Fault-Message"), ("intake-inbound-contact-raw_skipped", "MT-Reason") })
            {
                foreach (var message in await platform.Infrastructure.PeekMessagesAsync(queue, 2000))
                {
                    if (message.Headers.TryGetValue("corpus-case", out var name) && name.StartsWith(run + "/", StringComparison.Ordinal))
                    {
                        found[name[(run.Length + 1)..]] = message.Headers.GetValueOrDefault(header, "");
                    }
                }
            }

            missing = corpus.Select(bad => bad.Name).Where(name => !found.ContainsKey(name)).ToList();
            return missing.Count == 0 ? found : null;
        }, () => $"not every bad contact was dead-lettered (missing: {string.Join(", ", missing)})");

        Assert.All(corpus, bad =>
        {
            var reason = reasons[bad.Name];
            Assert.False(string.IsNullOrWhiteSpace(reason), bad.Name);
            if (bad.Field is not null)
            {
                Assert.True(reason.Contains(bad.Field, StringComparison.OrdinalIgnoreCase), $"{bad.Name}: reason '{reason}' does not name {bad.Field}");
            }
        });
        Assert.Equal(0, await _driver.RecordedWithMarkerAsync(run));
    }

    private async Task AssertProblemAsync(HttpResponseMessage response, string? field)
    {
        var body = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        if (field is null)
        {
            Assert.NotEmpty(errors.EnumerateObject());
        }
        else
        {
            Assert.True(errors.TryGetProperty(field, out _), $"expected an error for '{field}', got {errors}");
        }
    }

    private async Task<HttpResponseMessage> PostJsonAsync(string path, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await platform.Intake.SendAsync(request, Cancellation);
    }

    private static JsonObject Contact(string contactId, string channel, string? conversation = null, string text = "Where is my parcel?")
    {
        var contact = BadContactCorpus.Valid(contactId, DateTimeOffset.UtcNow);
        contact["channel"] = channel;
        contact["text"] = text;
        contact.Remove("traceParent");
        if (conversation is not null)
        {
            contact["conversationId"] = conversation;
            contact["customer"]!["id"] = $"cust-{conversation}";
        }

        return contact;
    }
}
