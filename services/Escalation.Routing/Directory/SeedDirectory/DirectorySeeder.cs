using Escalation.Routing.Matrix;
using Marten;

namespace Escalation.Routing.Directory.SeedDirectory;

/// <summary>
/// At start-up, adds the matrix cells, agents and team contacts of configuration that the store does not have yet; what was changed
/// over HTTP is kept (configuration seeds, the API manages).
/// </summary>
public sealed class DirectorySeeder(IDocumentStore store, RoutingSettings settings) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var cells = settings.Entries.Select(e => new MatrixCell(MatrixCell.IdFor(e.Category, e.Tier), e.Category, e.Tier, e.Team, e.OverflowTeam, e.AcknowledgeWithin)).ToList();
        var knownCells = (await session.LoadManyAsync<MatrixCell>(cancellationToken, cells.Select(c => c.Id))).Select(c => c.Id).ToHashSet();
        var knownAgents = (await session.LoadManyAsync<AgentProfile>(cancellationToken, settings.Agents.Select(a => a.Id))).Select(a => a.Id).ToHashSet();
        var knownTeams = (await session.LoadManyAsync<TeamContacts>(cancellationToken, settings.Teams.Select(t => t.Id))).Select(t => t.Id).ToHashSet();
        session.Store(cells.Where(c => !knownCells.Contains(c.Id)).ToArray());
        session.Store(settings.Agents.Where(a => !knownAgents.Contains(a.Id)).ToArray());
        session.Store(settings.Teams.Where(t => !knownTeams.Contains(t.Id)).ToArray());
        await session.SaveChangesAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
