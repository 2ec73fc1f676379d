using Escalation.Contracts.Intake;
using Escalation.ServiceDefaults;
using Marten;
using JasperFx;
using Marten.Exceptions;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>What happened to a contact: the case it belongs to, and whether it had been recorded before.</summary>
public sealed record ContactOutcome(Guid CaseId, string Reference, bool Duplicate);

/// <summary>Records a validated contact on its case stream, exactly once per (channel, contact id).</summary>
public sealed partial class ContactReceiver(IDocumentStore store, CaseReferences references, TimeProvider time, ILogger<ContactReceiver> logger)
{
    private const int MaxAttempts = 5;

    /// <exception cref="IdempotencyKeyConflictException">The key was used before for another contact.</exception>
    public async Task<ContactOutcome> ReceiveAsync(InboundContact contact, string causationId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryReceiveAsync(contact, causationId, idempotencyKey, cancellationToken);
            }
            catch (Exception exception) when (attempt < MaxAttempts && IsLostRace(exception))
            {
                // Another instance recorded the same contact, key or conversation first; the next attempt sees it.
                LogLostRace(ReceiveContact.ContactKey(contact), attempt);
            }
        }
    }

    private async Task<ContactOutcome> TryReceiveAsync(InboundContact contact, string causationId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var contactKey = ReceiveContact.ContactKey(contact);
        await using var session = store.LightweightSession();

        if (idempotencyKey is not null && await session.LoadAsync<IdempotencyRecord>(idempotencyKey, cancellationToken) is { } used)
        {
            return used.ContactKey == contactKey
                ? new ContactOutcome(used.CaseId, used.Reference, Duplicate: true)
                : throw new IdempotencyKeyConflictException(idempotencyKey);
        }

        if (await session.LoadAsync<ReceivedContact>(contactKey, cancellationToken) is { } seen)
        {
            LogDuplicate(contactKey, seen.Reference);
            return new ContactOutcome(seen.CaseId, seen.Reference, Duplicate: true);
        }

        var conversation = await session.LoadAsync<OpenConversation>(ReceiveContact.ConversationKey(contact), cancellationToken);
        var existing = conversation is null ? null : new CaseRef(conversation.CaseId, conversation.Reference);
        var newCase = existing ?? new CaseRef(Guid.CreateVersion7(time.GetUtcNow()), await references.NextAsync(cancellationToken));
        var events = ReceiveContact.Decide(existing, newCase, contact, time.GetUtcNow());

        session.StampCaseMetadata(newCase.CaseId, causationId, "service:intake");
        if (existing is null)
        {
            session.Events.StartStream(newCase.CaseId, events.Cast<object>().ToArray());
            session.Insert(new OpenConversation(ReceiveContact.ConversationKey(contact), newCase.CaseId, newCase.Reference));
        }
        else
        {
            session.Events.Append(existing.CaseId, events.Cast<object>().ToArray());
        }

        session.Insert(new ReceivedContact(contactKey, newCase.CaseId, newCase.Reference));
        if (idempotencyKey is not null)
        {
            session.Insert(new IdempotencyRecord(idempotencyKey, contactKey, newCase.CaseId, newCase.Reference));
        }

        await session.SaveChangesAsync(cancellationToken);
        LogRecorded(contactKey, newCase.Reference, newCase.CaseId, existing is null);
        return new ContactOutcome(newCase.CaseId, newCase.Reference, Duplicate: false);
    }

    private static bool IsLostRace(Exception exception) =>
        exception is DocumentAlreadyExistsException or ExistingStreamIdCollisionException
        || exception.InnerException is DocumentAlreadyExistsException;

    [LoggerMessage(Level = LogLevel.Information, Message = "Recorded contact {ContactKey} on case {Reference} ({CaseId}); new case: {Opened}")]
    private partial void LogRecorded(string contactKey, string reference, Guid caseId, bool opened);

    [LoggerMessage(Level = LogLevel.Information, Message = "Contact {ContactKey} was already recorded on case {Reference}; nothing appended")]
    private partial void LogDuplicate(string contactKey, string reference);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lost a race recording contact {ContactKey} (attempt {Attempt}); retrying")]
    private partial void LogLostRace(string contactKey, int attempt);
}

/// <summary>An Idempotency-Key was reused for a different contact.</summary>
public sealed class IdempotencyKeyConflictException(string key)
    : Exception($"Idempotency-Key '{key}' was already used for a different contact.");
