using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>Routing over the real broker and store: each test builds its own teams and matrix cells over the HTTP API.</summary>
public sealed class RoutingEndToEndTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);
    private readonly HttpClient _routing = platform.CreateClient("Routing");
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly ITestOutputHelper _output = TestContext.Current.TestOutputHelper!;

    private async Task PutAgentAsync(string id, string team, string skill, int max = 3, string[]? languages = null, string role = "Agent",
        double rate = 0.5, object? shift = null)
    {
        using var response = await _routing.PutAsJsonAsync($"api/routing/agents/{id}", new
        {
            name = id, team, tier = role == "Agent" ? "L1" : "L2", role, skills = new[] { skill }, languages = languages ?? ["ja", "en"], shift,
            maxConcurrent = max, available = true,
            performance = new { resolutionRateByCategory = new Dictionary<string, double> { [skill] = rate }, csat = (double?)null },
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task PutCellAsync(string category, string team, string? acknowledgeWithin = null)
    {
        using var response = await _routing.PutAsJsonAsync($"api/routing/matrix/{category}/L1", new { team, overflowTeam = (string?)null, acknowledgeWithin });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A chatbot customer asking for a person in <paramref name="category"/>: triage escalates it to L1 with that capability.</summary>
    private async Task<(Guid CaseId, Guid EscalationId)> EscalateAsync(string id, string category)
    {
        var caseId = (await _driver.PostAsync(AskingForAPerson(id, category), idempotencyKey: null)).Body.CaseId;
        var requested = await _driver.WaitForEventAsync(caseId, "escalation_requested");
        return (caseId, requested.GetProperty("escalationId").GetGuid());
    }

    private object AskingForAPerson(string id, string category) => PlatformDriver.CustomerContact($"{id}-{_run}", category, "人と話したいです");

    private async Task<(HttpStatusCode Status, JsonElement Body)> ActAsync(Guid escalationId, string action, object body)
    {
        using var response = await _routing.PostAsJsonAsync($"api/escalations/{escalationId}/{action}", body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement);
    }

    private async Task<int> LoadOfAsync(string agent) =>
        (await _routing.GetFromJsonAsync<JsonElement>($"api/routing/agents/{agent}")).GetProperty("load").GetInt32();

    [Fact]
    public async Task An_escalation_goes_to_the_best_eligible_agent_with_the_reasons_for_everyone_else()
    {
        var (team, skill) = ($"explain-{_run}", $"explain-{_run}");
        var later = DateTime.UtcNow.AddHours(3);
        await PutAgentAsync($"ja-{_run}", team, skill, rate: 0.9);
        await PutAgentAsync($"en-{_run}", team, skill, languages: ["en"]);
        await PutAgentAsync($"off-{_run}", team, skill, shift: new
        {
            timeZone = "Etc/UTC",
            periods = new[] { new { days = Enum.GetNames<DayOfWeek>(), start = $"{later.Hour:00}:00:00", end = $"{(later.Hour + 1) % 24:00}:00:00" } },
        });
        await PutCellAsync(skill, team);

        var (caseId, _) = await EscalateAsync("explain", skill);
        var routed = await _driver.WaitForEventAsync(caseId, "escalation_routed");

        Assert.Equal($"ja-{_run}", routed.GetProperty("agent").GetString());
        Assert.Equal(team, routed.GetProperty("team").GetString());
        var candidates = routed.GetProperty("candidates").EnumerateArray().ToDictionary(c => c.GetProperty("candidate").GetString()!);
        Assert.Contains("does not speak ja", candidates[$"en-{_run}"].GetProperty("excluded").GetString());
        Assert.Contains("off shift", candidates[$"off-{_run}"].GetProperty("excluded").GetString());
        Assert.True(candidates[$"ja-{_run}"].GetProperty("breakdown").GetProperty("performance").GetDouble() > 0.2);
        Assert.Equal(1, await LoadOfAsync($"ja-{_run}"));
    }

    [Fact]
    public async Task A_queued_escalation_is_offered_the_moment_capacity_frees()
    {
        var (team, skill) = ($"queue-{_run}", $"queue-{_run}");
        await PutAgentAsync($"solo-{_run}", team, skill, max: 1);
        await PutCellAsync(skill, team);

        var first = await EscalateAsync("queue-1", skill);
        await _driver.WaitForEventAsync(first.CaseId, "escalation_routed");
        var second = await EscalateAsync("queue-2", skill);
        var queued = await _driver.WaitForEventAsync(second.CaseId, "escalation_queued");
        var resolved = await ActAsync(first.EscalationId, "resolve", new { agent = $"solo-{_run}", resolution = "Refund issued" });
        var offered = await _driver.WaitForEventAsync(second.CaseId, "escalation_routed");

        Assert.Contains("at capacity (1/1)", queued.GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.OK, resolved.Status);
        Assert.Equal($"solo-{_run}", (await _driver.WaitForEventAsync(first.CaseId, "case_resolved")).GetProperty("resolvedBy").GetString());
        Assert.Equal($"solo-{_run}", offered.GetProperty("agent").GetString());
        Assert.Equal(1, await LoadOfAsync($"solo-{_run}"));
    }

    [Fact]
    public async Task Nobody_acknowledging_walks_the_chain_to_the_next_agent_then_the_team_lead()
    {
        var (team, skill) = ($"chain-{_run}", $"chain-{_run}");
        await PutAgentAsync($"first-{_run}", team, skill, rate: 0.9);
        await PutAgentAsync($"second-{_run}", team, skill, rate: 0.4);
        await PutAgentAsync($"lead-{_run}", team, skill, role: "TeamLead");
        await PutCellAsync(skill, team, acknowledgeWithin: "00:00:02");

        var (caseId, escalationId) = await EscalateAsync("chain", skill);
        var toLead = await _driver.WaitForEventAsync(caseId, "escalation_rerouted", e => e.GetProperty("chainLevel").GetInt32() == 2);
        var acknowledged = await ActAsync(escalationId, "acknowledge", new { agent = $"lead-{_run}" });

        var events = await _driver.EventsAsync(caseId);
        var chain = events.Where(e => e.Type is "escalation_routed" or "acknowledgement_timed_out" or "escalation_rerouted")
            .Select(e => (e.Type, Owner: e.Data.RootElement.TryGetProperty("agent", out var a) ? a.GetString() : e.Data.RootElement.GetProperty("owner").GetString()))
            .ToList();
        Assert.Equal(
        [
            ("escalation_routed", $"first-{_run}"), ("acknowledgement_timed_out", $"first-{_run}"), ("escalation_rerouted", $"second-{_run}"),
            ("acknowledgement_timed_out", $"second-{_run}"), ("escalation_rerouted", $"lead-{_run}"),
        ], chain.Take(5));
        Assert.Equal($"lead-{_run}", toLead.GetProperty("agent").GetString());
        Assert.Equal(HttpStatusCode.OK, acknowledged.Status);
        Assert.Equal("Acknowledged", acknowledged.Body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_decline_reroutes_at_once_and_a_transfer_moves_the_escalation_to_another_team()
    {
        var (team, skill, otherTeam) = ($"decline-{_run}", $"decline-{_run}", $"api-team-{_run}");
        await PutAgentAsync($"busy-{_run}", team, skill, rate: 0.9);
        await PutAgentAsync($"free-{_run}", team, skill, rate: 0.4);
        await PutAgentAsync($"api-{_run}", otherTeam, $"api-{_run}");
        await PutCellAsync(skill, team);

        var (caseId, escalationId) = await EscalateAsync("decline", skill);
        await _driver.WaitForEventAsync(caseId, "escalation_routed");
        var declined = await ActAsync(escalationId, "decline", new { agent = $"busy-{_run}", reason = "on a long call" });
        var acknowledged = await ActAsync(escalationId, "acknowledge", new { agent = $"free-{_run}" });
        var transferred = await ActAsync(escalationId, "transfer", new { agent = $"free-{_run}", team = otherTeam, capability = $"api-{_run}", reason = "API defect" });

        Assert.Equal($"free-{_run}", declined.Body.GetProperty("agent").GetString());
        Assert.Equal("on a long call", (await _driver.WaitForEventAsync(caseId, "escalation_declined")).GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.OK, acknowledged.Status);
        var rerouted = await _driver.WaitForEventAsync(caseId, "escalation_rerouted", e => e.GetProperty("team").GetString() == otherTeam);
        Assert.Equal(($"api-{_run}", $"free-{_run}"), (rerouted.GetProperty("agent").GetString(), rerouted.GetProperty("fromOwner").GetString()));
        Assert.Equal(otherTeam, transferred.Body.GetProperty("team").GetString());
        Assert.Equal(0, await LoadOfAsync($"free-{_run}"));
        Assert.Equal(0, await LoadOfAsync($"busy-{_run}"));
        Assert.Equal(1, await LoadOfAsync($"api-{_run}"));
    }

    [Fact]
    public async Task A_peer_consult_keeps_the_owner_and_only_the_asked_peer_answers_once()
    {
        var (team, skill) = ($"peer-{_run}", $"peer-{_run}");
        await PutAgentAsync($"owner-{_run}", team, skill);
        await PutCellAsync(skill, team);
        var (caseId, escalationId) = await EscalateAsync("peer", skill);
        await _driver.WaitForEventAsync(caseId, "escalation_routed");

        var asked = await ActAsync(escalationId, "peer-consults", new { agent = $"owner-{_run}", peer = $"senior-{_run}", question = "Known issue?" });
        var consultId = (await _driver.WaitForEventAsync(caseId, "peer_consult_requested")).GetProperty("consultId").GetGuid();
        var wrongPeer = await ActAsync(escalationId, $"peer-consults/{consultId}/answer", new { peer = $"someone-{_run}", answer = "no idea" });
        var answered = await ActAsync(escalationId, $"peer-consults/{consultId}/answer", new { peer = $"senior-{_run}", answer = "Yes: KB-42" });
        var again = await ActAsync(escalationId, $"peer-consults/{consultId}/answer", new { peer = $"senior-{_run}", answer = "again" });

        Assert.Equal(HttpStatusCode.OK, asked.Status);
        Assert.Equal(HttpStatusCode.Conflict, wrongPeer.Status);
        Assert.Equal(HttpStatusCode.OK, answered.Status);
        Assert.Equal($"owner-{_run}", answered.Body.GetProperty("agent").GetString());
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Single(await _driver.EventsAsync(caseId), e => e.Type == "peer_consult_answered");
    }

    [Fact]
    public async Task Invalid_actions_get_a_clear_problem_and_change_nothing()
    {
        var (team, skill) = ($"invalid-{_run}", $"invalid-{_run}");
        await PutAgentAsync($"owner-{_run}", team, skill);
        await PutCellAsync(skill, team);
        var (caseId, escalationId) = await EscalateAsync("invalid", skill);
        await _driver.WaitForEventAsync(caseId, "escalation_routed");

        var someoneElse = await ActAsync(escalationId, "acknowledge", new { agent = $"intruder-{_run}" });
        var noAgent = await ActAsync(escalationId, "acknowledge", new { agent = "" });
        var unknown = await ActAsync(Guid.NewGuid(), "acknowledge", new { agent = $"owner-{_run}" });
        var badZone = await _routing.PutAsJsonAsync($"api/routing/agents/bad-{_run}", new
        {
            name = "Bad", team, tier = "L1", role = "Agent", skills = new[] { skill }, languages = new[] { "ja" }, maxConcurrent = 0,
            shift = new { timeZone = "Mars/Olympus", periods = new[] { new { days = new[] { "Monday" }, start = "09:00:00", end = "17:00:00" } } },
        }, TestContext.Current.CancellationToken);
        var resolved = await ActAsync(escalationId, "resolve", new { agent = $"owner-{_run}", resolution = "done" });
        var resolvedTwice = await ActAsync(escalationId, "resolve", new { agent = $"owner-{_run}", resolution = "again" });

        Assert.Equal(HttpStatusCode.Conflict, someoneElse.Status);
        Assert.Contains($"offered to owner-{_run}", someoneElse.Body.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, noAgent.Status);
        Assert.True(noAgent.Body.GetProperty("errors").TryGetProperty("agent", out _));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badZone.StatusCode);
        var errors = (await badZone.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("shift.timeZone", out _));
        Assert.True(errors.TryGetProperty("maxConcurrent", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await _routing.GetAsync($"api/routing/agents/bad-{_run}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, resolved.Status);
        Assert.Equal(HttpStatusCode.Conflict, resolvedTwice.Status);
        var events = await _driver.EventsAsync(caseId);
        Assert.Single(events, e => e.Type == "case_resolved"); // the refused actions appended nothing
        Assert.DoesNotContain(events, e => e.Type == "escalation_acknowledged");
    }

    [Fact]
    public async Task An_agent_back_from_a_break_takes_the_queue_responds_and_escalates_to_a_superior()
    {
        var (team, skill) = ($"break-{_run}", $"break-{_run}");
        var agent = $"back-{_run}";
        await PutAgentAsync(agent, team, skill, max: 1);
        using (var away = await _routing.PutAsJsonAsync($"api/routing/agents/{agent}/availability", new { available = false }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, away.StatusCode);
        }

        await PutCellAsync(skill, team);
        var (caseId, escalationId) = await EscalateAsync("break", skill);
        var queued = await _driver.WaitForEventAsync(caseId, "escalation_queued");
        using (var back = await _routing.PutAsJsonAsync($"api/routing/agents/{agent}/availability", new { available = true }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        }

        await _driver.WaitForEventAsync(caseId, "escalation_routed");
        var held = await _routing.GetFromJsonAsync<JsonElement>($"api/escalations/{escalationId}", TestContext.Current.CancellationToken);
        var responded = await ActAsync(escalationId, "responses", new { agent, text = "担当の伊藤です。確認いたします。" });
        var escalated = await ActAsync(escalationId, "escalate", new { agent, reason = "返金の例外承認が必要" });
        var upward = await _driver.WaitForEventAsync(caseId, "escalation_requested", e => e.GetProperty("type").GetString() == "Hierarchical");
        await _driver.WaitForEventAsync(caseId, "escalation_routed", e => e.GetProperty("escalationId").GetGuid() == upward.GetProperty("escalationId").GetGuid());
        var roster = await _routing.GetFromJsonAsync<JsonElement>($"api/routing/agents?team={team}", TestContext.Current.CancellationToken);
        var matrix = await _routing.GetFromJsonAsync<JsonElement>("api/routing/matrix", TestContext.Current.CancellationToken);
        var openApi = await _routing.GetStringAsync("openapi/v1.json", TestContext.Current.CancellationToken);

        Assert.Contains("unavailable", queued.GetProperty("reason").GetString());
        Assert.Equal((agent, "Offered"), (held.GetProperty("agent").GetString(), held.GetProperty("status").GetString()));
        Assert.Equal("Acknowledged", responded.Body.GetProperty("status").GetString()); // the first response acknowledges
        Assert.Equal(agent, (await _driver.WaitForEventAsync(caseId, "agent_responded")).GetProperty("agent").GetString());
        Assert.Equal(HttpStatusCode.OK, escalated.Status);
        Assert.Equal(("L1", "L2"), (upward.GetProperty("fromTier").GetString(), upward.GetProperty("toTier").GetString()));
        Assert.Contains("返金の例外承認", upward.GetProperty("handoff").GetProperty("triggerReason").GetString());
        Assert.Equal(0, Assert.Single(roster.EnumerateArray()).GetProperty("load").GetInt32()); // the superseded escalation freed the agent
        Assert.Contains(matrix.EnumerateArray(), cell => cell.GetProperty("team").GetString() == team);
        foreach (var path in new[] { "/api/routing/agents/{agentId}", "/api/routing/matrix/{category}/{tier}", "/api/escalations/{escalationId}/acknowledge",
                     "/api/escalations/{escalationId}/peer-consults/{consultId}/answer" })
        {
            Assert.Contains($"\"{path}\"", openApi);
        }
    }

    [Fact]
    public async Task Two_hundred_concurrent_escalations_never_push_an_agent_over_capacity()
    {
        const int Escalations = 200, Agents = 5, Capacity = 3;
        var (team, skill) = ($"load-{_run}", $"load-{_run}");
        for (var i = 0; i < Agents; i++)
        {
            await PutAgentAsync($"load-{i}-{_run}", team, skill, max: Capacity);
        }

        await PutCellAsync(skill, team);
        var contacts = Enumerable.Range(0, Escalations).Select(i => AskingForAPerson($"load-{i}", skill)).ToList();
        using var intake = platform.CreateClient("Intake");
        var posts = contacts.Chunk(100).Select(chunk => intake.PostAsJsonAsync("api/contacts:batch", new { contacts = chunk }, TestContext.Current.CancellationToken));
        Assert.All(await Task.WhenAll(posts), response => Assert.True(response.IsSuccessStatusCode));

        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        async Task<List<(string Type, string? Agent, DateTime At, string Transaction)>> PlacementsAsync(string types = "'escalation_routed', 'escalation_queued'")
        {
            await using var query = new NpgsqlCommand(
                $"SELECT type, data->>'agent', timestamp, xmin::text FROM events.mt_events WHERE type IN ({types}) AND stream_id IN " +
                "(SELECT stream_id FROM events.mt_events WHERE type = 'ticket_opened' AND data->>'category' = @category)", connection);
            query.Parameters.AddWithValue("category", skill);
            await using var reader = await query.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            var rows = new List<(string, string?, DateTime, string)>();
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetDateTime(2), reader.GetString(3)));
            }

            return rows;
        }

        var placements = await _driver.PollAsync(async () => await PlacementsAsync() is { Count: Escalations } all ? all : null,
            $"{Escalations} escalations were not all routed or queued");

        var routed = placements.Where(p => p.Type == "escalation_routed").ToList();
        Assert.Equal(Agents * Capacity, routed.Count);
        Assert.Equal(Escalations - (Agents * Capacity), placements.Count(p => p.Type == "escalation_queued"));
        Assert.All(routed.GroupBy(p => p.Agent), perAgent => Assert.Equal(Capacity, perAgent.Count()));
        for (var i = 0; i < Agents; i++)
        {
            Assert.Equal(Capacity, await LoadOfAsync($"load-{i}-{_run}"));
        }

        // Routing places the escalations waiting together in one transaction (EscalationRouter), each seeing the loads before it.
        var transactions = placements.Select(p => p.Transaction).Distinct().Count();
        Assert.InRange(transactions, 1, Escalations - 1);

        // Throughput as seen here is bounded by intake and triage upstream; the lag from request to placement shows
        // whether routing kept up (a growing lag would mean routing is the bottleneck).
        var requested = (await PlacementsAsync("'escalation_requested'")).Select(r => r.At).Order().ToList();
        var placed = placements.Select(p => p.At).Order().ToList();
        var lags = requested.Zip(placed, (r, p) => (p - r).TotalMilliseconds).Order().ToList();
        var span = (placed[^1] - placed[0]).TotalSeconds;
        _output.WriteLine($"requests over {(requested[^1] - requested[0]).TotalSeconds:0.00} s; placements over {span:0.00} s = {Escalations / span:0} decisions/s; " +
                          $"request → placement lag p50 {lags[lags.Count / 2]:0} ms, p95 {lags[(int)(lags.Count * 0.95)]:0} ms, max {lags[^1]:0} ms; {transactions} transactions");
    }
}
