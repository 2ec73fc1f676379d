using Escalation.Access;
using Escalation.Contracts.Intake;
using Escalation.ServiceDefaults;
using Escalation.ServiceDefaults.Access;
using Microsoft.AspNetCore.Mvc;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>Accepted: the case the contact was recorded on.</summary>
/// <param name="CaseId">Case (stream) id.</param>
/// <param name="Reference">Reference number to give the customer.</param>
/// <param name="Duplicate">True when this contact (or Idempotency-Key) had been recorded before; nothing was appended.</param>
public sealed record ContactAccepted(Guid CaseId, string Reference, bool Duplicate);

/// <summary>Up to <see cref="ContactLimits.MaxBatchSize"/> contacts; each conversation's are recorded in the batch's order.</summary>
public sealed record ContactBatch(IReadOnlyList<InboundContact?>? Contacts);

/// <summary>Accepted: one result per contact, in the order sent.</summary>
public sealed record ContactBatchAccepted(IReadOnlyList<ContactAccepted> Results);

public static class ContactEndpoints
{
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>Room for a contact at its longest text, escaped: a larger body is refused with 413 before it is read.</summary>
    public const long MaxContactBodyBytes = 256 * 1024;

    public const long MaxBatchBodyBytes = 4 * 1024 * 1024;

    public static IEndpointRouteBuilder MapReceiveContact(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/contacts", ReceiveAsync)
            .WithName("ReceiveContact").RequireAuthorization(Scopes.ContactsSubmit)
            .WithSummary("Record one contact (a message of a conversation) from a channel.")
            .WithDescription("Validates the contact, opens a case for a new conversation or appends to its open case. " +
                "Idempotent per (channel, contactId) and per Idempotency-Key: a repeat returns the same case with duplicate=true. " +
                "Needs an API key with scope contacts:submit; a channel's key only submits contacts of its channel (403), and each " +
                "key is limited in contacts per second (429 with Retry-After). Bodies over 256 KiB are refused (413).")
            .Accepts<InboundContact>("application/json")
            .WithMetadata(new RequestSizeLimitAttribute(MaxContactBodyBytes))
            .Produces<ContactAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesAccessProblems()
            .ProducesProblem(StatusCodes.Status409Conflict);

        app.MapPost("/api/contacts:batch", ReceiveBatchAsync)
            .WithName("ReceiveContactBatch").RequireAuthorization(Scopes.ContactsSubmit)
            .WithSummary($"Record up to {ContactLimits.MaxBatchSize} contacts in one request; each conversation's in the batch's order.")
            .WithDescription("All or nothing on validation: if any contact is invalid, the response names each field at fault " +
                "(contacts[i].field) and nothing is recorded. Each contact is deduplicated as in POST /api/contacts; an " +
                "Idempotency-Key identifies the whole batch. Each contact counts against the key's contacts per second; bodies over 4 MiB are refused (413).")
            .Accepts<ContactBatch>("application/json")
            .WithMetadata(new RequestSizeLimitAttribute(MaxBatchBodyBytes))
            .Produces<ContactBatchAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesAccessProblems()
            .ProducesProblem(StatusCodes.Status409Conflict);

        var schema = InboundContactSchema.Generate();
        app.MapGet("/api/contacts/schema", () => Results.Text(schema, "application/schema+json"))
            .WithName("GetInboundContactSchema")
            .WithSummary("The JSON Schema of InboundContact, with its documented limits.")
            .Produces<string>(StatusCodes.Status200OK, "application/schema+json");
        return app;
    }

