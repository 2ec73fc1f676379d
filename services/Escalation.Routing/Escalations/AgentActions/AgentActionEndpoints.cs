using Escalation.Access;
using Escalation.Routing.Escalations.OfferQueued;
using Escalation.Routing.Matrix;
using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.Routing.Escalations.AgentActions;

/// <summary>Where an escalation stands after an action.</summary>
public sealed record EscalationView(Guid EscalationId, Guid CaseId, string Team, string? Agent, string Status, string Priority, DateTimeOffset? AcknowledgeBy, int ChainLevel)
{
    public static EscalationView Of(Assignment a) =>
        new(a.Id, a.CaseId, a.Team, a.Agent, a.Status.ToString(), a.Priority.ToString(), a.AcknowledgeBy, a.ChainLevel);
}

public static class AgentActionEndpoints
{
    public static IEndpointRouteBuilder MapAgentActions(this IEndpointRouteBuilder app)
    {
        var escalations = app.MapGroup("/api/escalations/{escalationId:guid}").WithTags("Agent actions");

        escalations.MapGet("", async (Guid escalationId, IQuerySession session, CancellationToken ct) =>
                await session.LoadAsync<Assignment>(escalationId, ct) is { } a
                    ? Results.Ok(EscalationView.Of(a))
                    : Results.Problem($"No escalation {escalationId}.", statusCode: StatusCodes.Status404NotFound, title: "No such escalation"))
            .WithName("GetEscalation").RequireAuthorization(Scopes.CasesRead).WithSummary("Who holds the escalation, its status and acknowledgement deadline.")
            .Produces<EscalationView>().ProducesProblem(StatusCodes.Status404NotFound);

        Map<AcknowledgeRequest>(escalations, "/acknowledge", "AcknowledgeEscalation",
            "Acknowledge the escalation offered to you, or claim it from a team queue (appends EscalationAcknowledged).",
            b => Require(("agent", b.Agent)), (c, b, _) => AgentActions.Acknowledge(c, b), b => b.Agent);
        Map<DeclineRequest>(escalations, "/decline", "DeclineEscalation",
            "Decline the escalation offered to you; it moves to the next level of the chain at once (EscalationDeclined, EscalationRerouted).",
            b => Require(("agent", b.Agent), ("reason", b.Reason)), (c, b, _) => AgentActions.Decline(c, b), b => b.Agent);
        Map<RespondRequest>(escalations, "/responses", "RespondToCustomer",
            "Record your response to the customer (AgentResponded); the first one also acknowledges.",
            b => Require(("agent", b.Agent), ("text", b.Text)), (c, b, _) => AgentActions.Respond(c, b), b => b.Agent);
        Map<TransferRequest>(escalations, "/transfer", "TransferEscalation",
            "Hand the escalation to another team (functional): its best eligible agent, or its queue (EscalationRerouted or EscalationQueued).",
            b => Require(("agent", b.Agent), ("team", b.Team), ("reason", b.Reason)), (c, b, _) => AgentActions.Transfer(c, b), b => b.Agent,
            b => [b.Team]);
        Map<EscalateRequest>(escalations, "/escalate", "EscalateToSuperior",
            "Ask for the next tier up (hierarchical): appends a new EscalationRequested, which supersedes yours once routed.",
            b => Require(("agent", b.Agent), ("reason", b.Reason)), (c, b, _) => AgentActions.Escalate(c, b), b => b.Agent);
        Map<ResolveRequest>(escalations, "/resolve", "ResolveEscalatedCase",
            "Resolve the case you own (CaseResolved); your capacity goes back to the team's queue.",
            b => Require(("agent", b.Agent), ("resolution", b.Resolution)), (c, b, _) => AgentActions.Resolve(c, b), b => b.Agent);
        Map<PeerConsultRequest>(escalations, "/peer-consults", "RequestPeerConsult",
            "Ask a peer for advice while keeping the escalation (PeerConsultRequested).",
            b => Require(("agent", b.Agent), ("peer", b.Peer), ("question", b.Question)), (c, b, _) => AgentActions.RequestPeerConsult(c, b), b => b.Agent);
        Map<PeerAnswerRequest>(escalations, "/peer-consults/{consultId:guid}/answer", "AnswerPeerConsult",
            "The peer answers a consult (PeerConsultAnswered); ownership does not change.",
            b => Require(("peer", b.Peer), ("answer", b.Answer)),
            (c, b, http) => AgentActions.AnswerPeerConsult(c, Guid.Parse((string)http.Request.RouteValues["consultId"]!), b), b => b.Peer);
        return app;
    }

    private static Dictionary<string, string[]> Require(params (string Field, string? Value)[] fields) =>
        fields.Where(f => string.IsNullOrWhiteSpace(f.Value)).ToDictionary(f => f.Field, f => new[] { $"{f.Field} is required." });

    private static void Map<TBody>(RouteGroupBuilder group, string path, string name, string summary, Func<TBody, Dictionary<string, string[]>> validate,
        Func<ActionContext, TBody, HttpContext, ActionDecision> decide, Func<TBody, string> actor, Func<TBody, IEnumerable<string>>? extraTeams = null)
        where TBody : class
    {
        group.MapPost(path, async (Guid escalationId, HttpContext http, IDocumentStore store, RoutingSettings settings, QueueDispatcher queues,
                TimeProvider time, CancellationToken ct) =>
            {
                var (body, errors) = await JsonBody.ReadValidAsync<TBody>(http.Request, validate, ct);
                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors);
                }

                await using var session = store.LightweightSession();
                if (await session.LoadAsync<Assignment>(escalationId, ct) is not { } found)
                {
                    return Results.Problem($"No escalation {escalationId}.", statusCode: StatusCodes.Status404NotFound, title: "No such escalation");
                }

                var teams = found.Teams.Concat(extraTeams?.Invoke(body!) ?? []).ToList();
                await session.LockTeamsAsync(teams, ct);
                var assignment = (await session.LoadAsync<Assignment>(escalationId, ct))!;
                var stream = await session.Events.FetchForExclusiveWriting<RoutingCase>(assignment.CaseId, ct);
                var rosters = await session.TeamsAsync(teams.Concat(assignment.Teams), ct);
                var now = time.GetUtcNow();
                var context = new ActionContext(assignment, stream.Aggregate!, rosters, await session.AcknowledgeWithinAsync(settings, assignment, ct),
                    settings.MaxChainLoops, now);
                var decision = decide(context, body!, http);
                if (decision.Refusal is not null)
                {
                    return Results.Problem(decision.Refusal, statusCode: StatusCodes.Status409Conflict, title: "Not allowed in the escalation's state");
                }

                if (decision.Events.Count > 0)
                {
                    stream.AppendMany(decision.Events.Cast<object>().ToArray());
                    session.Record(decision.Assignment, rosters, now, assignment.Agent);
                    session.StampCaseMetadata(assignment.CaseId, $"http:{http.TraceIdentifier}", $"agent:{actor(body!)}", settings.Version);
                    await session.SaveChangesAsync(ct);
                    queues.Offer(decision.FreedTeams);
                }

                return Results.Ok(EscalationView.Of(decision.Assignment));
            })
            .Accepts<TBody>("application/json")
            .WithName(name).RequireAuthorization(Scopes.CasesWrite)
            .WithSummary(summary)
            .Produces<EscalationView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }
}
