using System.Diagnostics;
using Escalation.Contracts.Intake;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>A validated contact waiting for a group commit, and the caller waiting for its outcome.</summary>
/// <param name="Origin">The caller's span: its trace goes on the contact's events.</param>
public sealed class PendingContact(InboundContact contact, string causationId, string? idempotencyKey, Activity? origin)
{
    public InboundContact Contact { get; } = contact;
    public string CausationId { get; } = causationId;
    public string? IdempotencyKey { get; } = idempotencyKey;
    public Activity? Origin { get; } = origin;
    public string ContactKey { get; } = ReceiveContact.ContactKey(contact);
    public string ConversationKey { get; } = ReceiveContact.ConversationKey(contact);

    /// <summary>The outcome, or null when the group did not record the contact and the caller records it alone.</summary>
    public TaskCompletionSource<ContactOutcome?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Which waiting contacts one group commit can record.</summary>
public static class ContactGroups
{
    /// <summary>
    /// The contacts that can share a commit: each the first of its contact, its conversation and its Idempotency-Key
    /// in the group, not recorded before, with a key not used before. The others (a duplicate, a second contact of the
    /// same conversation, a reused key) are left to be recorded alone after the group commits, where they see its result
    /// and are deduplicated, appended in turn or refused exactly as a lone contact would be.
    /// </summary>
    public static List<PendingContact> Together(
        IEnumerable<PendingContact> waiting, IReadOnlySet<string> recordedContactKeys, IReadOnlySet<string> usedIdempotencyKeys)
    {
        var contacts = new HashSet<string>(StringComparer.Ordinal);
        var conversations = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var together = new List<PendingContact>();
        foreach (var pending in waiting)
        {
            var firstOfItsKind = contacts.Add(pending.ContactKey)
                & conversations.Add(pending.ConversationKey)
                & (pending.IdempotencyKey is null || keys.Add(pending.IdempotencyKey));
            if (firstOfItsKind
                && !recordedContactKeys.Contains(pending.ContactKey)
                && (pending.IdempotencyKey is null || !usedIdempotencyKeys.Contains(pending.IdempotencyKey)))
            {
                together.Add(pending);
            }
        }

        return together;
    }
}
