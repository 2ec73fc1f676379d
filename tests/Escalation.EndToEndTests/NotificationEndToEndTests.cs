using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MimeKit;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>
/// Notification over the real broker, store and SMTP server (Postfix's smtp-sink) and a local webhook receiver. Each
/// test builds its own team, with addresses, through routing's API.
/// </summary>
public sealed class NotificationEndToEndTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);
    private readonly HttpClient _routing = new() { BaseAddress = platform.HttpAddress("Routing") };
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Customers_are_told_in_their_language_and_the_team_gets_the_handoff_by_email_and_signed_webhook()
    {
        var team = await TeamAsync("lang");
        var (jaCase, jaReference) = await EscalateAsync("ja-customer", team, "ja", "人と話したいです。請求が二重になっています <script>");
        var (enCase, enReference) = await EscalateAsync("en-customer", team, "en", "I want to talk to a human about a double charge");

        foreach (var (caseId, reference, language, address) in new[] { (jaCase, jaReference, "ja", "ja-customer"), (enCase, enReference, "en", "en-customer") })
        {
            var sent = await SentAsync(caseId, expected: 3); // customer email, team email, team webhook
            Assert.Equal(["Customer/Email", "Team/Email", "Team/Webhook"], sent.Select(s => $"{s.GetProperty("audience").GetString()}/{s.GetProperty("channel").GetString()}").Order());
            Assert.All(sent, s => Assert.False(string.IsNullOrEmpty(s.GetProperty("providerMessageId").GetString())));

            var customerMail = Assert.Single(MailsTo($"{address}-{_run}@example.com"));
            Assert.Equal(language, LanguageOf(customerMail));
            Assert.StartsWith($"[{reference}] ", customerMail.Subject);
            Assert.Contains(language == "ja" ? "専門の担当者" : "passed to a specialist", customerMail.Subject);
            Assert.Contains(language == "ja" ? $"受付番号: {reference}" : $"Reference number: {reference}", customerMail.TextBody);

            var teamMail = Assert.Single(MailsTo(team.AgentEmail), m => m.Subject?.Contains(reference) == true);
            Assert.Contains(team.Mailbox, teamMail.To.Mailboxes.Select(m => m.Address));
            Assert.Contains($"{reference} [{team.Category}]", teamMail.TextBody); // the handoff summary
            Assert.Contains("> Customer: ", teamMail.TextBody); // the conversation so far

            var hook = Assert.Single(platform.Webhooks.To(team.Hook), r => r.Body.Contains(reference));
            Assert.True(hook.SignatureValid);
            using var payload = JsonDocument.Parse(hook.Body);
            Assert.Equal("team-escalation-assigned", payload.RootElement.GetProperty("type").GetString());
            Assert.Contains(reference, payload.RootElement.GetProperty("values").GetProperty("summary").GetString());
        }

        // Customer-written markup is escaped in the HTML part of the team's mail.
        var html = Assert.Single(MailsTo(team.AgentEmail), m => m.Subject?.Contains(jaReference) == true).HtmlBody ?? "";
        Assert.Contains("&lt;script&gt;", html);
        Assert.DoesNotContain("<script>", html);
    }

    [Fact]
    public async Task A_flaky_webhook_is_retried_until_it_answers_a_dead_one_is_given_up_after_the_budget_and_a_4xx_is_not_retried()
    {
        var flaky = await TeamAsync("flaky");
        var dead = await TeamAsync("dead");
        var gone = await TeamAsync("gone");
        platform.Webhooks.Script(flaky.Hook, HttpStatusCode.ServiceUnavailable, HttpStatusCode.BadGateway);
        platform.Webhooks.Script(dead.Hook, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable);
        platform.Webhooks.Script(gone.Hook, HttpStatusCode.Gone);

        var escalations = await Task.WhenAll(new[] { flaky, dead, gone }.Select(team => EscalateAsync("hook", team, "en", "I want to talk to a human")));
        var (flakyCase, deadCase, goneCase) = (escalations[0].CaseId, escalations[1].CaseId, escalations[2].CaseId);

        var flakyOutcomes = await WebhookOutcomesAsync(flakyCase, until: o => o.Any(x => x.Type == "notification_sent"));
        Assert.Equal(["failed 1 retry", "failed 2 retry", "sent 3"], flakyOutcomes.Select(o => o.Summary));
        Assert.Contains("HTTP 503", flakyOutcomes[0].Error);
        Assert.Contains("HTTP 502", flakyOutcomes[1].Error);
        var flakyPosts = platform.Webhooks.To(flaky.Hook);
        Assert.Equal(3, flakyPosts.Count);
        Assert.Single(flakyPosts.Select(p => p.DeliveryId).Distinct()); // one delivery, three attempts
        Assert.Single(flakyOutcomes.Select(o => o.NotificationId).Distinct());
        Assert.All(flakyPosts.Zip(flakyPosts.Skip(1)), pair => Assert.True(pair.Second.At - pair.First.At >= TimeSpan.FromMilliseconds(140), "a retry came before its backoff"));

        var deadOutcomes = await WebhookOutcomesAsync(deadCase, until: o => o.Any(x => x.Summary.EndsWith("given up", StringComparison.Ordinal)));
        Assert.Equal(["failed 1 retry", "failed 2 retry", "failed 3 given up"], deadOutcomes.Select(o => o.Summary));
        Assert.Contains("retry budget of 3 attempts spent", deadOutcomes[2].Error);

        var goneOutcomes = await WebhookOutcomesAsync(goneCase, until: o => o.Count > 0);
        Assert.Equal(["failed 1 given up"], goneOutcomes.Select(o => o.Summary));
        Assert.Contains("HTTP 410", goneOutcomes[0].Error);

        await _driver.WaitUntilSettledAsync(TestContext.Current.CancellationToken);
        Assert.Equal(3, platform.Webhooks.To(dead.Hook).Count);
        Assert.Single(platform.Webhooks.To(gone.Hook));
        Assert.Single(await WebhookOutcomesAsync(goneCase, until: o => o.Count > 0));
    }

    [Fact]
    public async Task A_p1_incident_tells_the_stakeholders_and_an_unacknowledged_p1_pages_on_call()
    {
        var team = await TeamAsync("p1", tier: "L2", acknowledgeWithin: "00:00:02");
        var product = $"notify-p1-{_run}";
        var cases = await Task.WhenAll(Enumerable.Range(0, 5).Select(async i =>
            (await _driver.PostAsync(PlatformDriver.CustomerContact($"p1-{i}-{_run}", team.Category, "データ同期が今朝から失敗しています", channel: "Chat",
                entities: new { product }), idempotencyKey: null)).Body.CaseId));

        foreach (var caseId in cases)
        {
            var requested = await _driver.WaitForEventAsync(caseId, "escalation_requested");
            Assert.Equal("P1", requested.GetProperty("priority").GetString());
            var stakeholders = await _driver.WaitForEventAsync(caseId, "notification_sent",
                e => e.GetProperty("audience").GetString() == "Stakeholder" && e.GetProperty("channel").GetString() == "Email");
            Assert.Equal($"lead-{_run}@support.example, director-{_run}@support.example", stakeholders.GetProperty("recipient").GetString());
            Assert.Equal("stakeholder-p1-escalation", stakeholders.GetProperty("template").GetString());
            var page = await _driver.WaitForEventAsync(caseId, "notification_sent",
                e => e.GetProperty("audience").GetString() == "OnCall" && e.GetProperty("channel").GetString() == "Webhook");
            Assert.Equal(platform.Webhooks.UrlOf(team.OnCallHook), page.GetProperty("recipient").GetString());
        }

        // Every case's P1 escalation reached the extra stakeholder (a case whose chain ran out is queued, and told of again).
        var directorMail = MailsTo($"director-{_run}@support.example");
        foreach (var caseId in cases)
        {
            var reference = (await _driver.EventsAsync(caseId)).First(e => e.Type == "ticket_opened").Data.RootElement.GetProperty("reference").GetString()!;
            Assert.Contains(directorMail, m => m.Subject?.Contains($"[{reference}] P1") == true);
        }

        var pages = platform.Webhooks.To(team.OnCallHook);
        Assert.All(pages, p => Assert.True(p.SignatureValid));
        Assert.All(pages, p => Assert.Equal("oncall-acknowledgement-timeout", JsonDocument.Parse(p.Body).RootElement.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task The_same_triggering_event_delivered_again_notifies_nobody_twice()
    {
        var team = await TeamAsync("dupe");
        var (caseId, reference) = await EscalateAsync("dupe", team, "en", "I want to talk to a human");
        await SentAsync(caseId, expected: 3);
        var (routedId, routed) = await StoredEventAsync(caseId, "escalation_routed");

        for (var copy = 0; copy < 2; copy++)
        {
            await _driver.SendEnvelopeAsync("Escalation.Contracts.Escalations:EscalationRouted", routed, messageId: routedId, correlationId: caseId);
        }

        await _driver.WaitUntilSettledAsync(TestContext.Current.CancellationToken);
        Assert.Equal(3, (await _driver.EventsAsync(caseId)).Count(e => e.Type is "notification_sent" or "notification_failed"));
        Assert.Single(MailsTo($"dupe-{_run}@example.com"));
        Assert.Single(MailsTo(team.AgentEmail), m => m.Subject?.Contains(reference) == true);
        Assert.Single(platform.Webhooks.To(team.Hook));
    }

    // ---- helpers ----

    private sealed record Team(string Category, string AgentEmail, string Mailbox, string Hook, string OnCallHook);

    /// <summary>A team of its own: an agent and a lead with addresses, a mailbox, a webhook, an extra stakeholder, an on-call hook, and a matrix cell.</summary>
    private async Task<Team> TeamAsync(string name, string tier = "L1", string? acknowledgeWithin = null)
    {
        var id = $"notify-{name}-{_run}";
        var team = new Team(id, $"agent-{name}-{_run}@support.example", $"{id}@support.example", $"team-{id}", $"oncall-{id}");
        foreach (var (agent, role, email) in new[] { ($"agent-{name}-{_run}", "Agent", team.AgentEmail), ($"lead-{name}-{_run}", "TeamLead", $"lead-{_run}@support.example") })
        {
            using var put = await _routing.PutAsJsonAsync($"api/routing/agents/{agent}", new
            {
                name = agent, team = id, tier = "L3", role, skills = new[] { id }, languages = new[] { "ja", "en" }, maxConcurrent = 20, available = true, email,
            });
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        using var contacts = await _routing.PutAsJsonAsync($"api/routing/teams/{id}/contacts", new
        {
            email = team.Mailbox,
            webhook = platform.Webhooks.UrlOf(team.Hook),
            stakeholders = new[] { $"director-{_run}@support.example" },
            onCall = new { email = (string?)null, webhook = platform.Webhooks.UrlOf(team.OnCallHook) },
        });
        Assert.True(contacts.IsSuccessStatusCode, await contacts.Content.ReadAsStringAsync());
        using var cell = await _routing.PutAsJsonAsync($"api/routing/matrix/{id}/{tier}", new { team = id, overflowTeam = (string?)null, acknowledgeWithin });
        Assert.True(cell.IsSuccessStatusCode, await cell.Content.ReadAsStringAsync());
        return team;
    }

    /// <summary>A customer with an address asks for a person in the team's category; returns the case once it is routed.</summary>
    private async Task<(Guid CaseId, string Reference)> EscalateAsync(string customer, Team team, string language, string text)
    {
        var contact = new
        {
            contactId = $"{customer}-{team.Category}",
            conversationId = $"conv-{customer}-{team.Category}",
            channel = "Chatbot",
            customer = new { id = $"cust-{customer}-{team.Category}", name = $"{customer} <b>", tier = "Standard", language, email = $"{customer}-{_run}@example.com" },
            author = "Customer",
            text,
            occurredAt = DateTimeOffset.UtcNow,
            category = team.Category,
            botConfidence = 0.9,
        };
        var accepted = await _driver.PostAsync(contact, idempotencyKey: null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        await _driver.WaitForEventAsync(accepted.Body.CaseId, "escalation_routed");
        return (accepted.Body.CaseId, accepted.Body.Reference);
    }

    private async Task<IReadOnlyList<JsonElement>> SentAsync(Guid caseId, int expected) =>
        await _driver.PollAsync(async () =>
        {
            var sent = (await _driver.EventsAsync(caseId)).Where(e => e.Type == "notification_sent").Select(e => e.Data.RootElement).ToList();
            return sent.Count >= expected ? sent : null;
        }, $"case {caseId} never had {expected} notifications sent");

    private sealed record Outcome(string Type, string Summary, string? Error, Guid NotificationId);

    /// <summary>The team webhook's recorded attempts on a case, in stream order, once <paramref name="until"/> holds.</summary>
    private async Task<IReadOnlyList<Outcome>> WebhookOutcomesAsync(Guid caseId, Func<IReadOnlyList<Outcome>, bool> until) =>
        await _driver.PollAsync(async () =>
        {
            var outcomes = (await _driver.EventsAsync(caseId))
                .Where(e => e.Type is "notification_sent" or "notification_failed")
                .Select(e => e.Data.RootElement)
                .Where(e => e.GetProperty("audience").GetString() == "Team" && e.GetProperty("channel").GetString() == "Webhook")
                .Select(e => e.TryGetProperty("error", out var error)
                    ? new Outcome("notification_failed", $"failed {e.GetProperty("attempt").GetInt32()} {(e.GetProperty("willRetry").GetBoolean() ? "retry" : "given up")}", error.GetString(), e.GetProperty("notificationId").GetGuid())
                    : new Outcome("notification_sent", $"sent {e.GetProperty("attempt").GetInt32()}", null, e.GetProperty("notificationId").GetGuid()))
                .ToList();
            return until(outcomes) ? outcomes : null;
        }, $"case {caseId}'s team webhook never reached the expected outcome");

    private async Task<(Guid Id, JsonElement Data)> StoredEventAsync(Guid caseId, string type)
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT id, data::text FROM events.mt_events WHERE stream_id = @id AND type = @type ORDER BY version LIMIT 1", connection);
        query.Parameters.AddWithValue("id", caseId);
        query.Parameters.AddWithValue("type", type);
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetGuid(0), JsonDocument.Parse(reader.GetString(1)).RootElement.Clone());
    }

    /// <summary>MimeKit files Content-* headers under the body entity of a multipart message.</summary>
    public static string? LanguageOf(MimeMessage mail) => mail.Headers["Content-Language"] ?? mail.Body?.Headers["Content-Language"];

    /// <summary>Mails smtp-sink received for <paramref name="address"/>, parsed.</summary>
    private List<MimeMessage> MailsTo(string address) =>
        Directory.GetFiles(platform.MailDirectory)
            .Select(path => MimeMessage.Load(path))
            .Where(m => m.To.Mailboxes.Any(to => string.Equals(to.Address, address, StringComparison.OrdinalIgnoreCase)))
            .ToList();
}
