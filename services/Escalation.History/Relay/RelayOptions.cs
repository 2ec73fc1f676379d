namespace Escalation.History.Relay;

public sealed record RelayOptions
{
    /// <summary>Events per page handed to the relay.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Cases whose publishes may be in flight at once within a page (each case's own events stay in order).</summary>
    public int PublishConcurrency { get; init; } = 32;

    /// <summary>
    /// How long one publish may wait for the broker's confirm before it is abandoned and retried. A publish caught in
    /// a broker restart can otherwise wait on a channel that never answers; a retry may deliver twice, which
    /// consumers absorb (they dedupe by MessageId).
    /// </summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a standby instance tries to become the relay leader.</summary>
    public int LeaderRetrySeconds { get; init; } = 2;

    /// <summary>Daemon polling while events flow.</summary>
    public int FastPollingMilliseconds { get; init; } = 20;

    /// <summary>Daemon polling while idle.</summary>
    public int SlowPollingMilliseconds { get; init; } = 50;
}
