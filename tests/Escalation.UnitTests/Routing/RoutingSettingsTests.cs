using Escalation.Routing.Directory;
using Escalation.Routing.Directory.SeedDirectory;
using Escalation.Routing.Matrix;
using Microsoft.Extensions.Configuration;

namespace Escalation.UnitTests.Routing;

public sealed class RoutingSettingsTests
{
    [Fact]
    public void The_shipped_seed_file_gives_the_demo_team_its_agents_and_addresses()
    {
        var path = Path.Combine(PlatformRoot(), "services", "Escalation.Routing", "appsettings.json");
        var settings = new ConfigurationBuilder().AddJsonFile(path).Build().GetSection("Routing").Get<RoutingSettings>()!.Validated();
        var seed = DirectorySeed.Load(Path.Combine(Path.GetDirectoryName(path)!, settings.DirectorySeedFile!));

        var agents = seed.Agents.Where(a => a.Team == "billing-support").ToList();
        Assert.Equal(["aiko.tanaka", "ben.carter", "chika.mori", "daisuke.ito"], agents.Select(a => a.Id));
        Assert.All(agents, a => Assert.EndsWith("@support.example", a.Email));
        Assert.Contains(agents, a => a.Role == AgentRole.TeamLead);
        var team = Assert.Single(seed.Teams);
        Assert.Equal(("billing-support", "billing-support@support.example"), (team.Id, team.Email));
        Assert.Equal("billing-oncall@support.example", team.OnCall?.Email);
    }

    private static string PlatformRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Escalation.Platform.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        return root;
    }
}
