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
        var queue = await PlatformDriver.BindQueueAsync(channel, "Cases:ContactReceived", cancellation);

        var before = await _driver.PostContactsAsync("relay-before", 3);
        await _driver.WaitUntilSettledAsync(cancellation);
        await platform.StopInstanceAsync("History");
        List<Guid> during;
        try
        {
            during = await _driver.PostContactsAsync("relay-during", 5);
        }
        finally
        {
            await platform.RestartInstanceAsync("History");
        }

        var after = await _driver.PostContactsAsync("relay-after", 3);
        var cases = before.Concat(during).Concat(after).ToList();
        foreach (var caseId in cases)
        {
            await _driver.WaitForEventAsync(caseId, "sla_clock_started");
        }

        await _driver.WaitUntilSettledAsync(cancellation);
        var deliveries = await PlatformDriver.DrainCorrelationIdsAsync(channel, queue, cancellation);

        Assert.Equal(cases.Select(c => c.ToString()).Order(), deliveries.Where(d => cases.Any(c => c.ToString() == d)).Order());
    }
}
