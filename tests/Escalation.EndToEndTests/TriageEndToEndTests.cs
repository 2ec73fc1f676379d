using System.Text.Json;

namespace Escalation.EndToEndTests;

/// <summary>The trigger engine over the real broker and store: contact in through intake, decision out in the case stream.</summary>
public sealed class TriageEndToEndTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    private object Contact(string id, string channel, string text, string category = "billing", string author = "Customer",
        object? entities = null, string? conversation = null) =>
        PlatformDriver.CustomerContact($"{id}-{_run}", category, text, channel, conversation, author, entities);

    private async Task<Guid> PostAsync(object contact) => (await _driver.PostAsync(contact, idempotencyKey: null)).Body.CaseId;

    private static IReadOnlyList<string> Rules(JsonElement escalation) =>
        escalation.GetProperty("triggers").EnumerateArray().Select(t => t.GetProperty("rule").GetString()!).ToList();

    [Fact]
    public async Task A_request_for_a_superior_is_a_hierarchical_escalation_to_L2_with_its_evidence()
    {
        var caseId = await PostAsync(Contact("superior", "Chatbot", "もう結構です。上司を出してください"));

        var requested = await _driver.WaitForEventAsync(caseId, "escalation_requested");
        var routed = await _driver.WaitForEventAsync(caseId, "escalation_routed");

        Assert.Equal("Hierarchical", requested.GetProperty("type").GetString());
        Assert.Equal("L0", requested.GetProperty("fromTier").GetString());
        Assert.Equal("L2", requested.GetProperty("toTier").GetString());
        Assert.Equal("2026.11.2", requested.GetProperty("rulesVersion").GetString());
        var trigger = requested.GetProperty("triggers")[0];
        Assert.Equal("explicit-superior-request", trigger.GetProperty("rule").GetString());
        Assert.Equal("explicit:superior", trigger.GetProperty("key").GetString());
        Assert.Contains("上司", trigger.GetProperty("evidence").GetString());
        Assert.Equal("billing-specialists", routed.GetProperty("team").GetString());
    }

    [Fact]
    public async Task A_fraud_keyword_goes_straight_to_the_fraud_specialists_at_P2()
    {
        var caseId = await PostAsync(Contact("fraud", "Chatbot", "カードに身に覚えのない請求があります。不正利用だと思います。"));

        var requested = await _driver.WaitForEventAsync(caseId, "escalation_requested");
        var routed = await _driver.WaitForEventAsync(caseId, "escalation_routed");

        Assert.Equal("Priority", requested.GetProperty("type").GetString());
        Assert.Equal("P2", requested.GetProperty("priority").GetString());
        Assert.Equal("L2", requested.GetProperty("toTier").GetString());
        Assert.Equal("fraud", requested.GetProperty("requiredCapability").GetString());
        Assert.Contains("keyword-fraud", Rules(requested));
        Assert.Equal("fraud-specialists", routed.GetProperty("team").GetString());
    }

    [Fact]
    public async Task An_amount_above_the_agents_approval_limit_goes_to_a_supervisor()
    {
        var conversation = $"conv-refund-{_run}";
        var caseId = await PostAsync(Contact("refund-ask", "Chat", "商品が壊れていたので返金をお願いします", conversation: conversation));
        await PostAsync(Contact("refund-agent", "Chat", "確認しました。返金額は25,000円になります。", author: "Agent", conversation: conversation,
            entities: new { amount = new { amount = 25000, currency = "JPY" } }));

        var requested = await _driver.WaitForEventAsync(caseId, "escalation_requested");
        await _driver.WaitUntilSettledAsync(TestContext.Current.CancellationToken);

        Assert.Equal("Hierarchical", requested.GetProperty("type").GetString());
        Assert.Equal("L1", requested.GetProperty("fromTier").GetString());
        Assert.Equal("L2", requested.GetProperty("toTier").GetString());
        var trigger = requested.GetProperty("triggers")[0];
        Assert.Equal("authority-limit:L2", trigger.GetProperty("key").GetString());
        Assert.Equal(25000, trigger.GetProperty("measures").GetProperty("amount").GetDouble());
        Assert.Equal(10000, trigger.GetProperty("measures").GetProperty("limit").GetDouble());
        Assert.Single(await _driver.EventsAsync(caseId), e => e.Type == "escalation_requested"); // the customer's own turn did not escalate
    }

    [Fact]
    public async Task Five_open_cases_of_one_product_within_the_hour_become_one_incident()
    {
        var product = $"crm-sync-{_run}";
        object Sync(int i) => Contact($"sync-{i}", "Chat", "データ同期が今朝から失敗しています", category: "integration", entities: new { product });

        var cases = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => PostAsync(Sync(i)))); // at once: they race for the cluster
        var links = await Task.WhenAll(cases.Select(c => _driver.WaitForEventAsync(c, "case_linked_to_incident")));
        var escalations = await Task.WhenAll(cases.Select(c => _driver.WaitForEventAsync(c, "escalation_requested")));
        var sixth = await PostAsync(Sync(5));
        var sixthLink = await _driver.WaitForEventAsync(sixth, "case_linked_to_incident");
        var otherProduct = await PostAsync(Contact("sync-other", "Chat", "データ同期が失敗しています", category: "integration", entities: new { product = $"other-{_run}" }));
        await _driver.WaitUntilSettledAsync(TestContext.Current.CancellationToken);

        var incident = Assert.Single(links.Select(l => l.GetProperty("incidentKey").GetString()).Distinct());
        Assert.StartsWith($"INC-integration-crm-sync-{_run}-", incident);
        Assert.Equal(incident, sixthLink.GetProperty("incidentKey").GetString());
        Assert.Equal(6, sixthLink.GetProperty("openCases").GetInt32());
        Assert.All(escalations, e =>
        {
            Assert.Equal("Priority", e.GetProperty("type").GetString());
            Assert.Equal("P1", e.GetProperty("priority").GetString());
            Assert.Equal("L2", e.GetProperty("toTier").GetString());
            Assert.Equal(["wide-impact"], Rules(e));
        });
        Assert.DoesNotContain(await _driver.EventsAsync(otherProduct), e => e.Type == "case_linked_to_incident");
        foreach (var caseId in cases)
        {
            Assert.Single(await _driver.EventsAsync(caseId), e => e.Type == "case_linked_to_incident");
        }
    }
}
