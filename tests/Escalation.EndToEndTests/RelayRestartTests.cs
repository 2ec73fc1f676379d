using System.Text.Json;

namespace Escalation.EndToEndTests;

/// <summary>The relay stopped and started again resumes from its checkpoint: what it missed is published, once (issue 8).</summary>
[Collection(nameof(ServiceFaults))]
public sealed class RelayRestartTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);

    [Fact]
    public async Task Events_committed_while_History_is_down_are_published_once_after_it_restarts()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var connection = await _driver.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellation);
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellation)).QueueName;
        await channel.QueueBindAsync(queue, "Escalation.Contracts.Cases:ContactReceived", "", cancellationToken: cancellation);

        var before = await PostAsync("relay-before", 3);
        await _driver.WaitUntilSettledAsync(cancellation);
        await platform.StopInstanceAsync("History");
        List<Guid> during;
        try
        {
            during = await PostAsync("relay-during", 5);
        }
        finally
        {
            await platform.RestartInstanceAsync("History");
        }

        var after = await PostAsync("relay-after", 3);
        var cases = before.Concat(during).Concat(after).ToList();
        foreach (var caseId in cases)
        {
            await _driver.WaitForEventAsync(caseId, "sla_clock_started");
        }

        await _driver.WaitUntilSettledAsync(cancellation);
        var deliveries = new List<string>();
        while (await channel.BasicGetAsync(queue, autoAck: true, cancellation) is { } delivery)
        {
            using var envelope = JsonDocument.Parse(delivery.Body);
            deliveries.Add(envelope.RootElement.GetProperty("correlationId").GetString()!);
        }

        Assert.Equal(cases.Select(c => c.ToString()).Order(), deliveries.Where(d => cases.Any(c => c.ToString() == d)).Order());
    }

    private async Task<List<Guid>> PostAsync(string prefix, int count)
    {
        var cases = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var contact = PlatformDriver.CustomerContact($"{prefix}-{i}-{Guid.NewGuid():N}", "billing", "請求書の再発行をお願いします", channel: "Email");
            cases.Add((await _driver.PostAsync(contact, null)).Body.CaseId);
        }

        return cases;
    }
}
