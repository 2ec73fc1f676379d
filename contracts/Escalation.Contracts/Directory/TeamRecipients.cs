namespace Escalation.Contracts.Directory;

/// <summary>A person notification can write to.</summary>
/// <param name="Id">Agent id, or the address itself for a stakeholder who is not an agent.</param>
public sealed record NamedAddress(string Id, string Name, string Email);

/// <summary>How the team on call for incidents is paged.</summary>
/// <param name="Email">Pager or rota mailbox.</param>
/// <param name="Webhook">A paging endpoint (PagerDuty, Opsgenie, a chat-ops bot) that takes signed JSON.</param>
public sealed record OnCallContact(string? Email, string? Webhook);

/// <summary>
/// Everyone notification may tell about a team's escalations, as routing's directory knows them
/// (<c>GET /api/routing/teams/{team}/recipients</c>).
/// </summary>
/// <param name="Email">The team's shared mailbox.</param>
/// <param name="Webhook">The team's chat or ticketing endpoint, posted signed JSON.</param>
/// <param name="Stakeholders">Team leads and managers with an address, then the team's extra stakeholder addresses.</param>
/// <param name="OnCall">The on-call contact, if the team has one.</param>
/// <param name="Agents">Every agent of the team with an address.</param>
public sealed record TeamRecipients(
    string Team,
    string? Email,
    string? Webhook,
    IReadOnlyList<NamedAddress> Stakeholders,
    OnCallContact? OnCall,
    IReadOnlyList<NamedAddress> Agents);
