using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Escalation.Contracts.Intake;
using Escalation.Intake.Cases;
using Escalation.ServiceDefaults;
using JasperFx.Events;
using Marten;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>What happened to a contact: the case it belongs to, whether it had been recorded before, whether it opened the case.</summary>
public sealed record ContactOutcome(Guid CaseId, string Reference, bool Duplicate, bool OpenedCase = false);

/// <summary>
/// Records a validated contact on its case stream, exactly once per (channel, contact id): in a group commit when it
/// can (<see cref="ContactGroupCommit"/>), otherwise alone.
/// </summary>
public sealed partial class ContactReceiver(
    IDocumentStore store, CaseViews<IntakeCase> views, ContactGroupCommit groupCommit, CaseReferences references, IntakeOptions options,
    TimeProvider time, ILogger<ContactReceiver> logger)
{
    private const int MaxAttempts = 5;

    /// <exception cref="IdempotencyKeyConflictException">The key was used before for another contact.</exception>
    public async Task<ContactOutcome> ReceiveAsync(InboundContact contact, string causationId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await groupCommit.RecordAsync(contact, causationId, idempotencyKey, cancellationToken) is { } grouped)
        {
            // Logged here rather than by the group, so that the line carries this contact's trace and scope.
            LogRecorded(ReceiveContact.ContactKey(contact), grouped.Reference, grouped.CaseId, grouped.OpenedCase);
            TagSpan(contact, grouped);
            return grouped;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var outcome = await TryReceiveAsync(contact, causationId, idempotencyKey, cancellationToken);
                TagSpan(contact, outcome);
                return outcome;
            }
            catch (Exception exception) when (attempt < MaxAttempts && (WriteConflicts.IsWriteConflict(exception) || exception is ConversationMovedException))
            {
                // Another instance recorded the same contact, key or conversation first; the next attempt sees it.
                LogLostRace(ReceiveContact.ContactKey(contact), attempt);
            }
        }
    }

    /// <summary>The request's or message's span names the case, so a contact can be found in Jaeger by reference.</summary>
    private static void TagSpan(InboundContact contact, ContactOutcome outcome)
    {
        if (Activity.Current is not { IsAllDataRequested: true } activity)
        {
            return;
        }

        activity.SetTag(CaseTelemetry.CaseId, outcome.CaseId.ToString());
        activity.SetTag(CaseTelemetry.Reference, outcome.Reference);
        activity.SetTag(CaseTelemetry.Channel, contact.Channel.ToString());
        activity.SetTag(ContactIdTag, contact.ContactId);
        activity.SetTag(DuplicateTag, outcome.Duplicate);
    }

    private const string ContactIdTag = "escalation.contact_id";
    private const string DuplicateTag = "escalation.contact.duplicate";

    private async Task<ContactOutcome> TryReceiveAsync(InboundContact contact, string causationId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var contactKey = ReceiveContact.ContactKey(contact);
        var conversationKey = ReceiveContact.ConversationKey(contact);
        await using var session = store.LightweightSession();

        // What intake knows of this contact, its key and its conversation: one round trip.
        var lookups = session.CreateBatchQuery();
        var usedKey = idempotencyKey is null ? Task.FromResult<IdempotencyRecord?>(null) : lookups.Load<IdempotencyRecord>(idempotencyKey);
        var seenContact = lookups.Load<ReceivedContact>(contactKey);
        var knownConversation = lookups.Load<ConversationCase>(conversationKey);
        await lookups.Execute(cancellationToken);

        if (await usedKey is { } used)
        {
            return used.ContactKey == contactKey
                ? new ContactOutcome(used.CaseId, used.Reference, Duplicate: true)
                : throw new IdempotencyKeyConflictException(idempotencyKey!);
        }

        if (await seenContact is { } seen)
        {
            return await DuplicateAsync(session, seen, idempotencyKey, cancellationToken);
        }

        var now = time.GetUtcNow();
        var conversation = await knownConversation;
        IntakeCase? current = null;
        if (conversation is not null)
        {
            // Serialises contacts of one case: they land in lock order, and a reopen decision sees the latest state.
            await session.LockStreamsAsync([conversation.CaseId], cancellationToken);
            current = await views.ReadAsync(session, conversation.CaseId, cancellationToken);
            if ((await session.LoadAsync<ConversationCase>(conversationKey, cancellationToken))?.CaseId != conversation.CaseId)
            {
                throw new ConversationMovedException(conversationKey);
            }

            // A copy of this contact may have landed while this one waited for the lock: no failed append, no gap.
            if (await session.LoadAsync<ReceivedContact>(contactKey, cancellationToken) is { } landed)
            {
                return await DuplicateAsync(session, landed, idempotencyKey, cancellationToken);
            }
        }

        var opensCase = ReceiveContact.NeedsNewCase(current, options.ReopenWindow, now);
        var target = opensCase
            ? new CaseRef(Guid.CreateVersion7(now), await references.NextAsync(cancellationToken))
            : new CaseRef(current!.Id, current.Reference);
        var events = ReceiveContact.Decide(opensCase ? null : current, target, contact, now).Cast<object>().ToArray();

        session.StampCaseMetadata(target.CaseId, causationId, IntakeSetup.Actor);
        if (opensCase)
        {
            session.Events.StartStream(target.CaseId, events);
        }
        else
        {
            session.Events.Append(target.CaseId, events);
        }

        session.StageContactRecords(contactKey, conversationKey, idempotencyKey, target, opensCase, conversationKnown: conversation is not null);
        await session.SaveChangesAsync(cancellationToken);
        LogRecorded(contactKey, target.Reference, target.CaseId, opensCase);
        return new ContactOutcome(target.CaseId, target.Reference, Duplicate: false);
    }

    /// <summary>
    /// The contact was recorded before. A new Idempotency-Key sent with it is remembered all the same, so that the
    /// key cannot later be reused for a different contact.
    /// </summary>
    private async Task<ContactOutcome> DuplicateAsync(IDocumentSession session, ReceivedContact seen, string? idempotencyKey, CancellationToken cancellationToken)
    {
        LogDuplicate(seen.Id, seen.Reference);
        if (idempotencyKey is not null)
        {
            session.Insert(new IdempotencyRecord(idempotencyKey, seen.Id, seen.CaseId, seen.Reference));
            await session.SaveChangesAsync(cancellationToken);
        }

        return new ContactOutcome(seen.CaseId, seen.Reference, Duplicate: true);
    }

    /// <summary>
    /// Records that <paramref name="key"/> names this batch (by its contacts' keys). A repeat of the same batch may
    /// proceed (every contact dedupes); the key reused for another batch is a conflict.
    /// </summary>
    /// <exception cref="IdempotencyKeyConflictException">The key was used before for something else.</exception>
    public async Task ClaimBatchKeyAsync(string key, IReadOnlyList<string> contactKeys, CancellationToken cancellationToken)
    {
        var fingerprint = "batch:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', contactKeys))));
        await using var session = store.LightweightSession();
        if (await session.LoadAsync<IdempotencyRecord>(key, cancellationToken) is { } used)
        {
            if (used.ContactKey != fingerprint) throw new IdempotencyKeyConflictException(key);
            return;
        }

        session.Insert(new IdempotencyRecord(key, fingerprint, Guid.Empty, ""));
        try
        {
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (Exception exception) when (WriteConflicts.IsWriteConflict(exception))
        {
            await ClaimBatchKeyAsync(key, contactKeys, cancellationToken);
        }
    }


    [LoggerMessage(Level = LogLevel.Information, Message = "Recorded contact {ContactKey} on case {Reference} ({CaseId}); new case: {Opened}")]
    private partial void LogRecorded(string contactKey, string reference, Guid caseId, bool opened);

    [LoggerMessage(Level = LogLevel.Information, Message = "Contact {ContactKey} was already recorded on case {Reference}; nothing appended")]
    private partial void LogDuplicate(string contactKey, string reference);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lost a race recording contact {ContactKey} (attempt {Attempt}); retrying")]
    private partial void LogLostRace(string contactKey, int attempt);
}

