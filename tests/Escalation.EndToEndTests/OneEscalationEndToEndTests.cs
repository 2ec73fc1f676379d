using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Escalation.Contracts.History.V1;
using Npgsql;
using RabbitMQ.Client;

namespace Escalation.EndToEndTests;

public sealed class OneEscalationEndToEndTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);

    private static readonly string[] ExpectedTypes =
        ["TicketOpened", "ContactReceived", "SlaClockStarted", "SlaClockStarted", "EscalationRequested", "EscalationRouted", "SlaClockStarted", "NotificationSent", "NotificationSent"]; // the customer, the team

    /// <summary>Which event type each event type is caused by (the relay's MessageId becomes the causation id).</summary>
    private static readonly Dictionary<string, string[]> CausedBy = new()
    {
        ["SlaClockStarted"] = ["TicketOpened", "EscalationRouted"], // first response and resolution; the escalation's acknowledgement
        ["EscalationRequested"] = ["ContactReceived"],
        ["EscalationRouted"] = ["EscalationRequested"],
        ["NotificationSent"] = ["EscalationRouted"],
    };

    [Fact]
    public async Task Contacts_over_AMQP_and_HTTP_each_escalate_exactly_once_in_causal_order()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var run = Guid.NewGuid().ToString("N")[..8];
        var amqpContact = PlatformDriver.Contact($"amqp-{run}", "Chatbot", "ja", "taro@example.jp", "請求が二重になっています。人と話したいです");
        var httpContact = PlatformDriver.Contact($"http-{run}", "Chatbot", "en", "jane@example.com", "This is not helping. I want to talk to a human, please.");

        await _driver.PublishRawAsync(amqpContact, traceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        var accepted = await _driver.PostAsync(httpContact, idempotencyKey: $"key-{run}");
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        Assert.False(accepted.Body.Duplicate);
        Assert.StartsWith("ESC-", accepted.Body.Reference);

        var amqpCaseId = await _driver.WaitForCaseOfContactAsync("Chatbot", $"amqp-{run}", cancellation);
        var amqpHistory = await WaitForHistoryAsync(amqpCaseId, cancellation);
        var httpHistory = await WaitForHistoryAsync(accepted.Body.CaseId, cancellation);

        foreach (var history in new[] { amqpHistory, httpHistory })
        {
            AssertCompleteAndCausal(history);
        }

        AssertEscalation(amqpHistory, "人と話したい", "Functional");
        AssertEscalation(httpHistory, "human", "Functional");
        // One contact that escalates is one trace: every event of the case, whichever service appended it, carries
        // the trace of the contact — for the AMQP contact, the trace its non-.NET publisher sent as traceparent.
        Assert.All(amqpHistory.Events, e => Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", e.TraceId));
        Assert.Single(httpHistory.Events.Select(e => e.TraceId).Distinct());
        Assert.NotEqual("", httpHistory.Events[0].TraceId);
        await AssertMailArrivedAsync(amqpHistory.Reference, "ja", "taro@example.jp");
        await AssertMailArrivedAsync(httpHistory.Reference, "en", "jane@example.com");

        // The same contacts again, over both transports: nothing new may be appended.
        await _driver.PublishRawAsync(amqpContact, traceParent: null);
        var again = await _driver.PostAsync(httpContact, idempotencyKey: $"key-{run}");
        var againWithoutKey = await _driver.PostAsync(httpContact, idempotencyKey: null);
        Assert.True(again.Body.Duplicate);
        Assert.True(againWithoutKey.Body.Duplicate);
        Assert.Equal(accepted.Body.CaseId, again.Body.CaseId);
        Assert.Equal(accepted.Body.CaseId, againWithoutKey.Body.CaseId);

        await _driver.WaitUntilSettledAsync(cancellation);
        AssertCompleteAndCausal(await GetHistoryAsync(amqpCaseId));
        AssertCompleteAndCausal(await GetHistoryAsync(accepted.Body.CaseId));
        // Case events never fault; intake's error queues hold other tests' deliberately bad input, but none of these.
        Assert.DoesNotContain(await platform.Infrastructure.ErrorQueuesAsync(), queue => queue.Value > 0 && !queue.Key.StartsWith("intake-", StringComparison.Ordinal));
        var deadLettered = await platform.Infrastructure.PeekMessagesAsync("intake-inbound-contact-raw_error", 2000);
        Assert.DoesNotContain(deadLettered, message => message.Payload.Contains(run));
    }

    private void AssertCompleteAndCausal(GetHistoryResponse history)
    {
        var types = history.Events.Select(e => e.Type).ToList();
        Assert.Equal(ExpectedTypes.Order(), types.Order());
        Assert.Equal("TicketOpened", types[0]);
        Assert.Equal("ContactReceived", types[1]);

        var byId = history.Events.ToDictionary(e => e.EventId);
        foreach (var stored in history.Events)
        {
            Assert.Equal(history.CaseId, stored.CorrelationId);
            Assert.False(string.IsNullOrEmpty(stored.Actor));
            if (CausedBy.TryGetValue(stored.Type, out var causeType))
            {
                Assert.True(byId.TryGetValue(stored.CausationId, out var cause), $"{stored.Type}'s cause {stored.CausationId} is not in the stream");
                Assert.Contains(cause.Type, causeType);
                Assert.True(cause.Version < stored.Version, $"{stored.Type} (v{stored.Version}) precedes its cause {cause.Type} (v{cause.Version})");
            }
        }
    }

    private static void AssertEscalation(GetHistoryResponse history, string phrase, string type)
    {
        using var requested = JsonDocument.Parse(history.Events.Single(e => e.Type == "EscalationRequested").Json);
        var root = requested.RootElement;
        Assert.Equal(type, root.GetProperty("type").GetString());
        var trigger = root.GetProperty("triggers")[0];
        Assert.Equal("explicit-human-request", trigger.GetProperty("rule").GetString());
        Assert.Contains(phrase, trigger.GetProperty("evidence").GetString());
        var handoff = root.GetProperty("handoff");
        Assert.Contains(history.Reference, handoff.GetProperty("summary").GetString());
        Assert.Contains(phrase, handoff.GetProperty("transcript")[0].GetString());
        Assert.Contains(phrase, handoff.GetProperty("triggerReason").GetString());

        using var routed = JsonDocument.Parse(history.Events.Single(e => e.Type == "EscalationRouted").Json);
        Assert.Equal(root.GetProperty("escalationId").GetString(), routed.RootElement.GetProperty("escalationId").GetString());
        Assert.False(string.IsNullOrEmpty(routed.RootElement.GetProperty("team").GetString()));
    }

    private async Task AssertMailArrivedAsync(string reference, string language, string customer)
    {
        var mails = (await NotificationDriver.ReadMailsAsync(_driver, platform.MailDirectory))
            .Where(mail => mail.Subject?.Contains(reference) == true && mail.To.Mailboxes.Any(to => to.Address == customer)).ToList();
        var mail = Assert.Single(mails);
        Assert.Equal(language, NotificationDriver.LanguageOf(mail));
    }

    private async Task<GetHistoryResponse> WaitForHistoryAsync(Guid caseId, CancellationToken cancellation) =>
        await _driver.PollAsync(async () =>
        {
            var history = await GetHistoryAsync(caseId);
            return history.Events.Count(e => e.Type == "NotificationSent") == 2 && history.Events.Count(e => e.Type == "SlaClockStarted") == 3 ? history : null;
        }, $"case {caseId} never reached two NotificationSent and its three SLA clocks");

    private async Task<GetHistoryResponse> GetHistoryAsync(Guid caseId) =>
        await platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = caseId.ToString(), PageSize = 1000 });

}
