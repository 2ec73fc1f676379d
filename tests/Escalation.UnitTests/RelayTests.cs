using Escalation.History.Relay;

namespace Escalation.UnitTests;

public sealed class RelayRetryTests
{
    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(6, 3200)]
    [InlineData(7, 5000)]
    [InlineData(50, 5000)]
    public void A_failed_publish_is_retried_after_a_doubling_delay_capped_at_five_seconds(int attempt, int expectedMilliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), CaseEventRelay.RetryDelay(attempt));
    }
}
