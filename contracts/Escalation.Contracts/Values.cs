namespace Escalation.Contracts;

/// <summary>The customer as the channel knows them.</summary>
/// <param name="Id">The customer's id in the upstream system.</param>
/// <param name="Name">Display name.</param>
/// <param name="Tier">Commercial tier.</param>
/// <param name="Language">BCP 47 language tag, e.g. <c>ja</c> or <c>en</c>.</param>
/// <param name="Email">Address for customer notifications, when known.</param>
public sealed record CustomerInfo(string Id, string? Name, CustomerTier Tier, string Language, string? Email);

/// <summary>What the bot understood of a contact.</summary>
public sealed record IntentMatch(string Name, bool Matched);

/// <summary>A sentiment score in [-1, 1] (negative is unhappy), with where it came from.</summary>
public sealed record SentimentScore(double Score, string Source);

/// <summary>An amount of money requested or mentioned (refund, discount, credit).</summary>
public sealed record MoneyAmount(decimal Amount, string Currency);

/// <summary>Entities the channel or bot extracted from a contact.</summary>
public sealed record ContactEntities(string? OrderId = null, MoneyAmount? Amount = null, string? Product = null)
{
    public static ContactEntities None { get; } = new();
}
