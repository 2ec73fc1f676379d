using Escalation.Access;
using Escalation.Contracts.Directory;
using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.Routing.Directory.ManageTeams;

/// <summary>A team's contacts as an admin sends them.</summary>
/// <param name="Email">The team's shared mailbox.</param>
/// <param name="Webhook">An http(s) endpoint that takes the team's signed notifications.</param>
/// <param name="Stakeholders">Extra addresses told of P1s and breaches (leads and managers with an address are told anyway).</param>
/// <param name="OnCall">Who is paged when a P1/P2 escalation is not acknowledged in time.</param>
public sealed record TeamContactsRequest(string? Email, string? Webhook, IReadOnlyList<string>? Stakeholders, OnCallContact? OnCall);

public static class TeamContactEndpoints
{
    public static IEndpointRouteBuilder MapTeamContacts(this IEndpointRouteBuilder app)
    {
        var teams = app.MapGroup("/api/routing/teams").WithTags("Team contacts");

        teams.MapPut("/{team}/contacts", async (string team, HttpRequest request, IDocumentStore store, CancellationToken ct) =>
            {
                var (body, errors) = await JsonBody.ReadValidAsync<TeamContactsRequest>(request, b => Validate(team, b), ct);
                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors);
                }

                await using var session = store.LightweightSession();
                var existed = await session.LoadAsync<TeamContacts>(team, ct) is not null;
                var contacts = new TeamContacts(team, body!.Email, body.Webhook, body.Stakeholders ?? [], body.OnCall);
                session.Store(contacts);
                await session.SaveChangesAsync(ct);
                return existed ? Results.Ok(contacts) : Results.Created($"/api/routing/teams/{team}/contacts", contacts);
            })
            .Accepts<TeamContactsRequest>("application/json")
            .WithName("PutTeamContacts").RequireAuthorization(Scopes.PlatformAdmin).WithSummary("Create or replace how a team is reached: mailbox, webhook, extra stakeholders, on-call.")
            .Produces<TeamContacts>(StatusCodes.Status201Created).Produces<TeamContacts>().ProducesValidationProblem();

        teams.MapGet("/{team}/contacts", async (string team, IQuerySession session, CancellationToken ct) =>
                await session.LoadAsync<TeamContacts>(team, ct) is { } contacts
                    ? Results.Ok(contacts)
                    : Results.Problem($"Team {team} has no contacts.", statusCode: StatusCodes.Status404NotFound, title: "No such team contacts"))
            .WithName("GetTeamContacts").RequireAuthorization(Scopes.CasesRead).WithSummary("The contacts stored for a team.")
            .Produces<TeamContacts>().ProducesProblem(StatusCodes.Status404NotFound);

        teams.MapGet("/{team}/recipients", async (string team, IQuerySession session, CancellationToken ct) =>
            {
                var contacts = await session.LoadAsync<TeamContacts>(team, ct);
                var agents = await session.Query<AgentProfile>().Where(a => a.Team == team).ToListAsync(ct);
                return Results.Ok(TeamContacts.Recipients(team, contacts, agents));
            })
            .WithName("GetTeamRecipients").RequireAuthorization(Scopes.CasesRead)
            .WithSummary("Everyone notification may tell about the team's escalations: mailbox, webhook, stakeholders (leads, managers, extra addresses), on-call and agents with an address. A team nobody configured has empty lists.")
            .Produces<TeamRecipients>();
        return app;
    }

    public static Dictionary<string, string[]> Validate(string team, TeamContactsRequest body)
    {
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string message) => errors[field] = [message];
        const string emailRule = "must be a plain address such as team@example.com";
        const string webhookRule = "must be an absolute http(s) URL without credentials";

        if (string.IsNullOrWhiteSpace(team) || team.Length > 100) Fail("team", "The team id must be 1 to 100 characters.");
        if (body.Email is { } email && !Addresses.IsPlainEmail(email)) Fail("email", $"email {emailRule}.");
        if (body.Webhook is { } webhook && !Addresses.IsWebhookUrl(webhook)) Fail("webhook", $"webhook {webhookRule}.");
        var stakeholders = body.Stakeholders ?? [];
        if (stakeholders.Count > 50) Fail("stakeholders", "At most 50 stakeholder addresses.");
        for (var i = 0; i < stakeholders.Count; i++)
        {
            if (stakeholders[i] is not { } address || !Addresses.IsPlainEmail(address)) Fail($"stakeholders[{i}]", $"Each stakeholder {emailRule}.");
        }

        if (body.OnCall is { } onCall)
        {
            if (onCall.Email is null && onCall.Webhook is null) Fail("onCall", "onCall needs an email or a webhook (omit it for none).");
            if (onCall.Email is { } pager && !Addresses.IsPlainEmail(pager)) Fail("onCall.email", $"onCall.email {emailRule}.");
            if (onCall.Webhook is { } hook && !Addresses.IsWebhookUrl(hook)) Fail("onCall.webhook", $"onCall.webhook {webhookRule}.");
        }

        return errors;
    }
}
