using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Intake;
using Escalation.Intake.Cases;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>The case a conversation belongs to, as far as intake needs to know.</summary>
public sealed record CaseRef(Guid CaseId, string Reference);

/// <summary>Turns an inbound contact into case events.</summary>
public static class ReceiveContact
{
    public const string DefaultCategory = "general";
    private const int SubjectLength = 80;

    /// <summary>
    /// A contact opens a new case when its conversation has none, or when the conversation's case ended (resolved or
    /// closed) longer ago than the reopen window.
    /// </summary>
    public static bool NeedsNewCase(IntakeCase? current, TimeSpan reopenWindow, DateTimeOffset now) =>
        current is null || current.EndedAt is { } endedAt && now - endedAt > reopenWindow;

    /// <param name="current">The conversation's case, or null when a new case (<paramref name="newCase"/>) is opened.</param>
    public static IReadOnlyList<ICaseEvent> Decide(IntakeCase? current, CaseRef newCase, InboundContact contact, DateTimeOffset now)
    {
        var caseId = current?.Id ?? newCase.CaseId;
        var received = new ContactReceived(
            caseId,
            contact.ContactId,
            contact.Channel,
            contact.Author,
            contact.Text,
            contact.Customer.Language,
            contact.BotConfidence,
            contact.Intent,
            contact.Sentiment,
            contact.Entities ?? ContactEntities.None,
            contact.OccurredAt,
            now);

        if (current is not null)
        {
            // A customer writing again on an ended case within the window reopens it; other authors just add a turn.
            return current.Status != CaseStatus.Open && contact.Author == AuthorKind.Customer
                ? [new CaseReopened(caseId, contact.ContactId, $"The customer wrote again after the case was {current.Status.ToString().ToLowerInvariant()}.", now), received]
                : [received];
        }

        var opened = new TicketOpened(
            caseId,
            newCase.Reference,
            contact.Channel,
            contact.ConversationId,
            contact.Customer,
            Subject(contact),
            string.IsNullOrWhiteSpace(contact.Category) ? DefaultCategory : contact.Category.Trim().ToLowerInvariant(),
            contact.ContactId,
            now);
        return [opened, received];
    }

    public static string ContactKey(InboundContact contact) => $"{contact.Channel}:{contact.ContactId}";

    /// <summary>A conversation is the channel's conversation with one customer.</summary>
    /// <remarks>Length-prefixed, since ids may contain ':': ("a:b", "c") and ("a", "b:c") must not meet.</remarks>
    public static string ConversationKey(InboundContact contact) =>
        $"{contact.Channel}:{contact.ConversationId.Length}:{contact.ConversationId}:{contact.Customer.Id}";

    private static string Subject(InboundContact contact)
    {
        if (!string.IsNullOrWhiteSpace(contact.Subject))
        {
            return contact.Subject.Trim();
        }

        var text = contact.Text.Trim().ReplaceLineEndings(" ");
        return text.Length <= SubjectLength ? text : text[..SubjectLength] + "…";
    }
}

/// <summary>Marks a contact as recorded (id = channel + contact id): the dedupe key.</summary>
public sealed record ReceivedContact(string Id, Guid CaseId, string Reference);

/// <summary>The current case of a conversation (id = channel + conversation id + customer id).</summary>
public sealed record ConversationCase(string Id, Guid CaseId, string Reference);

/// <summary>An HTTP Idempotency-Key and the contact it was first used for.</summary>
public sealed record IdempotencyRecord(string Id, string ContactKey, Guid CaseId, string Reference);
