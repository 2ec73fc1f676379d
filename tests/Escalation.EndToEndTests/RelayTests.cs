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
        var factory = new ConnectionFactory { Uri = new Uri(platform.Infrastructure.RabbitMqUri) };
        await using var connection = await factory.CreateConnectionAsync(cancellation);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellation);
        // A subscriber of our own, as another service would bind: every TicketOpened published from now on.
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellation)).QueueName;
        await channel.QueueBindAsync(queue, "Escalation.Contracts.Cases:TicketOpened", "", cancellationToken: cancellation);

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
}
