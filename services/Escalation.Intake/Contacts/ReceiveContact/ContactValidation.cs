using System.Diagnostics;
using Escalation.ServiceDefaults;
using System.Text.RegularExpressions;
using Escalation.Contracts;
using Escalation.Contracts.Intake;
using static Escalation.Contracts.Intake.ContactLimits;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>
/// Checks an inbound contact against <see cref="ContactLimits"/>; every problem is reported against the field at
/// fault, as a camelCase path (<c>customer.language</c>, <c>entities.amount.currency</c>), prefixed for batches.
/// </summary>
public static partial class ContactValidation
{
    public static IReadOnlyDictionary<string, string[]> Validate(InboundContact? contact, DateTimeOffset now, string prefix = "")
    {
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string message) => errors[prefix + field] = [message];

        if (contact is null)
        {
            Fail(prefix.Length == 0 ? "body" : prefix.TrimEnd('.'), "A contact is required.");
            return errors;
        }

        Id(Fail, "contactId", contact.ContactId);
        Id(Fail, "conversationId", contact.ConversationId);
        if (!Known(contact.Channel)) Fail("channel", $"channel is required: one of {Names<Channel>()}.");
        if (!Known(contact.Author)) Fail("author", $"author is required: one of {Names<AuthorKind>()}.");

        if (string.IsNullOrWhiteSpace(contact.Text)) Fail("text", "Text is required.");
        else if (contact.Text.Length > MaxTextLength) Fail("text", $"Text is longer than {MaxTextLength} characters.");

        if (contact.OccurredAt == default) Fail("occurredAt", "occurredAt is required (ISO 8601 with offset).");
        else if (contact.OccurredAt > now + MaxClockSkew) Fail("occurredAt", $"occurredAt is more than {MaxClockSkew.TotalMinutes} minutes in the future.");
        else if (contact.OccurredAt < EarliestOccurredAt) Fail("occurredAt", $"occurredAt is before {EarliestOccurredAt:yyyy-MM-dd}.");

        if (contact.Customer is null)
        {
            Fail("customer", "Customer is required.");
        }
        else
        {
            Id(Fail, "customer.id", contact.Customer.Id);
            Optional(Fail, "customer.name", contact.Customer.Name, MaxNameLength);
            if (!Known(contact.Customer.Tier)) Fail("customer.tier", $"customer.tier is required: one of {Names<CustomerTier>()}.");
            if (string.IsNullOrWhiteSpace(contact.Customer.Language)) Fail("customer.language", "Language is required (e.g. ja, en).");
            else if (!LanguageTag().IsMatch(contact.Customer.Language)) Fail("customer.language", "Language must be a language tag such as ja, en or pt-BR.");
            if (contact.Customer.Email is { } email && !Addresses.IsPlainEmail(email))
            {
                Fail("customer.email", "Not a valid email address.");
            }
        }

        Optional(Fail, "subject", contact.Subject, MaxSubjectLength);
        if (contact.Category is not null && (contact.Category.Length > MaxCategoryLength || !CategoryName().IsMatch(contact.Category)))
        {
            Fail("category", $"Category must be 1 to {MaxCategoryLength} letters, digits, '.', '_' or '-'.");
        }

        if (contact.BotConfidence is < 0 or > 1) Fail("botConfidence", "botConfidence must be between 0 and 1.");

        if (contact.Intent is { } intent) Id(Fail, "intent.name", intent.Name);

        if (contact.Sentiment is { } sentiment)
        {
            if (sentiment.Score is < -1 or > 1) Fail("sentiment.score", "sentiment.score must be between -1 and 1.");
            Id(Fail, "sentiment.source", sentiment.Source, MaxSourceLength);
        }

        if (contact.Entities is { } entities)
        {
            Optional(Fail, "entities.orderId", entities.OrderId, MaxIdLength);
            Optional(Fail, "entities.product", entities.Product, MaxNameLength);
            if (entities.Amount is { } amount)
            {
                if (amount.Amount is < 0 or > MaxAmount) Fail("entities.amount.amount", $"Amount must be between 0 and {MaxAmount:0}.");
                if (amount.Currency is null || !CurrencyCode().IsMatch(amount.Currency)) Fail("entities.amount.currency", "Currency must be an ISO 4217 code such as JPY or USD.");
            }
        }

        if (contact.TraceParent is { } traceParent && !ActivityContext.TryParse(traceParent, null, out _))
        {
            Fail("traceParent", "traceParent must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>).");
        }

        return errors;
    }

    /// <summary>A defined value other than Unspecified (what a missing field reads as).</summary>
    public static bool Known<T>(T value) where T : struct, Enum => Enum.IsDefined(value) && Convert.ToInt32(value) != 0;

    public static string Names<T>() where T : struct, Enum => string.Join(", ", Enum.GetNames<T>().Skip(1));

    private static void Id(Action<string, string> fail, string field, string? value, int maxLength = MaxIdLength)
    {
        if (string.IsNullOrWhiteSpace(value)) fail(field, $"{field} is required.");
        else if (value.Length > maxLength) fail(field, $"{field} is longer than {maxLength} characters.");
        else if (value.Any(char.IsControl)) fail(field, $"{field} contains control characters.");
    }

    private static void Optional(Action<string, string> fail, string field, string? value, int maxLength)
    {
        if (value is not null && value.Length > maxLength) fail(field, $"{field} is longer than {maxLength} characters.");
    }

    [GeneratedRegex(LanguagePatternBody + @"\z")]
    private static partial Regex LanguageTag();

    [GeneratedRegex(CurrencyPatternBody + @"\z")]
    private static partial Regex CurrencyCode();

    [GeneratedRegex(CategoryPatternBody + @"\z")]
    private static partial Regex CategoryName();
}
