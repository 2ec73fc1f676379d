using Escalation.Contracts;
using Escalation.Routing.Directory;
using Escalation.Routing.Escalations.Choosing;
using Escalation.Routing.Matrix;
using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.Routing.Escalations;

/// <summary>Reads shared by routing's slices; call them after <see cref="LockTeamsAsync"/> so loads cannot change underneath.</summary>
public static class RoutingData
{
    /// <summary>Serialises every change to the named teams' assignments (and so their agents' loads) until the transaction ends.</summary>
    public static Task LockTeamsAsync(this IDocumentSession session, IEnumerable<string> teams, CancellationToken cancellation) =>
        session.LockAsync(teams.Select(Assignment.LockKey), cancellation);

    /// <summary>Each team's agents with their current load.</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<Candidate>>> TeamsAsync(this IQuerySession session,
        IEnumerable<string> teams, CancellationToken cancellation)
    {
        var names = teams.Distinct(StringComparer.Ordinal).ToArray();
        var agents = await session.Query<AgentProfile>().Where(a => a.Team.IsOneOf(names)).ToListAsync(cancellation);
        var loads = await session.LoadsAsync(agents.Select(a => a.Id).ToArray(), cancellation);
        return names.ToDictionary(name => name, name => (IReadOnlyList<Candidate>)agents.Where(a => a.Team == name)
            .Select(a => new Candidate(a, loads.GetValueOrDefault(a.Id))).ToList());
    }

    /// <summary>Open escalations (offered or acknowledged) per agent; agents holding none are absent.</summary>
    /// <remarks>
    /// Counted by the database: routing holds its team lock while it reads them, and loading every open assignment as
    /// a document to count it would make that hold grow with a staffed team's backlog of unacknowledged offers.
    /// </remarks>
    public static async Task<IReadOnlyDictionary<string, int>> LoadsAsync(this IQuerySession session, string[] agentIds, CancellationToken cancellation)
    {
        var open = await session.QueryAsync<Dictionary<string, int>>(
            $$"""
            SELECT coalesce(jsonb_object_agg(agent, assignments), '{}') FROM (
                SELECT data ->> 'agent' AS agent, count(*) AS assignments FROM {{RoutingSetup.Schema}}.mt_doc_assignment
                WHERE data ->> 'agent' = ANY(?) AND status IN ('{{AssignmentStatus.Offered}}', '{{AssignmentStatus.Acknowledged}}')
                GROUP BY 1) AS loads
            """, cancellation, (object)agentIds); // one text[] parameter, not one per agent (params object[])
        return open.Single();
    }

    /// <summary>The matrix cell of each (category, tier), in one read; a category without a cell gets the tier's default team.</summary>
    public static async Task<List<MatrixCell>> CellsAsync(this IQuerySession session, RoutingSettings settings,
        IReadOnlyList<(string Category, Tier Tier)> wanted, CancellationToken cancellation)
    {
        var stored = (await session.LoadManyAsync<MatrixCell>(cancellation, wanted.Select(w => MatrixCell.IdFor(w.Category, w.Tier)).Distinct()))
            .ToDictionary(cell => cell.Id);
        return wanted.Select(w => stored.GetValueOrDefault(MatrixCell.IdFor(w.Category, w.Tier)) ?? settings.DefaultCell(w.Category, w.Tier)).ToList();
    }

    /// <summary>How long the owner has to acknowledge: the matrix cell's override, else the priority's default.</summary>
    public static async Task<TimeSpan> AcknowledgeWithinAsync(this IQuerySession session, RoutingSettings settings, Assignment assignment,
        CancellationToken cancellation)
    {
        var cell = await session.LoadAsync<MatrixCell>(MatrixCell.IdFor(assignment.Capability, assignment.Tier), cancellation);
        return cell?.AcknowledgeWithin ?? settings.AcknowledgeWithin[assignment.Priority];
    }

    /// <summary>Stores the assignment and, when it went to someone new, remembers when they last got work (round robin among equals).</summary>
    public static void Record(this IDocumentSession session, Assignment assignment, IReadOnlyDictionary<string, IReadOnlyList<Candidate>> teams,
        DateTimeOffset now, string? previousAgent)
    {
        session.Store(assignment);
        if (assignment.Agent is not null && assignment.Agent != previousAgent && teams.Values.SelectMany(t => t).FirstOrDefault(c => c.Agent.Id == assignment.Agent) is { } candidate)
        {
            session.Store(candidate.Agent with { LastAssignedAt = now });
        }
    }
}
