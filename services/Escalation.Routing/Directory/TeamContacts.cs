using Escalation.Contracts.Directory;

namespace Escalation.Routing.Directory;

/// <summary>How a team is reached (a Marten document in the routing schema; the id is the team).</summary>
/// <param name="Email">The team's shared mailbox.</param>
/// <param name="Webhook">The team's chat or ticketing endpoint.</param>
/// <param name="Stakeholders">Addresses told of P1s and breaches besides the team's leads and managers.</param>
/// <param name="OnCall">Who is paged when an urgent escalation is not acknowledged.</param>
public sealed record TeamContacts(string Id, string? Email, string? Webhook, IReadOnlyList<string> Stakeholders, OnCallContact? OnCall)
{
    /// <summary>The contacts joined with the team's agents: leads and managers with an address are stakeholders.</summary>
    public static TeamRecipients Recipients(string team, TeamContacts? contacts, IReadOnlyList<AgentProfile> agents)
    {
        var reachable = agents.Where(a => a.Team == team && a.Email is not null).OrderBy(a => a.Id, StringComparer.Ordinal).ToList();
        var stakeholders = reachable.Where(a => a.Role is AgentRole.TeamLead or AgentRole.Manager)
            .Select(a => new NamedAddress(a.Id, a.Name, a.Email!))
            .Concat((contacts?.Stakeholders ?? []).Select(email => new NamedAddress(email, email, email)))
            .DistinctBy(s => s.Email, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new TeamRecipients(team, contacts?.Email, contacts?.Webhook, stakeholders, contacts?.OnCall,
            reachable.Select(a => new NamedAddress(a.Id, a.Name, a.Email!)).ToList());
    }
}
