using Escalation.Contracts.Intake;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>Checks an inbound contact; every problem is reported against the field at fault (camelCase path).</summary>
public static class ContactValidation
{
    public const int MaxIdLength = 200;
    public const int MaxTextLength = 20_000;

    public static IReadOnlyDictionary<string, string[]> Validate(InboundContact? contact)
    {
        var errors = new Dictionary<string, string[]>();
        if (contact is null)
        {
            errors["body"] = ["A contact is required."];
            return errors;
        }

        RequireId(errors, "contactId", contact.ContactId);
        RequireId(errors, "conversationId", contact.ConversationId);
        if (!Enum.IsDefined(contact.Channel))
        {
            errors["channel"] = ["Unknown channel."];
        }

        if (!Enum.IsDefined(contact.Author))
        {
            errors["author"] = ["Unknown author."];
        }

        if (string.IsNullOrWhiteSpace(contact.Text))
        {
            errors["text"] = ["Text is required."];
        }
        else if (contact.Text.Length > MaxTextLength)
        {
            errors["text"] = [$"Text is longer than {MaxTextLength} characters."];
        }

        if (contact.OccurredAt == default)
        {
            errors["occurredAt"] = ["occurredAt is required (ISO 8601 with offset)."];
        }

        if (contact.Customer is null)
        {
            errors["customer"] = ["Customer is required."];
        }
        else
        {
            RequireId(errors, "customer.id", contact.Customer.Id);
            if (string.IsNullOrWhiteSpace(contact.Customer.Language))
            {
                errors["customer.language"] = ["Language is required (e.g. ja, en)."];
            }

            if (!Enum.IsDefined(contact.Customer.Tier))
            {
                errors["customer.tier"] = ["Unknown customer tier."];
            }
        }

        if (contact.BotConfidence is < 0 or > 1)
        {
            errors["botConfidence"] = ["botConfidence must be between 0 and 1."];
        }

        if (contact.Sentiment is { Score: < -1 or > 1 })
        {
            errors["sentiment.score"] = ["sentiment.score must be between -1 and 1."];
        }

        if (contact.Entities?.Amount is { } amount && (amount.Amount < 0 || string.IsNullOrWhiteSpace(amount.Currency)))
        {
            errors["entities.amount"] = ["An amount needs a non-negative value and a currency."];
        }

        return errors;
    }

    private static void RequireId(Dictionary<string, string[]> errors, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors[field] = [$"{field} is required."];
        }
        else if (value.Length > MaxIdLength)
        {
            errors[field] = [$"{field} is longer than {MaxIdLength} characters."];
        }
    }
}