/// <summary>The documents that record a contact beside its events, written the same way alone or in a group commit.</summary>
internal static class ContactRecords
{
    /// <summary>
    /// The dedupe key, the Idempotency-Key when one was sent, and, when the contact opens a case, the conversation's
    /// move to it: inserted for a new conversation (a racing insert fails the commit, which is then retried), updated
    /// under the old case's lock.
    /// </summary>
    public static void StageContactRecords(this IDocumentSession session, string contactKey, string conversationKey, string? idempotencyKey,
        CaseRef target, bool opensCase, bool conversationKnown)
    {
        if (opensCase)
        {
            var conversation = new ConversationCase(conversationKey, target.CaseId, target.Reference);
            if (conversationKnown) session.Update(conversation);
            else session.Insert(conversation);
        }

        session.Insert(new ReceivedContact(contactKey, target.CaseId, target.Reference));
        if (idempotencyKey is not null)
        {
            session.Insert(new IdempotencyRecord(idempotencyKey, contactKey, target.CaseId, target.Reference));
        }
    }
}

/// <summary>Another contact moved the conversation to a new case while this one waited for the old case's lock.</summary>
public sealed class ConversationMovedException(string conversationKey)
    : Exception($"Conversation {conversationKey} moved to a new case; deciding again.");

/// <summary>An Idempotency-Key was reused for a different contact.</summary>
public sealed class IdempotencyKeyConflictException(string key)
    : Exception($"Idempotency-Key '{key}' was already used for a different contact.");
