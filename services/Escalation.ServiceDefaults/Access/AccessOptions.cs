namespace Escalation.ServiceDefaults.Access;

/// <summary>API key settings (section <c>Access</c>).</summary>
public sealed record AccessOptions
{
    /// <summary>How long a service trusts a key it looked up: a revocation or expiry takes effect within this time.</summary>
    public TimeSpan CacheFor { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Contacts per second one key may submit when its record sets no rate of its own.</summary>
    public int DefaultContactsPerSecond { get; init; } = 1000;
}
