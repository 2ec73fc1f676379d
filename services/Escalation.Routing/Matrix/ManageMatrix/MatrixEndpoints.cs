using Escalation.Access;
using Escalation.Contracts;
using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.Routing.Matrix.ManageMatrix;

/// <summary>A cell of the escalation matrix: the team for a category (or required capability) at a tier.</summary>
/// <param name="AcknowledgeWithin">Overrides the priority's acknowledgement deadline for this cell (e.g. an on-call team's 2 minutes).</param>
public sealed record MatrixCellRequest(string Team, string? OverflowTeam, TimeSpan? AcknowledgeWithin);

public static class MatrixEndpoints
{
    public static IEndpointRouteBuilder MapEscalationMatrix(this IEndpointRouteBuilder app)
    {
        var matrix = app.MapGroup("/api/routing/matrix").WithTags("Escalation matrix");

        matrix.MapPut("/{category}/{tier}", async (string category, string tier, HttpRequest request, IDocumentStore store, CancellationToken ct) =>
            {
                var (body, errors) = await JsonBody.ReadAsync<MatrixCellRequest>(request, ct);
                var parsed = Enum.TryParse<Tier>(tier, ignoreCase: false, out var parsedTier);
                if (!parsed || !tier.StartsWith('L') || parsedTier == Tier.L0)
                {
                    errors["tier"] = ["tier must be L1, L2 or L3."];
                }

                if (body is not null && string.IsNullOrWhiteSpace(body.Team)) errors["team"] = ["team is required."];
                if (body?.AcknowledgeWithin is { } within && within <= TimeSpan.Zero) errors["acknowledgeWithin"] = ["acknowledgeWithin must be positive."];
                if (body is null && errors.Count == 0) errors["body"] = ["A body is required."];
                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors);
                }

                var cell = new MatrixCell(MatrixCell.IdFor(category, parsedTier), category, parsedTier, body!.Team, body.OverflowTeam, body.AcknowledgeWithin);
                await using var session = store.LightweightSession();
                session.Store(cell);
                await session.SaveChangesAsync(ct);
                return Results.Ok(cell);
            })
            .Accepts<MatrixCellRequest>("application/json")
            .WithName("PutMatrixCell").RequireAuthorization(Scopes.PlatformAdmin).WithSummary("Set the team (and overflow team, acknowledgement deadline) for a category at a tier.")
            .Produces<MatrixCell>().ProducesValidationProblem();

        matrix.MapGet("", async (IQuerySession session, CancellationToken ct) =>
                Results.Ok(await session.Query<MatrixCell>().OrderBy(c => c.Id).ToListAsync(ct)))
            .WithName("GetMatrix").RequireAuthorization(Scopes.CasesRead).WithSummary("Every cell of the escalation matrix (categories without a cell go to the tier's default team).")
            .Produces<IReadOnlyList<MatrixCell>>();
        return app;
    }
}
