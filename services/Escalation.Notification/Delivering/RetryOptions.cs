namespace Escalation.Notification.Delivering;

/// <summary>Exponential backoff with jitter: the n-th retry waits between half and all of min(cap, base × 2^(n−1)).</summary>
public sealed record RetryOptions
{
    public int MaxAttempts { get; init; } = 6;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a sender holds a delivery before another may assume it died mid-send.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan DelayAfter(int attempt, double random)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + 0.5 * random));
    }
}
