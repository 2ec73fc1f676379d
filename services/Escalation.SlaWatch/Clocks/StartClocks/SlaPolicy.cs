using Escalation.Contracts;

namespace Escalation.SlaWatch.Clocks.StartClocks;

/// <summary>A versioned SLA policy: first-response targets per customer tier, on a calendar.</summary>
public sealed record SlaPolicy
{
    public string Id { get; init; } = "default";
    public int Version { get; init; } = 1;

    /// <summary>Business calendar id; <c>24x7</c> counts every hour.</summary>
    public string Calendar { get; init; } = "24x7";

    public IReadOnlyDictionary<CustomerTier, TimeSpan> FirstResponse { get; init; } = new Dictionary<CustomerTier, TimeSpan>();

    public SlaPolicy Validated()
    {
        var missing = Enum.GetValues<CustomerTier>().Where(t => t != CustomerTier.Unspecified && !FirstResponse.ContainsKey(t)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"SLA policy {Id} v{Version} has no first-response target for {string.Join(", ", missing)}.");
        }

        return Calendar == "24x7"
            ? this
            : throw new InvalidOperationException($"Calendar '{Calendar}' is not supported yet; only 24x7.");
    }
}
