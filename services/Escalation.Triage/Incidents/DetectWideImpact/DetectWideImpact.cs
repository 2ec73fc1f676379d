using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Escalation.Contracts.Escalations;
using Escalation.Triage.Engine;

namespace Escalation.Triage.Incidents.DetectWideImpact;

/// <summary>A case counted in a cluster: when it opened, whether it is still open, whether it is linked to the incident.</summary>
public sealed record ClusterMember(Guid CaseId, DateTimeOffset OpenedAt, bool Open, bool Linked);

/// <summary>
/// Open cases of one category and product (the serialization point for wide-impact detection: a document with
/// optimistic concurrency, so two cases joining at once cannot both miss the threshold).
/// </summary>
public sealed record ImpactCluster(string Id, string Category, string? Product, ImmutableList<ClusterMember> Members, string? IncidentKey)
{
    public static string IdFor(string category, string? product) => $"{category.Trim().ToLowerInvariant()}|{product?.Trim().ToLowerInvariant() ?? "*"}";
}

/// <summary>A case joining its cluster on its first customer contact.</summary>
public sealed record CaseJoin(Guid CaseId, string Category, string? Product, DateTimeOffset OpenedAt);

public sealed record WideImpactDecision(ImpactCluster Cluster, bool IsNew, IReadOnlyList<CaseLinkedToIncident> Links);

/// <summary>
/// Wide impact: when at least N open cases of one category and product opened within the window, they become one incident
/// and each is linked to it; cases joining while the incident has open members are linked at once. The incident ends
/// when its last linked case is resolved.
/// </summary>
public static partial class DetectWideImpact
{
    /// <summary>
    /// Whether cases like this one are counted at all: those naming a product, and those of categories that need none
    /// (an outage). The rest never take the cluster's lock.
    /// </summary>
    public static bool Clusters(string category, string? product, WideImpactRule rule) =>
        product is not null || rule.CategoriesWithoutProduct.Contains(category, StringComparer.OrdinalIgnoreCase);

    public static WideImpactDecision? Join(ImpactCluster? cluster, CaseJoin join, WideImpactRule rule, DateTimeOffset now)
    {
        if (!Clusters(join.Category, join.Product, rule) || cluster?.Members.Any(m => m.CaseId == join.CaseId) == true)
        {
            return null;
        }

        var id = ImpactCluster.IdFor(join.Category, join.Product);
        if (cluster is not null && cluster.Id != id)
        {
            throw new ArgumentException($"Case {join.CaseId} belongs to cluster {id}, not {cluster.Id}.", nameof(join));
        }

        var isNew = cluster is null;
        cluster ??= new ImpactCluster(id, join.Category, join.Product, [], null);
        var horizon = join.OpenedAt - rule.Window;
        var members = cluster.Members.RemoveAll(m => !m.Open || (!m.Linked && m.OpenedAt <= horizon))
            .Add(new ClusterMember(join.CaseId, join.OpenedAt, Open: true, Linked: false));
        var incident = members.Any(m => m.Linked) ? cluster.IncidentKey : null;

        var recent = members.Where(m => m.OpenedAt > horizon).ToList();
        var toLink = incident is not null
            ? members.Where(m => !m.Linked).ToList()
            : recent.Count >= rule.OpenCases ? recent : [];
        if (toLink.Count == 0)
        {
            return new WideImpactDecision(cluster with { Members = members, IncidentKey = incident }, isNew, []);
        }

        incident ??= $"INC-{Slug(join.Category)}{(join.Product is null ? "" : "-" + Slug(join.Product))}-{recent.Min(m => m.OpenedAt):yyyyMMddHHmm}";
        var linkedIds = toLink.Select(m => m.CaseId).ToHashSet();
        members = members.Select(m => linkedIds.Contains(m.CaseId) ? m with { Linked = true } : m).ToImmutableList();
        var openCases = members.Count(m => m.Linked);
        var links = toLink.Select(m => new CaseLinkedToIncident(m.CaseId, incident, join.Category, join.Product, openCases, rule.Window, now)).ToList();
        return new WideImpactDecision(cluster with { Members = members, IncidentKey = incident }, isNew, links);
    }

    /// <summary>The case left its cluster (resolved or closed); null when it was not a member.</summary>
    public static ImpactCluster? Leave(ImpactCluster? cluster, Guid caseId)
    {
        if (cluster?.Members.FirstOrDefault(m => m.CaseId == caseId && m.Open) is not { } member)
        {
            return null;
        }

        var members = cluster.Members.Replace(member, member with { Open = false });
        return cluster with { Members = members, IncidentKey = members.Any(m => m.Open && m.Linked) ? cluster.IncidentKey : null };
    }

    private static string Slug(string text)
    {
        var slug = NotSlug().Replace(text.ToLowerInvariant(), "-").Trim('-');
        return slug.Length > 0 ? slug : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..8];
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotSlug();
}
