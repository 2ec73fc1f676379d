namespace Escalation.Contracts.Intake;

/// <summary>
/// The documented limits of <see cref="InboundContact"/>. Intake rejects a contact outside them, and the JSON Schema
/// (inbound-contact.schema.json) states them, so publishers can check before sending.
/// </summary>
public static class ContactLimits
{
    public const int MaxIdLength = 200;
    public const int MaxNameLength = 200;
    public const int MaxSubjectLength = 500;
    public const int MaxCategoryLength = 100;
    public const int MaxTextLength = 20_000;
    public const int MaxEmailLength = 254;
    public const int MaxSourceLength = 100;
    public const decimal MaxAmount = 1_000_000_000m;

    /// <summary>How far in the future <see cref="InboundContact.OccurredAt"/> may be (clock skew between systems).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Contacts older than this are not plausible.</summary>
    public static readonly DateTimeOffset EarliestOccurredAt = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Most contacts in one <c>POST /api/contacts:batch</c>.</summary>
    public const int MaxBatchSize = 100;

    // Patterns as the JSON Schema (ECMA-262) reads them; .NET's $ also matches before a final newline, so intake
    // anchors the same bodies with \z.
    public const string LanguagePatternBody = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*";
    public const string CurrencyPatternBody = "^[A-Z]{3}";
    public const string CategoryPatternBody = "^[A-Za-z0-9][A-Za-z0-9._-]*";
    public const string LanguagePattern = LanguagePatternBody + "$";
    public const string CurrencyPattern = CurrencyPatternBody + "$";
    public const string CategoryPattern = CategoryPatternBody + "$";
}
