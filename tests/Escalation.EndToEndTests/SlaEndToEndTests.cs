using System.Text.Json;

namespace Escalation.EndToEndTests;

/// <summary>SLA warnings and breaches over the real store and broker, with several SLA-watch instances and a restart.</summary>
public sealed class SlaEndToEndTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    /// <summary>A drill case: its first-response clock is due 6 s after the ticket opens (24×7), warning at 75 % and 90 %.</summary>
    private async Task<Guid> OpenDrillCaseAsync(string id) => (await _driver.PostAsync(new
    {
        contactId = $"{id}-{_run}", conversationId = $"conv-{id}-{_run}", channel = "Chatbot",
        customer = new { id = $"cust-{id}-{_run}", name = "Drill", tier = "Standard", language = "ja" },
        author = "Customer", text = "注文の状況を教えてください", occurredAt = DateTimeOffset.UtcNow, category = PlatformFixture.SlaDrillCategory,
        botConfidence = 0.95,
    }, idempotencyKey: null)).Body.CaseId;

    private async Task<IReadOnlyList<JsonElement>> FirstResponseAlertsAsync(Guid caseId)
    {
        var events = await _driver.EventsAsync(caseId);
        var clock = events.Single(e => e.Type == "sla_clock_started" && e.Data.RootElement.GetProperty("metric").GetString() == "FirstResponse")
            .Data.RootElement.GetProperty("clockId").GetGuid();
        return events.Where(e => e.Type is "sla_breach_imminent" or "sla_breached" && e.Data.RootElement.GetProperty("clockId").GetGuid() == clock)
            .Select(e => e.Data.RootElement).ToList();
    }

    private Task<string> WaitForBreachAsync(Guid caseId) => _driver.PollAsync(async () =>
        (await _driver.EventsAsync(caseId)).Any(e => e.Type == "sla_breached") ? "breached" : null, $"case {caseId} never breached");

    [Fact]
    public async Task With_two_instances_each_warning_and_the_breach_are_appended_once()
    {
        var second = await platform.StartExtraInstanceAsync("SlaWatch");
        try
        {
            var caseId = await OpenDrillCaseAsync("two");
            await WaitForBreachAsync(caseId);
            await _driver.WaitUntilSettledAsync(TestContext.Current.CancellationToken);

            var alerts = await FirstResponseAlertsAsync(caseId);
            Assert.Equal([75, 90, 100], alerts.Select(a => a.TryGetProperty("thresholdPercent", out var p) ? p.GetInt32() : 100));
            var breach = alerts[^1];
            Assert.True(breach.GetProperty("detectedAt").GetDateTimeOffset() >= breach.GetProperty("dueAt").GetDateTimeOffset());
        }
        finally
        {
            await platform.StopInstanceAsync(second);
        }
    }

    [Fact]
    public async Task A_clock_that_fell_due_while_no_instance_ran_fires_once_on_start_marked_late()
    {
        var caseId = await OpenDrillCaseAsync("restart");
        var started = await _driver.PollAsync(async () => (await _driver.EventsAsync(caseId))
            .FirstOrDefault(e => e.Type == "sla_clock_started" && e.Data.RootElement.GetProperty("metric").GetString() == "FirstResponse").Data,
            "the first-response clock never started");
        var due = started.RootElement.GetProperty("dueAt").GetDateTimeOffset();

        await platform.StopInstanceAsync("SlaWatch"); // the only instance: nobody watches the clock now
        // Real time must pass the due time while the service is down; wait for that condition, not a fixed delay.
        await _driver.PollAsync(() => Task.FromResult(DateTimeOffset.UtcNow > due + TimeSpan.FromSeconds(2) ? "due" : null), "the clock never fell due");
        Assert.Empty(await FirstResponseAlertsAsync(caseId));
        await platform.StartExtraInstanceAsync("SlaWatch"); // the replacement keeps running for the other tests
        await WaitForBreachAsync(caseId);
        await _driver.WaitUntilSettledAsync(TestContext.Current.CancellationToken);

        var alerts = await FirstResponseAlertsAsync(caseId);
        Assert.Equal(3, alerts.Count);
        Assert.All(alerts, alert => Assert.True(alert.GetProperty("late").GetBoolean()));
        Assert.Equal(due, alerts[^1].GetProperty("dueAt").GetDateTimeOffset());
    }
}
