using Escalation.Contracts;
using Escalation.Notification.Delivering;
using static Escalation.UnitTests.CaseFixtures;
using static Escalation.UnitTests.Notification.NotificationFixtures;

namespace Escalation.UnitTests.Notification;

public sealed class DeliveryTests
{
    private static readonly RetryOptions Retry = new() { MaxAttempts = 3, BaseDelay = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromSeconds(5) };

    private static Delivery Webhook() => Escalation.Notification.Planning.PlanNotifications
        .Decide(Case().Apply(Routed()), new(Guid.NewGuid(), Routed()), Rules, Templates, Team(), Now)
        .Single(d => d.Audience == Audience.Team && d.Channel == NotificationChannel.Webhook);

    [Fact]
    public void Transient_failures_are_retried_with_backoff_until_the_budget_is_spent_then_given_up()
    {
        var delivery = Webhook();
        var outcomes = new List<(bool WillRetry, int Attempt)>();
        for (var attempt = 1; attempt <= Retry.MaxAttempts; attempt++)
        {
            delivery = delivery.Claim(Now, Now + Retry.Lease, Retry.MaxAttempts).Next;
            var (next, failed) = delivery.Failed("HTTP 503 Service Unavailable", transient: true, Retry.MaxAttempts, TimeSpan.FromSeconds(attempt), Now);
            outcomes.Add((failed.WillRetry, failed.Attempt));
            Assert.Equal(failed.WillRetry ? Now.AddSeconds(attempt) : null, next.DueAt);
            delivery = next;
        }

        Assert.Equal([(true, 1), (true, 2), (false, 3)], outcomes);
        Assert.Equal(DeliveryStatus.Failed, delivery.Status);
        Assert.Contains("retry budget of 3 attempts spent", delivery.LastError);
    }

    [Fact]
    public void A_permanent_failure_is_not_retried()
    {
        var (next, failed) = Webhook().Claim(Now, Now + Retry.Lease, Retry.MaxAttempts).Next.Failed("HTTP 404 Not Found", transient: false, Retry.MaxAttempts, TimeSpan.FromSeconds(1), Now);

        Assert.False(failed.WillRetry);
        Assert.Equal((DeliveryStatus.Failed, (DateTimeOffset?)null, "HTTP 404 Not Found"), (next.Status, next.DueAt, failed.Error));
    }

    [Fact]
    public void A_delivery_taken_again_after_its_sender_died_records_the_unknown_attempt_and_keeps_its_id()
    {
        var sending = Webhook().Claim(Now, Now + Retry.Lease, Retry.MaxAttempts).Next;

        var (again, events) = sending.Claim(Now + Retry.Lease, Now + 2 * Retry.Lease, Retry.MaxAttempts);

        var unknown = Assert.IsType<Escalation.Contracts.Notifications.NotificationFailed>(Assert.Single(events));
        Assert.Equal((1, true), (unknown.Attempt, unknown.WillRetry));
        Assert.Contains("outcome unknown", unknown.Error);
        Assert.Equal((sending.Id, 2, DeliveryStatus.Sending), (again.Id, again.Attempts, again.Status));
        var (sent, sentEvent) = again.Succeeded("HTTP 200", Now);
        Assert.Equal((2, "HTTP 200", DeliveryStatus.Sent), (sentEvent.Attempt, sentEvent.ProviderMessageId, sent.Status));
    }

    [Fact]
    public void An_interrupted_last_attempt_is_given_up_rather_than_sent_beyond_the_budget()
    {
        var delivery = Webhook();
        for (var i = 0; i < Retry.MaxAttempts; i++)
        {
            delivery = delivery.Claim(Now, Now + Retry.Lease, Retry.MaxAttempts).Next;
        }

        var (given, events) = delivery.Claim(Now, Now + Retry.Lease, Retry.MaxAttempts);

        Assert.Equal(DeliveryStatus.Failed, given.Status);
        Assert.False(Assert.IsType<Escalation.Contracts.Notifications.NotificationFailed>(Assert.Single(events)).WillRetry);
    }

    [Theory]
    [InlineData(1, 0.0, 1_000)]
    [InlineData(1, 1.0, 2_000)]
    [InlineData(2, 0.0, 2_000)]
    [InlineData(3, 1.0, 5_000)] // 8 s capped at 5 s
    [InlineData(30, 0.5, 3_750)]
    public void Backoff_doubles_per_attempt_with_jitter_in_the_upper_half_and_a_cap(int attempt, double random, double expectedMs)
    {
        Assert.Equal(expectedMs, Retry.DelayAfter(attempt, random).TotalMilliseconds, precision: 3);
    }
}
