using System.Text.Json;
using Escalation.Contracts.History.V1;
using RabbitMQ.Client;

namespace Escalation.EndToEndTests;

/// <summary>The relay's contract with subscribers on the bus (DESIGN §3).</summary>
public sealed class RelayTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);

    [Fact]
    public async Task Each_committed_case_event_is_published_with_the_stored_event_id_case_id_and_global_position()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var connection = await _driver.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellation);
        // A subscriber of our own, as another service would bind: every TicketOpened published from now on.
        var queue = await PlatformDriver.BindQueueAsync(channel, "Cases:TicketOpened", cancellation);

        var contact = PlatformDriver.Contact($"relay-{Guid.NewGuid():N}", "WebForm", "en", null, "Question about my invoice");
        var accepted = (await _driver.PostAsync(contact, null)).Body;

        var envelope = await _driver.PollAsync(async () =>
        {
            while (await channel.BasicGetAsync(queue, autoAck: true, cancellation) is { } delivery)
            {
                var document = JsonDocument.Parse(delivery.Body);
                if (document.RootElement.GetProperty("correlationId").GetString() == accepted.CaseId.ToString())
                {
                    return document;
                }
            }

            return null;
        }, "the relay never published this case's TicketOpened");

        var history = await platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = accepted.CaseId.ToString() }, cancellationToken: cancellation);
        var stored = history.Events.Single(e => e.Type == "TicketOpened");
        var root = envelope.RootElement;
        Assert.Equal(stored.EventId, root.GetProperty("messageId").GetString());
        Assert.Equal(accepted.CaseId.ToString(), root.GetProperty("message").GetProperty("caseId").GetString());
        Assert.Equal(accepted.Reference, root.GetProperty("message").GetProperty("reference").GetString());
        Assert.Equal(stored.GlobalPosition, root.GetProperty("headers").GetProperty("escalation-sequence").GetInt64());
        Assert.Contains("urn:message:Escalation.Contracts.Cases:TicketOpened", root.GetProperty("messageType").EnumerateArray().Select(t => t.GetString()));
        envelope.Dispose();
    }

    [Fact]
    public async Task A_second_History_instance_stands_by_and_nothing_is_published_twice()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var standby = await platform.StartExtraInstanceAsync("History");
        try
        {
            await using var connection = await _driver.ConnectAsync();
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellation);
            var queue = await PlatformDriver.BindQueueAsync(channel, "Cases:ContactReceived", cancellation);

            var cases = (await _driver.PostContactsAsync("standby", 5)).Select(id => id.ToString()).ToHashSet();

            await _driver.WaitUntilSettledAsync(cancellation);
            var deliveries = await PlatformDriver.DrainCorrelationIdsAsync(channel, queue, cancellation);

            Assert.Equal(cases.Order(), deliveries.Where(cases.Contains).Order());
            Assert.DoesNotContain("holds the relay lock", platform.LogOf(standby));
        }
        finally
        {
            await platform.StopInstanceAsync(standby);
        }
    }
}
