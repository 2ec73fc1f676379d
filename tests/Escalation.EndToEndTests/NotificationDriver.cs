using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MimeKit;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>Builds notification scenarios: teams with addresses over routing's API, escalating customers, and reading what was sent.</summary>
public sealed class NotificationDriver(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);
    private readonly HttpClient _routing = platform.CreateClient("Routing");

    public string Run { get; } = Guid.NewGuid().ToString("N")[..8];


    public sealed record Team(string Category, string AgentEmail, string Mailbox, string Hook, string OnCallHook);

    /// <summary>A team of its own: an agent and a lead with addresses, a mailbox, a webhook, an extra stakeholder, an on-call hook, and a matrix cell.</summary>
    public async Task<Team> TeamAsync(string name, string tier = "L1", string? acknowledgeWithin = null)
    {
        var id = $"notify-{name}-{Run}";
        var team = new Team(id, $"agent-{name}-{Run}@support.example", $"{id}@support.example", $"team-{id}", $"oncall-{id}");
        foreach (var (agent, role, email) in new[] { ($"agent-{name}-{Run}", "Agent", team.AgentEmail), ($"lead-{name}-{Run}", "TeamLead", $"lead-{Run}@support.example") })
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
            stakeholders = new[] { $"director-{Run}@support.example" },
            onCall = new { email = (string?)null, webhook = platform.Webhooks.UrlOf(team.OnCallHook) },
        });
        Assert.True(contacts.IsSuccessStatusCode, await contacts.Content.ReadAsStringAsync());
        using var cell = await _routing.PutAsJsonAsync($"api/routing/matrix/{id}/{tier}", new { team = id, overflowTeam = (string?)null, acknowledgeWithin });
        Assert.True(cell.IsSuccessStatusCode, await cell.Content.ReadAsStringAsync());
        return team;
    }

    /// <summary>A customer with an address asks for a person in the team's category; returns the case once it is routed.</summary>
    public async Task<(Guid CaseId, string Reference)> EscalateAsync(string customer, Team team, string language, string text)
    {
        var contact = new
        {
            contactId = $"{customer}-{team.Category}",
            conversationId = $"conv-{customer}-{team.Category}",
            channel = "Chatbot",
            customer = new { id = $"cust-{customer}-{team.Category}", name = $"{customer} <b>", tier = "Standard", language, email = $"{customer}-{Run}@example.com" },
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

    public async Task<IReadOnlyList<JsonElement>> SentAsync(Guid caseId, int expected) =>
        await _driver.PollAsync(async () =>
        {
            var sent = (await _driver.EventsAsync(caseId)).Where(e => e.Type == "notification_sent").Select(e => e.Data.RootElement).ToList();
            return sent.Count >= expected ? sent : null;
        }, $"case {caseId} never had {expected} notifications sent");

    public sealed record Outcome(string Type, string Summary, string? Error, Guid NotificationId);

    /// <summary>The team webhook's recorded attempts on a case, in stream order, once <paramref name="until"/> holds.</summary>
    public async Task<IReadOnlyList<Outcome>> WebhookOutcomesAsync(Guid caseId, Func<IReadOnlyList<Outcome>, bool> until) =>
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

    public async Task<(Guid Id, JsonElement Data)> StoredEventAsync(Guid caseId, string type)
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
    public async Task<List<MimeMessage>> MailsToAsync(string address) =>
        (await ReadMailsAsync(_driver, platform.MailDirectory))
        .Where(m => m.To.Mailboxes.Any(to => string.Equals(to.Address, address, StringComparison.OrdinalIgnoreCase))).ToList();

    /// <summary>Every mail in smtp-sink's folder, once none is half written (a file still being written does not parse yet).</summary>
    public static Task<List<MimeMessage>> ReadMailsAsync(PlatformDriver driver, string directory) =>
        driver.PollAsync(() =>
        {
            try
            {
                return Task.FromResult<List<MimeMessage>?>(Directory.GetFiles(directory).Select(path => MimeMessage.Load(path)).ToList());
            }
            catch (FormatException)
            {
                return Task.FromResult<List<MimeMessage>?>(null);
            }
        }, "a mail file stayed unreadable");
}
