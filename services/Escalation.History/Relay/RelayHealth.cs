using Escalation.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Escalation.History.Relay;

/// <summary>
/// Whether the relay can reach the broker. History's bus only publishes, and MassTransit reports a publish-only bus
/// healthy while the broker is gone (a publish then waits for the connection instead of failing), so readiness asks
/// the relay instead: not ready while its publishes fail or none has been confirmed for <see cref="StalledAfter"/>
/// although some are waiting; ready again with the next confirm.
/// </summary>
public sealed class RelayHealth(TimeProvider time) : IHealthCheck
{
    public static readonly TimeSpan StalledAfter = TimeSpan.FromSeconds(5);
    public const string Name = "relay";
    public static readonly string[] Tags = [ServiceDefaultsExtensions.ReadyTag];

    private readonly Lock _gate = new();
    private int _waiting;
    private DateTimeOffset _progressAt;
    private string? _failure;

    public void Publishing()
    {
        lock (_gate)
        {
            if (_waiting++ == 0) _progressAt = time.GetUtcNow();
        }
    }

    public void Published()
    {
        lock (_gate)
        {
            _waiting--;
            _progressAt = time.GetUtcNow();
            _failure = null;
        }
    }

    public void PublishFailed(Exception exception)
    {
        lock (_gate)
        {
            _waiting--;
            _failure = exception.Message;
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var stalledFor = time.GetUtcNow() - _progressAt;
            return Task.FromResult(
                _failure is { } failure ? HealthCheckResult.Unhealthy($"The relay cannot publish to the broker: {failure}")
                : _waiting > 0 && stalledFor > StalledAfter ? HealthCheckResult.Unhealthy($"No publish confirmed by the broker for {stalledFor.TotalSeconds:0} s")
                : HealthCheckResult.Healthy());
        }
    }
}
