using System.Text.Json;
using Escalation.Contracts.Intake;
using Escalation.ServiceDefaults;
using Microsoft.AspNetCore.Mvc;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>Accepted: the case the contact was recorded on.</summary>
/// <param name="CaseId">Case (stream) id.</param>
/// <param name="Reference">Reference number to give the customer.</param>
/// <param name="Duplicate">True when this contact (or Idempotency-Key) had been recorded before; nothing was appended.</param>
public sealed record ContactAccepted(Guid CaseId, string Reference, bool Duplicate);

public static class ContactEndpoints
{
    public const int MaxIdempotencyKeyLength = 200;

    public static IEndpointRouteBuilder MapReceiveContact(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/contacts", ReceiveAsync)
            .WithName("ReceiveContact")
            .WithSummary("Record one contact (a message of a conversation) from a channel.")
            .WithDescription("Validates the contact, opens a case for a new conversation or appends to its open case. " +
                "Idempotent per (channel, contactId) and per Idempotency-Key: a repeat returns the same case with duplicate=true.")
            .Accepts<InboundContact>("application/json")
            .Produces<ContactAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<IResult> ReceiveAsync(
        HttpRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        ContactReceiver receiver,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var (contact, errors) = await ReadContactAsync(request, cancellationToken);
        if (idempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            errors["Idempotency-Key"] = [$"Idempotency-Key must be 1 to {MaxIdempotencyKeyLength} characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        try
        {
            var outcome = await receiver.ReceiveAsync(contact!, $"http:{http.TraceIdentifier}", idempotencyKey, cancellationToken);
            return TypedResults.Accepted((string?)null, new ContactAccepted(outcome.CaseId, outcome.Reference, outcome.Duplicate));
        }
        catch (IdempotencyKeyConflictException conflict)
        {
            return TypedResults.Problem(conflict.Message, statusCode: StatusCodes.Status409Conflict, title: "Idempotency-Key reused");
        }
    }

    /// <summary>Reads the body itself so that malformed JSON is reported against the field at fault.</summary>
    private static async Task<(InboundContact? Contact, Dictionary<string, string[]> Errors)> ReadContactAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return (null, new() { ["body"] = ["Content-Type must be application/json."] });
        }

        try
        {
            var contact = await JsonSerializer.DeserializeAsync<InboundContact>(request.Body, ContractJson.Options, cancellationToken);
            return (contact, new Dictionary<string, string[]>(ContactValidation.Validate(contact)));
        }
        catch (JsonException malformed)
        {
            var field = string.IsNullOrEmpty(malformed.Path) || malformed.Path == "$" ? "body" : malformed.Path.TrimStart('$', '.');
            return (null, new() { [field] = [$"Malformed JSON or wrong type: {malformed.Message}"] });
        }
    }
}
