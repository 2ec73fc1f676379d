using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace Escalation.EndToEndTests;

/// <summary>A customer's name, email and phone go into the case, and nowhere into logs or traces (issue 11).</summary>
public sealed class PersonalDataTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);

    [Fact]
    public async Task A_customers_name_email_and_phone_reach_the_case_but_no_log_or_span()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var run = Guid.NewGuid().ToString("N")[..8];
        var (name, email, phone) = ($"山田 花子 {run}", $"pii-{run}@example.jp", $"090-{Random.Shared.Next(1000, 9999)}-{Random.Shared.Next(1000, 9999)}");
        var contact = new
        {
            contactId = $"pii-{run}", conversationId = $"pii-{run}", channel = "Chatbot",
            customer = new { id = $"cust-pii-{run}", name, tier = "Vip", language = "ja", email },
            author = "Customer", text = $"人と話したいです。電話は {phone} です。", occurredAt = DateTimeOffset.UtcNow, category = "billing",
        };

        // A sampled trace, so every service exports its spans and logs for this case.
        var (trace, upstreamSpan) = (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/contacts") { Content = JsonContent.Create(contact) };
        request.Headers.Add("traceparent", $"00-{trace}-{upstreamSpan}-01");
        using var response = await platform.Intake.SendAsync(request, cancellation);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var caseId = (await response.Content.ReadFromJsonAsync<PlatformDriver.Accepted>(cancellation))!.CaseId;

        // The customer was told by mail: the address went all the way through.
        await _driver.WaitForEventAsync(caseId, "notification_sent", sent => sent.GetRawText().Contains("Customer", StringComparison.Ordinal));
        var opened = await _driver.WaitForEventAsync(caseId, "ticket_opened");
        Assert.Contains(email, opened.GetRawText());
        var spans = await _driver.PollAsync(() =>
        {
            var all = platform.Otlp.SpansOf(trace);
            return all.Any(span => span.Service == "Escalation.Notification" && span.Name.StartsWith("notify ", StringComparison.Ordinal)) ? all : null;
        }, () => $"trace {trace} never reached notification");

        string[] personal = [name, email, phone, phone.Replace("-", "")];
        foreach (var span in spans)
        {
            foreach (var (attribute, value) in span.Attributes)
            {
                Assert.False(personal.Any(value.Contains), $"span {span}: {attribute} = {value}");
            }
        }

        foreach (var log in platform.Otlp.LogsOf(trace))
        {
            var text = log.Body + string.Join(" ", log.Attributes.Values);
            Assert.False(personal.Any(text.Contains), $"log of {log.Service}: {text}");
        }

        foreach (var service in PlatformFixture.Services)
        {
            var console = platform.LogOf(service);
            var found = personal.FirstOrDefault(console.Contains);
            Assert.True(found is null, $"{service}'s console log holds personal data: {found}");
        }
    }

    [Fact]
    public async Task Erasing_a_customer_masks_their_personal_data_in_every_case_of_theirs_and_every_services_copies_and_nowhere_else()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var run = Guid.NewGuid().ToString("N")[..8];
        var (customer, name, email) = ($"cust-erase-{run}", $"消去 太郎 {run}", $"erase-{run}@example.jp");
        var secret = $"秘密{Guid.NewGuid():N}"[..12]; // in the texts: only the customer wrote it
        object Contact(string id, string customerId, string text) => new
        {
            contactId = id, conversationId = id, channel = "Chatbot",
            customer = new { id = customerId, name, tier = "Standard", language = "ja", email },
            author = "Customer", text, occurredAt = DateTimeOffset.UtcNow, category = "billing",
        };

        var first = (await _driver.PostAsync(Contact($"erase-{run}-1", customer, $"人と話したいです {secret}"), null)).Body.CaseId;
        var second = (await _driver.PostAsync(Contact($"erase-{run}-2", customer, $"請求について {secret}"), null)).Body.CaseId;
        var someoneElse = (await _driver.PostAsync(Contact($"erase-{run}-3", $"other-{run}", $"人と話したいです {secret}"), null)).Body.CaseId;
        await _driver.WaitForEventAsync(first, "escalation_routed");
        await _driver.WaitForEventAsync(someoneElse, "escalation_routed");
        // Erasure masks what is committed; what the services still had planned (the customer's mail) lands first.
        await _driver.WaitUntilSettledAsync(cancellation);

        using (var reader = platform.CreateHistoryChannel(await platform.IssueKeyAsync([Escalation.Access.Scopes.CasesRead])))
        {
            var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await new Escalation.Contracts.History.V1.HistoryAdmin.HistoryAdminClient(reader)
                .EraseCustomerAsync(new() { CustomerId = customer }, cancellationToken: cancellation));
            Assert.Equal(Grpc.Core.StatusCode.PermissionDenied, refused.StatusCode);
        }

        string[] personal = [name, email, customer, secret];
        Guid[] erasedCases = [first, second];
        Assert.NotEmpty(await ReadModelRowsHoldingAsync(erasedCases, customer, personal)); // the mail planned for the customer, the conversation

        var erased = await platform.HistoryAdmin.EraseCustomerAsync(new() { CustomerId = customer }, cancellationToken: cancellation);
        Assert.Equal(erasedCases.Select(id => id.ToString()).Order(), erased.CaseIds.Order());

        foreach (var caseId in new[] { first, second })
        {
            var stored = await _driver.EventsAsync(caseId);
            Assert.Contains(stored, e => e.Type == "contact_received");
            Assert.All(stored, e => Assert.False(personal.Any(e.Data.RootElement.GetRawText().Contains), $"{e.Type} v{e.Version} still holds: {e.Data.RootElement.GetRawText()}"));
            var history = await platform.History.GetHistoryAsync(new() { CaseId = caseId.ToString(), PageSize = 100 }, cancellationToken: cancellation);
            Assert.All(history.Events, e => Assert.False(personal.Any(e.Json.Contains), e.Json));
        }

        // Each case says so, and every service drops its own copies (intake's conversation, notification's deliveries).
        foreach (var caseId in erasedCases)
        {
            await _driver.WaitForEventAsync(caseId, "customer_data_erased");
        }

        IReadOnlyList<string> holding = [];
        await _driver.PollAsync(async () =>
        {
            holding = await ReadModelRowsHoldingAsync(erasedCases, customer, personal);
            return holding.Count == 0 ? holding : null;
        }, () => $"personal data is still in the services' documents: {string.Join(", ", holding)}");

        // The other customer's case is untouched, and the erased customer is no longer found.
        Assert.Contains(await _driver.EventsAsync(someoneElse), e => e.Type == "contact_received" && e.Data.RootElement.GetRawText().Contains(secret));
        var again = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await platform.HistoryAdmin.EraseCustomerAsync(new() { CustomerId = customer }, cancellationToken: cancellation));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, again.StatusCode);
    }

    /// <summary>
    /// Rows of the services' own schemas that hold the customer's id, or name one of the cases and hold one of the
    /// personal values (the other customer's case shares the name and text, so those alone prove nothing).
    /// </summary>
    private async Task<IReadOnlyList<string>> ReadModelRowsHoldingAsync(IReadOnlyList<Guid> cases, string customerId, string[] personal)
    {
        await using var database = new Npgsql.NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await database.OpenAsync(TestContext.Current.CancellationToken);
        var tables = new List<string>();
        await using (var list = new Npgsql.NpgsqlCommand(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = ANY(@schemas)", database))
        {
            list.Parameters.AddWithValue("schemas", PlatformFixture.Services.Select(s => s.ToLowerInvariant()).ToArray());
            await using var reader = await list.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var holding = new List<string>();
        foreach (var table in tables)
        {
            await using var count = new Npgsql.NpgsqlCommand($"""
                SELECT count(*) FROM {table} t
                WHERE strpos(t::text, @customer) > 0
                   OR (EXISTS (SELECT FROM unnest(@cases) c WHERE strpos(t::text, c) > 0)
                       AND EXISTS (SELECT FROM unnest(@personal) p WHERE strpos(t::text, p) > 0))
                """, database);
            count.Parameters.AddWithValue("customer", customerId);
            count.Parameters.AddWithValue("cases", cases.Select(c => c.ToString()).ToArray());
            count.Parameters.AddWithValue("personal", personal);
            if ((long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))! is var rows and > 0)
            {
                holding.Add($"{table}: {rows}");
            }
        }

        return holding;
    }
}
