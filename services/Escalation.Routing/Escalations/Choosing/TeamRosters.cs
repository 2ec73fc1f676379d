using Escalation.Routing.Directory;

namespace Escalation.Routing.Escalations.Choosing;

/// <summary>
/// Teams' agents with their loads as one routing pass changes them: a later choice in the pass sees the load an earlier
/// one added or freed, and the round robin sees who was just given work.
/// </summary>
public sealed class TeamRosters
{
    private readonly Dictionary<string, List<Candidate>> _teams;

    public TeamRosters(IReadOnlyDictionary<string, IReadOnlyList<Candidate>> teams) =>
        _teams = teams.ToDictionary(team => team.Key, team => team.Value.ToList(), StringComparer.Ordinal);

    /// <summary>The team's agents now (none for a team that was not read).</summary>
    public IReadOnlyList<Candidate> this[string team] => _teams.TryGetValue(team, out var members) ? members : [];

    /// <summary>The agent took one more escalation now; returns their profile as it is to be stored.</summary>
    public AgentProfile Assign(AgentProfile agent, DateTimeOffset now)
    {
        var assigned = agent with { LastAssignedAt = now };
        Change(agent.Id, candidate => new Candidate(assigned, candidate.Load + 1));
        return assigned;
    }

    /// <summary>The agent let go of one escalation.</summary>
    public void Free(string agentId) => Change(agentId, candidate => candidate with { Load = Math.Max(0, candidate.Load - 1) });

    private void Change(string agentId, Func<Candidate, Candidate> change)
    {
        foreach (var members in _teams.Values)
        {
            var index = members.FindIndex(candidate => candidate.Agent.Id == agentId);
            if (index >= 0)
            {
                members[index] = change(members[index]);
            }
        }
    }
}
