using Escalation.Access;
using Escalation.Contracts;
using Escalation.Routing.Escalations;
using Escalation.Routing.Escalations.OfferQueued;
using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.Routing.Directory.ManageAgents;

/// <summary>An agent's profile as an admin or a workforce tool sends it.</summary>
/// <param name="Available">The agent's own switch; defaults to available.</param>
/// <param name="Email">The agent's work address for notifications (optional).</param>
public sealed record AgentRequest(string Name, string Team, Tier Tier, AgentRole Role, IReadOnlyList<string> Skills, IReadOnlyList<string> Languages,
    Shift? Shift, int MaxConcurrent, bool? Available, AgentPerformance? Performance, string? Email = null);

/// <summary>Turn the agent's availability on or off.</summary>
public sealed record AvailabilityRequest(bool Available);

/// <summary>An agent with their current load (open escalations).</summary>
public sealed record AgentView(AgentProfile Profile, int Load);

public static class AgentEndpoints
{
    public static IEndpointRouteBuilder MapAgentDirectory(this IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("/api/routing/agents").WithTags("Agent directory");

        agents.MapPut("/{agentId}", async (string agentId, HttpRequest request, IDocumentStore store, QueueDispatcher queues, CancellationToken ct) =>
            {
                var (body, errors) = await JsonBody.ReadValidAsync<AgentRequest>(request, b => Validate(agentId, b), ct);
                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors);
                }

                await using var session = store.LightweightSession();
                var existing = await session.LoadAsync<AgentProfile>(agentId, ct);
                await session.LockTeamsAsync(new[] { body!.Team, existing?.Team }.OfType<string>(), ct);
                existing = await session.LoadAsync<AgentProfile>(agentId, ct);
                var profile = new AgentProfile(agentId, body.Name, body.Team, body.Tier, body.Role, body.Skills, body.Languages, body.Shift, body.MaxConcurrent,
                    body.Available ?? true, body.Performance, existing?.LastAssignedAt, body.Email);
                session.Store(profile);
                await session.SaveChangesAsync(ct);
                queues.Offer([profile.Team]); // new capacity may take queued escalations
                return existing is null ? Results.Created($"/api/routing/agents/{agentId}", profile) : Results.Ok(profile);
            })
            .Accepts<AgentRequest>("application/json")
            .WithName("PutAgent").RequireAuthorization(Scopes.PlatformAdmin).WithSummary("Create or replace an agent's profile: team, tier, role, skills, languages, shift, capacity, performance.")
            .Produces<AgentProfile>(StatusCodes.Status201Created).Produces<AgentProfile>().ProducesValidationProblem();

        agents.MapPut("/{agentId}/availability", async (string agentId, HttpRequest request, IDocumentStore store, QueueDispatcher queues, CancellationToken ct) =>
            {
                var (body, errors) = await JsonBody.ReadValidAsync<AvailabilityRequest>(request, _ => NoErrors, ct);
                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors);
                }

                await using var session = store.LightweightSession();
                if (await session.LoadAsync<AgentProfile>(agentId, ct) is not { } agent)
                {
                    return Results.Problem($"No agent {agentId}.", statusCode: StatusCodes.Status404NotFound, title: "No such agent");
                }

                await session.LockTeamsAsync([agent.Team], ct);
                agent = (await session.LoadAsync<AgentProfile>(agentId, ct))! with { Available = body!.Available };
                session.Store(agent);
                await session.SaveChangesAsync(ct);
                queues.Offer([agent.Team]);
                return Results.Ok(agent);
            })
            .Accepts<AvailabilityRequest>("application/json")
            .WithName("PutAgentAvailability").RequireAuthorization(Scopes.CasesWrite).WithSummary("Turn an agent's availability on or off; turning it on offers the team's queue again.")
            .Produces<AgentProfile>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        agents.MapGet("/{agentId}", async (string agentId, IQuerySession session, CancellationToken ct) =>
                await session.LoadAsync<AgentProfile>(agentId, ct) is { } agent
                    ? Results.Ok((await ViewsAsync(session, [agent], ct))[0])
                    : Results.Problem($"No agent {agentId}.", statusCode: StatusCodes.Status404NotFound, title: "No such agent"))
            .WithName("GetAgent").RequireAuthorization(Scopes.CasesRead).WithSummary("An agent's profile and current load.")
            .Produces<AgentView>().ProducesProblem(StatusCodes.Status404NotFound);

        agents.MapGet("", async (string? team, IQuerySession session, CancellationToken ct) =>
            {
                var query = session.Query<AgentProfile>().AsQueryable();
                if (team is not null)
                {
                    query = query.Where(a => a.Team == team);
                }

                return Results.Ok(await ViewsAsync(session, await query.OrderBy(a => a.Id).Take(1000).ToListAsync(ct), ct));
            })
            .WithName("ListAgents").RequireAuthorization(Scopes.CasesRead).WithSummary("Agents (optionally of one team) with their current loads.")
            .Produces<IReadOnlyList<AgentView>>();
        return app;
    }

    private static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();

    public static Dictionary<string, string[]> Validate(string agentId, AgentRequest body)
    {
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string message) => errors[field] = [message];

        if (string.IsNullOrWhiteSpace(agentId) || agentId.Length > 100) Fail("agentId", "The agent id must be 1 to 100 characters.");
        if (string.IsNullOrWhiteSpace(body.Name)) Fail("name", "name is required.");
        if (string.IsNullOrWhiteSpace(body.Team)) Fail("team", "team is required.");
        if (body.MaxConcurrent is < 1 or > 100) Fail("maxConcurrent", "maxConcurrent must be between 1 and 100.");
        if (body.Languages is null || body.Languages.Count == 0 || body.Languages.Any(string.IsNullOrWhiteSpace)) Fail("languages", "At least one language tag is required.");
        if (body.Skills is null || body.Skills.Any(string.IsNullOrWhiteSpace)) Fail("skills", "skills must be a list of non-empty names.");
        if (body.Email is { } email && !Addresses.IsPlainEmail(email)) Fail("email", "email must be a plain address such as aiko.tanaka@example.com.");
        if (body.Shift is { } shift)
        {
            if (!Shift.IsKnownZone(shift.TimeZone)) Fail("shift.timeZone", $"'{shift.TimeZone}' is not an IANA time zone (e.g. Asia/Tokyo).");
            for (var i = 0; i < (shift.Periods?.Count ?? 0); i++)
            {
                if (shift.Periods![i].Days is not { Count: > 0 }) Fail($"shift.periods[{i}].days", "At least one day is required.");
                if (shift.Periods[i].Start == shift.Periods[i].End) Fail($"shift.periods[{i}].end", "A period cannot start and end at the same time.");
            }

            if (shift.Periods is not { Count: > 0 }) Fail("shift.periods", "A shift needs at least one period (omit the shift for always on).");
        }

        if (body.Performance is { } performance)
        {
            if (performance.ResolutionRateByCategory.Any(r => r.Value is < 0 or > 1)) Fail("performance.resolutionRateByCategory", "Rates must be in [0, 1].");
            if (performance.Csat is < 1 or > 5) Fail("performance.csat", "CSAT must be in [1, 5].");
        }

        return errors;
    }

    private static async Task<IReadOnlyList<AgentView>> ViewsAsync(IQuerySession session, IReadOnlyList<AgentProfile> agents, CancellationToken ct)
    {
        var loads = await session.LoadsAsync(agents.Select(a => a.Id).ToArray(), ct);
        return agents.Select(a => new AgentView(a, loads.GetValueOrDefault(a.Id))).ToList();
    }
}
