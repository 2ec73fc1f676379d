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
    private readonly NotificationDriver _notify = new(platform);

    [Fact]
    public async Task Customers_are_told_in_their_language_and_the_team_gets_the_handoff_by_email_and_signed_webhook()
    {
        var team = await _notify.TeamAsync("lang");
        var (jaCase, jaReference) = await _notify.EscalateAsync("ja-customer", team, "ja", "人と話したいです。請求が二重になっています <script>");
        var (enCase, enReference) = await _notify.EscalateAsync("en-customer", team, "en", "I want to talk to a human about a double charge");

        foreach (var (caseId, reference, language, address) in new[] { (jaCase, jaReference, "ja", "ja-customer"), (enCase, enReference, "en", "en-customer") })
        {
            var sent = await _notify.SentAsync(caseId, expected: 3); // customer email, team email, team webhook
            Assert.Equal(["Customer/Email", "Team/Email", "Team/Webhook"], sent.Select(s => $"{s.GetProperty("audience").GetString()}/{s.GetProperty("channel").GetString()}").Order());
            Assert.All(sent, s => Assert.False(string.IsNullOrEmpty(s.GetProperty("providerMessageId").GetString())));

            var customerMail = Assert.Single(await _notify.MailsToAsync($"{address}-{_notify.Run}@example.com"));
            Assert.Equal(language, NotificationDriver.LanguageOf(customerMail));
            Assert.StartsWith($"[{reference}] ", customerMail.Subject);
            Assert.Contains(language == "ja" ? "専門の担当者" : "passed to a specialist", customerMail.Subject);
            Assert.Contains(language == "ja" ? $"受付番号: {reference}" : $"Reference number: {reference}", customerMail.TextBody);

            var teamMail = Assert.Single(await _notify.MailsToAsync(team.AgentEmail), m => m.Subject?.Contains(reference) == true);
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
        var html = Assert.Single(await _notify.MailsToAsync(team.AgentEmail), m => m.Subject?.Contains(jaReference) == true).HtmlBody ?? "";
        Assert.Contains("&lt;script&gt;", html);
        Assert.DoesNotContain("<script>", html);
    }

    [Fact]
    public async Task A_flaky_webhook_is_retried_until_it_answers_a_dead_one_is_given_up_after_the_budget_and_a_4xx_is_not_retried()
    {
        var flaky = await _notify.TeamAsync("flaky");
        var dead = await _notify.TeamAsync("dead");
        var gone = await _notify.TeamAsync("gone");
        platform.Webhooks.Script(flaky.Hook, HttpStatusCode.ServiceUnavailable, HttpStatusCode.BadGateway);
        platform.Webhooks.Script(dead.Hook, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable);
        platform.Webhooks.Script(gone.Hook, HttpStatusCode.Gone);

        var escalations = await Task.WhenAll(new[] { flaky, dead, gone }.Select(team => _notify.EscalateAsync("hook", team, "en", "I want to talk to a human")));
        var (flakyCase, deadCase, goneCase) = (escalations[0].CaseId, escalations[1].CaseId, escalations[2].CaseId);

        var flakyOutcomes = await _notify.WebhookOutcomesAsync(flakyCase, until: o => o.Any(x => x.Type == "notification_sent"));
        Assert.Equal(["failed 1 retry", "failed 2 retry", "sent 3"], flakyOutcomes.Select(o => o.Summary));
        Assert.Contains("HTTP 503", flakyOutcomes[0].Error);
        Assert.Contains("HTTP 502", flakyOutcomes[1].Error);
        var flakyPosts = platform.Webhooks.To(flaky.Hook);
        Assert.Equal(3, flakyPosts.Count);
        Assert.Single(flakyPosts.Select(p => p.DeliveryId).Distinct()); // one delivery, three attempts
        Assert.Single(flakyOutcomes.Select(o => o.NotificationId).Distinct());
        Assert.All(flakyPosts.Zip(flakyPosts.Skip(1)), pair => Assert.True(pair.Second.At - pair.First.At >= TimeSpan.FromMilliseconds(140), "a retry came before its backoff"));

        var deadOutcomes = await _notify.WebhookOutcomesAsync(deadCase, until: o => o.Any(x => x.Summary.EndsWith("given up", StringComparison.Ordinal)));
        Assert.Equal(["failed 1 retry", "failed 2 retry", "failed 3 given up"], deadOutcomes.Select(o => o.Summary));
        Assert.Contains("retry budget of 3 attempts spent", deadOutcomes[2].Error);

        var goneOutcomes = await _notify.WebhookOutcomesAsync(goneCase, until: o => o.Count > 0);
        Assert.Equal(["failed 1 given up"], goneOutcomes.Select(o => o.Summary));
        Assert.Contains("HTTP 410", goneOutcomes[0].Error);

        // Given-up deliveries are closed: their posts are all there is.
        Assert.Equal(3, platform.Webhooks.To(dead.Hook).Count);
        Assert.Single(platform.Webhooks.To(gone.Hook));
    }

    [Fact]
    public async Task A_p1_incident_tells_the_stakeholders_and_an_unacknowledged_p1_pages_on_call()
    {
        var team = await _notify.TeamAsync("p1", tier: "L2", acknowledgeWithin: "00:00:02");
        var product = $"notify-p1-{_notify.Run}";
        var cases = await Task.WhenAll(Enumerable.Range(0, 5).Select(async i =>
            (await _driver.PostAsync(PlatformDriver.CustomerContact($"p1-{i}-{_notify.Run}", team.Category, "データ同期が今朝から失敗しています", channel: "Chat",
                entities: new { product }), idempotencyKey: null)).Body.CaseId));

        foreach (var caseId in cases)
        {
            var requested = await _driver.WaitForEventAsync(caseId, "escalation_requested");
            Assert.Equal("P1", requested.GetProperty("priority").GetString());
            var stakeholders = await _driver.WaitForEventAsync(caseId, "notification_sent",
                e => e.GetProperty("audience").GetString() == "Stakeholder" && e.GetProperty("channel").GetString() == "Email");
            Assert.Equal($"lead-{_notify.Run}@support.example, director-{_notify.Run}@support.example", stakeholders.GetProperty("recipient").GetString());
            Assert.Equal("stakeholder-p1-escalation", stakeholders.GetProperty("template").GetString());
            var page = await _driver.WaitForEventAsync(caseId, "notification_sent",
                e => e.GetProperty("audience").GetString() == "OnCall" && e.GetProperty("channel").GetString() == "Webhook");
            Assert.Equal(platform.Webhooks.UrlOf(team.OnCallHook), page.GetProperty("recipient").GetString());
        }

        // Every case's P1 escalation reached the extra stakeholder (a case whose chain ran out is queued, and told of again).
        var directorMail = await _notify.MailsToAsync($"director-{_notify.Run}@support.example");
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
        var team = await _notify.TeamAsync("dupe");
        var (caseId, reference) = await _notify.EscalateAsync("dupe", team, "en", "I want to talk to a human");
        await _notify.SentAsync(caseId, expected: 3);
        var (routedId, routed) = await _notify.StoredEventAsync(caseId, "escalation_routed");

        for (var copy = 0; copy < 2; copy++)
        {
            await _driver.SendEnvelopeAsync("Escalation.Contracts.Escalations:EscalationRouted", routed, messageId: routedId, correlationId: caseId);
        }

        await _driver.WaitUntilSettledAsync(TestContext.Current.CancellationToken);
        Assert.Equal(3, (await _driver.EventsAsync(caseId)).Count(e => e.Type is "notification_sent" or "notification_failed"));
        Assert.Single(await _notify.MailsToAsync($"dupe-{_notify.Run}@example.com"));
        Assert.Single(await _notify.MailsToAsync(team.AgentEmail), m => m.Subject?.Contains(reference) == true);
        Assert.Single(platform.Webhooks.To(team.Hook));
    }
}
