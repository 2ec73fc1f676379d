using System.Text.Json;
using Escalation.Routing.Matrix;
using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.Routing.Directory.SeedDirectory;

/// <summary>The staff a fresh directory starts with (<c>Routing:DirectorySeedFile</c>, JSON as the HTTP API takes it).</summary>
public sealed record DirectorySeed(IReadOnlyList<AgentProfile> Agents, IReadOnlyList<TeamContacts> Teams)
{
    public static readonly DirectorySeed Empty = new([], []);

    public static DirectorySeed Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<DirectorySeed>(File.ReadAllText(path), ContractJson.Options)
                ?? throw new InvalidOperationException($"Directory seed {path} is empty.");
        }
        catch (JsonException error)
        {
            throw new InvalidOperationException($"Directory seed {path} is not valid: {error.Message}", error);
        }
    }
}

/// <summary>
/// At start-up, adds the matrix cells of configuration and the agents and team contacts of the seed file that the
/// store does not have yet; what was changed over HTTP is kept (configuration seeds, the API manages).
/// </summary>
public sealed class DirectorySeeder(IDocumentStore store, RoutingSettings settings, DirectorySeed seed) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var cells = settings.Entries.Select(e => new MatrixCell(MatrixCell.IdFor(e.Category, e.Tier), e.Category, e.Tier, e.Team, e.OverflowTeam, e.AcknowledgeWithin)).ToList();
        var knownCells = (await session.LoadManyAsync<MatrixCell>(cancellationToken, cells.Select(c => c.Id))).Select(c => c.Id).ToHashSet();
        var knownAgents = (await session.LoadManyAsync<AgentProfile>(cancellationToken, seed.Agents.Select(a => a.Id))).Select(a => a.Id).ToHashSet();
        var knownTeams = (await session.LoadManyAsync<TeamContacts>(cancellationToken, seed.Teams.Select(t => t.Id))).Select(t => t.Id).ToHashSet();
        session.Store(cells.Where(c => !knownCells.Contains(c.Id)).ToArray());
        session.Store(seed.Agents.Where(a => !knownAgents.Contains(a.Id)).ToArray());
        session.Store(seed.Teams.Where(t => !knownTeams.Contains(t.Id)).ToArray());
        await session.SaveChangesAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
