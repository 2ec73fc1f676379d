using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Intake;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>The case a conversation belongs to, as far as intake needs to know.</summary>
public sealed record CaseRef(Guid CaseId, string Reference);

/// <summary>Turns an inbound contact into case events.</summary>
public static class ReceiveContact
{
    public const string DefaultCategory = "general";
    private const int SubjectLength = 80;

    /// <param name="existing">The conversation's open case, or null when a new case (<paramref name="newCase"/>) is opened.</param>
    public static IReadOnlyList<ICaseEvent> Decide(CaseRef? existing, CaseRef newCase, InboundContact contact, DateTimeOffset now)
    {
        var caseId = existing?.CaseId ?? newCase.CaseId;
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

        if (existing is not null)
        {
            return [received];
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

    public static string ConversationKey(InboundContact contact) => $"{contact.Channel}:{contact.ConversationId}";

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

/// <summary>The open case of a conversation (id = channel + conversation id).</summary>
public sealed record OpenConversation(string Id, Guid CaseId, string Reference);

/// <summary>An HTTP Idempotency-Key and the contact it was first used for.</summary>
public sealed record IdempotencyRecord(string Id, string ContactKey, Guid CaseId, string Reference);
