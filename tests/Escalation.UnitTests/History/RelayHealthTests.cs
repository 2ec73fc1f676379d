using Escalation.History.Relay;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace Escalation.UnitTests.History;

public sealed class RelayHealthTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    private async Task<HealthStatus> StatusAsync(RelayHealth health) => (await health.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken)).Status;

    [Fact]
    public async Task A_publish_waiting_longer_than_the_stall_limit_makes_the_relay_not_ready_until_one_is_confirmed()
    {
        var health = new RelayHealth(_time);
        health.Publishing();
        _time.Advance(RelayHealth.StalledAfter - TimeSpan.FromSeconds(1));
        Assert.Equal(HealthStatus.Healthy, await StatusAsync(health));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HealthStatus.Unhealthy, await StatusAsync(health));

        health.Published();
        Assert.Equal(HealthStatus.Healthy, await StatusAsync(health));
    }

    [Fact]
    public async Task An_idle_relay_is_ready_however_long_nothing_was_published()
    {
        var health = new RelayHealth(_time);
        health.Publishing();
        health.Published();
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HealthStatus.Healthy, await StatusAsync(health));
    }

    [Fact]
    public async Task A_failed_publish_makes_the_relay_not_ready_until_a_later_one_succeeds()
    {
        var health = new RelayHealth(_time);
        health.Publishing();
        health.PublishFailed(new InvalidOperationException("broker unreachable"));
        var failed = await health.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);
        Assert.Equal(HealthStatus.Unhealthy, failed.Status);
        Assert.Contains("broker unreachable", failed.Description);

        health.Publishing();
        health.Published();
        Assert.Equal(HealthStatus.Healthy, await StatusAsync(health));
    }
}
