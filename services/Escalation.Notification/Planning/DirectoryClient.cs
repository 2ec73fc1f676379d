using System.Net.Http.Json;
using Escalation.Contracts.Directory;
using Escalation.ServiceDefaults;

namespace Escalation.Notification.Planning;

/// <summary>Reads who to tell about a team's escalations from routing's directory (<c>GET /api/routing/teams/{team}/recipients</c>).</summary>
public sealed class DirectoryClient(HttpClient http)
{
    public async Task<TeamRecipients> RecipientsAsync(string team, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<TeamRecipients>($"api/routing/teams/{Uri.EscapeDataString(team)}/recipients", ContractJson.Options, cancellationToken)
        ?? throw new InvalidOperationException($"The directory answered nothing for team {team}.");
}
