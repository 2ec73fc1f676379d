using Escalation.Access;
using Escalation.Contracts;
using Escalation.Contracts.Intake;
using Escalation.ServiceDefaults;

namespace Escalation.Intake.Cases.ManageLifecycle;

/// <summary>A troubleshooting step tried on the case.</summary>
/// <param name="AttemptId">Your id of this attempt (idempotency key).</param>
public sealed record ResolutionAttemptRequest(string AttemptId, string Step, AttemptOutcome Outcome, string? By, DateTimeOffset AttemptedAt);

/// <summary>Resolve the case.</summary>
/// <param name="CommandId">Your id of this command (idempotency key).</param>
public sealed record ResolveRequest(string CommandId, string Resolution, string? ResolvedBy);

/// <summary>The customer confirmed the resolution.</summary>
/// <param name="CommandId">Your id of this command (idempotency key).</param>
public sealed record CloseRequest(string CommandId, string? ConfirmedBy);

/// <summary>Accepted; <paramref name="Duplicate"/> when this command id was processed before (nothing appended).</summary>
public sealed record CommandAccepted(Guid CaseId, bool Duplicate);

public static class LifecycleEndpoints
{
    public static IEndpointRouteBuilder MapCaseLifecycle(this IEndpointRouteBuilder app)
    {
        var cases = app.MapGroup("/api/cases/{caseId:guid}").WithTags("Case lifecycle");

        MapCommand<ResolutionAttemptRequest, RecordResolutionAttempt>(cases, "/resolution-attempts", "RecordResolutionAttempt",
            "Record a troubleshooting step and its outcome (appends ResolutionAttempted).",
            (caseId, body) => new(caseId, body.AttemptId, body.Step, body.Outcome, body.By, body.AttemptedAt),
            CaseLifecycle.Validate, command => $"attempt:{command.AttemptId}", CaseLifecycle.Decide);

        MapCommand<ResolveRequest, ResolveCase>(cases, "/resolve", "ResolveCase",
            "Resolve an open case (appends CaseResolved); 409 when it is not open.",
            (caseId, body) => new(caseId, body.CommandId, body.Resolution, body.ResolvedBy),
            (command, _) => CaseLifecycle.Validate(command), command => $"resolve:{command.CommandId}", CaseLifecycle.Decide);

        MapCommand<CloseRequest, CloseCase>(cases, "/close", "CloseCase",
            "The customer confirmed the resolution (appends CaseClosed); 409 unless the case is resolved.",
            (caseId, body) => new(caseId, body.CommandId, body.ConfirmedBy),
            (command, _) => CaseLifecycle.Validate(command), command => $"close:{command.CommandId}", CaseLifecycle.Decide);
        return app;
    }

    private static void MapCommand<TRequest, TCommand>(RouteGroupBuilder cases, string path, string name, string summary,
        Func<Guid, TRequest, TCommand> toCommand, Func<TCommand, DateTimeOffset, IReadOnlyDictionary<string, string[]>> validate,
        Func<TCommand, string> commandKey, Func<IntakeCase, TCommand, DateTimeOffset, LifecycleDecision> decide) where TRequest : class
    {
        cases.MapPost(path, (Guid caseId, HttpRequest request, CaseCommandHandler handler, TimeProvider time, CancellationToken ct) =>
                HandleAsync<TRequest>(request, caseId, handler, time,
                    (body, now) => validate(toCommand(caseId, body), now),
                    body => commandKey(toCommand(caseId, body)),
                    body => (state, now) => decide(state, toCommand(caseId, body), now), ct))
            .Accepts<TRequest>("application/json")
            .WithName(name).RequireAuthorization(Scopes.CasesWrite)
            .WithSummary(summary)
            .Produces<CommandAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> HandleAsync<TRequest>(HttpRequest request, Guid caseId, CaseCommandHandler handler, TimeProvider time,
        Func<TRequest, DateTimeOffset, IReadOnlyDictionary<string, string[]>> validate, Func<TRequest, string> commandKey,
        Func<TRequest, Func<IntakeCase, DateTimeOffset, LifecycleDecision>> decide, CancellationToken cancellationToken) where TRequest : class
    {
        var (body, errors) = await JsonBody.ReadValidAsync<TRequest>(request, b => validate(b, time.GetUtcNow()), cancellationToken);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var outcome = await handler.HandleAsync(caseId, commandKey(body!), $"http:{request.HttpContext.TraceIdentifier}", decide(body!), cancellationToken);
        return outcome.Result switch
        {
            CommandResult.NotFound => TypedResults.Problem(outcome.Reason, statusCode: StatusCodes.Status404NotFound, title: "No such case"),
            CommandResult.Conflict => TypedResults.Problem(outcome.Reason, statusCode: StatusCodes.Status409Conflict, title: "Not allowed in the case's state"),
            _ => TypedResults.Accepted((string?)null, new CommandAccepted(caseId, outcome.Result == CommandResult.Duplicate)),
        };
    }
}