    private static async Task<IResult> ReceiveAsync(
        HttpRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        ContactReceiver receiver,
        ContactAdmission admission,
        TimeProvider time,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        if (admission.TryAdmit(http.User, contacts: 1, http.Response) is { } tooMany)
        {
            return tooMany;
        }

        var (contact, errors) = await JsonBody.ReadAsync<InboundContact>(request, cancellationToken);
        if (errors.Count == 0)
        {
            errors = new Dictionary<string, string[]>(ContactValidation.Validate(contact, time.GetUtcNow()));
        }

        CheckIdempotencyKey(errors, idempotencyKey);

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (ContactAdmission.ChannelViolations(http.User, [contact!], fieldPrefix: "") is { Count: > 0 } wrongChannel)
        {
            return WrongChannel(wrongChannel);
        }

        try
        {
            var outcome = await receiver.ReceiveAsync(contact!, $"http:{http.TraceIdentifier}", idempotencyKey, cancellationToken);
            return TypedResults.Accepted((string?)null, new ContactAccepted(outcome.CaseId, outcome.Reference, outcome.Duplicate));
        }
        catch (IdempotencyKeyConflictException conflict)
        {
            return KeyReused(conflict);
        }
    }

    private static void CheckIdempotencyKey(Dictionary<string, string[]> errors, string? idempotencyKey)
    {
        if (idempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            errors["Idempotency-Key"] = [$"Idempotency-Key must be 1 to {MaxIdempotencyKeyLength} characters."];
        }
    }

    private static IResult WrongChannel(Dictionary<string, string[]> violations) =>
        TypedResults.Problem("This API key is bound to another channel.", statusCode: StatusCodes.Status403Forbidden,
            title: "Wrong channel for this API key", extensions: new Dictionary<string, object?> { ["errors"] = violations });

    private static IResult KeyReused(IdempotencyKeyConflictException conflict) =>
        TypedResults.Problem(conflict.Message, statusCode: StatusCodes.Status409Conflict, title: "Idempotency-Key reused");

    private static async Task<IResult> ReceiveBatchAsync(
        HttpRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        ContactReceiver receiver,
        ContactAdmission admission,
        TimeProvider time,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var (batch, errors) = await JsonBody.ReadAsync<ContactBatch>(request, cancellationToken);
        var contacts = batch?.Contacts;
        if (errors.Count == 0)
        {
            if (contacts is null or { Count: 0 })
            {
                errors["contacts"] = ["At least one contact is required."];
            }
            else if (contacts.Count > ContactLimits.MaxBatchSize)
            {
                errors["contacts"] = [$"At most {ContactLimits.MaxBatchSize} contacts per batch; got {contacts.Count}."];
            }
            else
            {
                var now = time.GetUtcNow();
                for (var i = 0; i < contacts.Count; i++)
                {
                    foreach (var (field, messages) in ContactValidation.Validate(contacts[i], now, $"contacts[{i}]."))
                    {
                        errors[field] = messages;
                    }
                }
            }
        }

        CheckIdempotencyKey(errors, idempotencyKey);

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (ContactAdmission.ChannelViolations(http.User, contacts!.Select(c => c!).ToList(), fieldPrefix: "contacts") is { Count: > 0 } wrongChannel)
        {
            return WrongChannel(wrongChannel);
        }

        if (admission.TryAdmit(http.User, contacts!.Count, http.Response) is { } tooMany)
        {
            return tooMany;
        }

        try
        {
            if (idempotencyKey is not null)
            {
                await receiver.ClaimBatchKeyAsync(idempotencyKey, contacts!.Select(c => ReceiveContact.ContactKey(c!)).ToList(), cancellationToken);
            }

            // Each conversation's contacts one after another, in the batch's order; the conversations at once, so that
            // they can share group commits.
            var results = new ContactAccepted[contacts!.Count];
            await Task.WhenAll(contacts.Select((contact, index) => (Contact: contact!, Index: index))
                .GroupBy(item => ReceiveContact.ConversationKey(item.Contact), StringComparer.Ordinal)
                .Select(async conversation =>
                {
                    foreach (var (contact, index) in conversation)
                    {
                        var outcome = await receiver.ReceiveAsync(contact, $"http:{http.TraceIdentifier}", idempotencyKey: null, cancellationToken);
                        results[index] = new ContactAccepted(outcome.CaseId, outcome.Reference, outcome.Duplicate);
                    }
                }));

            return TypedResults.Accepted((string?)null, new ContactBatchAccepted(results));
        }
        catch (IdempotencyKeyConflictException conflict)
        {
            return KeyReused(conflict);
        }
    }
}
