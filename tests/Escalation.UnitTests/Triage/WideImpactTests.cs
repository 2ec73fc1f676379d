using Escalation.Triage.Incidents.DetectWideImpact;

namespace Escalation.UnitTests.Triage;

public sealed class WideImpactTests
{
    private static readonly Escalation.Triage.Engine.WideImpactRule Rule = TriageScenarioTests.Rules.WideImpact; // 5 cases within 1 h
    private static readonly DateTimeOffset Nine = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static (ImpactCluster? Cluster, List<WideImpactDecision> Decisions) JoinAll(ImpactCluster? cluster, params CaseJoin[] joins)
    {
        var decisions = new List<WideImpactDecision>();
        foreach (var join in joins)
        {
            if (DetectWideImpact.Join(cluster, join, Rule, join.OpenedAt) is { } decision)
            {
                decisions.Add(decision);
                cluster = decision.Cluster;
            }
        }

        return (cluster, decisions);
    }

    private static CaseJoin Case(int minute, string product = "crm-sync") => new(Guid.NewGuid(), "integration", product, Nine.AddMinutes(minute));

    [Theory]
    [InlineData("integration", "crm-sync", true)]
    [InlineData("outage", null, true)]
    [InlineData("Outage", null, true)]
    [InlineData("integration", null, false)]
    public void Only_cases_naming_a_product_or_of_a_product_less_category_are_counted(string category, string? product, bool clusters)
    {
        Assert.Equal(clusters, DetectWideImpact.Clusters(category, product, Rule));
        Assert.Equal(clusters, DetectWideImpact.Join(null, new CaseJoin(Guid.NewGuid(), category, product, Nine), Rule, Nine) is not null);
    }

    [Fact]
    public void The_fifth_open_case_within_the_window_links_all_five_to_one_incident()
    {
        var joins = Enumerable.Range(0, 5).Select(i => Case(i * 10)).ToArray();

        var (cluster, decisions) = JoinAll(null, joins);

        Assert.All(decisions.Take(4), d => Assert.Empty(d.Links));
        var links = decisions[4].Links;
        Assert.Equal(joins.Select(j => j.CaseId).Order(), links.Select(l => l.CaseId).Order());
        Assert.Single(links.Select(l => l.IncidentKey).Distinct());
        Assert.Equal("INC-integration-crm-sync-202611230900", links[0].IncidentKey);
        Assert.All(links, l => Assert.Equal(5, l.OpenCases));
        Assert.Equal(links[0].IncidentKey, cluster!.IncidentKey);
    }

    [Fact]
    public void A_case_joining_an_open_incident_is_linked_at_once()
    {
        var (cluster, _) = JoinAll(null, Enumerable.Range(0, 5).Select(i => Case(i)).ToArray());

        var late = DetectWideImpact.Join(cluster, Case(90), Rule, Nine.AddMinutes(90))!;

        var link = Assert.Single(late.Links);
        Assert.Equal(cluster!.IncidentKey, link.IncidentKey);
        Assert.Equal(6, link.OpenCases);
    }

    [Fact]
    public void Cases_spread_wider_than_the_window_are_not_an_incident()
    {
        var (cluster, decisions) = JoinAll(null, Enumerable.Range(0, 8).Select(i => Case(i * 20)).ToArray());

        Assert.All(decisions, d => Assert.Empty(d.Links));
        Assert.True(cluster!.Members.Count <= 3, "members older than the window are dropped");
    }

    [Fact]
    public void Other_products_and_cases_without_a_product_do_not_count()
    {
        var (crmSync, _) = JoinAll(null, Case(0), Case(1), Case(2), Case(3));
        var otherProduct = Case(4, "billing-export");
        var general = new CaseJoin(Guid.NewGuid(), "billing", null, Nine);
        var outage = new CaseJoin(Guid.NewGuid(), "outage", null, Nine);

        Assert.Throws<ArgumentException>(() => DetectWideImpact.Join(crmSync, otherProduct, Rule, Nine));
        Assert.Empty(DetectWideImpact.Join(null, otherProduct, Rule, Nine)!.Links);
        Assert.Null(DetectWideImpact.Join(null, general, Rule, Nine));
        Assert.Equal("outage|*", DetectWideImpact.Join(null, outage, Rule, Nine)!.Cluster.Id);
    }

    [Fact]
    public void Joining_twice_changes_nothing()
    {
        var join = Case(0);
        var (cluster, _) = JoinAll(null, join);

        Assert.Null(DetectWideImpact.Join(cluster, join, Rule, Nine));
    }

    [Fact]
    public void The_incident_ends_when_its_last_case_is_resolved()
    {
        var joins = Enumerable.Range(0, 5).Select(i => Case(i)).ToArray();
        var (cluster, _) = JoinAll(null, joins);

        foreach (var join in joins.SkipLast(1))
        {
            cluster = DetectWideImpact.Leave(cluster, join.CaseId);
            Assert.NotNull(cluster!.IncidentKey);
        }

        cluster = DetectWideImpact.Leave(cluster, joins[^1].CaseId);
        Assert.Null(cluster!.IncidentKey);
        Assert.Null(DetectWideImpact.Leave(cluster, Guid.NewGuid()));
    }
}
