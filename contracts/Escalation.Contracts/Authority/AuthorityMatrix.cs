using System.Text.Json;
using System.Text.Json.Serialization;

namespace Escalation.Contracts.Authority;

/// <summary>
/// Who may approve how much (refunds, discounts, credits), one matrix for the whole platform: triage sends an amount
/// to the first tier whose role may approve it, routing gives it to someone in that team whose role may. Embedded
/// from <c>Authority/authority-matrix.json</c>; a change is a new <see cref="Version"/>.
/// </summary>
/// <param name="ApprovalLimitsByRole">Per role (<c>Agent</c>, <c>TeamLead</c>, <c>Manager</c>), the largest amount per ISO 4217 currency it may approve.</param>
/// <param name="RoleAtTier">The role whose limits are a tier's limits (L1 agents, L2 team leads and supervisors, L3 managers).</param>
public sealed record AuthorityMatrix(
    string Version,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, decimal>> ApprovalLimitsByRole,
    IReadOnlyDictionary<Tier, string> RoleAtTier)
{
    public static AuthorityMatrix Shared { get; } = Load();

    /// <summary>The most <paramref name="role"/> may approve in <paramref name="currency"/>; null: nothing (unknown role or currency).</summary>
    public decimal? LimitOf(string role, string currency) =>
        ApprovalLimitsByRole.TryGetValue(role, out var limits) && limits.TryGetValue(currency, out var limit) ? limit : null;

    public decimal? LimitAt(Tier tier, string currency) => RoleAtTier.TryGetValue(tier, out var role) ? LimitOf(role, currency) : null;

    public bool MayApprove(string role, MoneyAmount amount) => LimitOf(role, amount.Currency) >= amount.Amount;

    private static AuthorityMatrix Load()
    {
        using var stream = typeof(AuthorityMatrix).Assembly.GetManifestResourceStream("authority-matrix.json")
            ?? throw new InvalidOperationException("The authority matrix is not embedded.");
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
        };
        return JsonSerializer.Deserialize<AuthorityMatrix>(stream, options) ?? throw new InvalidOperationException("The authority matrix is empty.");
    }
}
