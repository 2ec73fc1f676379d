namespace Escalation.Access;

/// <summary>
/// One issued key. <paramref name="Channel"/> binds a channel's key to the contacts of that channel;
/// <paramref name="ContactsPerSecond"/> overrides the service's default per-key rate limit.
/// </summary>
public sealed record ApiKey(
    string KeyId,
    string Client,
    IReadOnlyList<string> Scopes,
    string? Channel,
    int? ContactsPerSecond,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    byte[] SecretHash)
{
    public bool IsActiveAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || now < ExpiresAt);

    public bool Allows(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);
}

/// <summary>What <c>issue</c> and <c>rotate</c> return: the key's record and its token, which is never shown again.</summary>
public sealed record IssuedApiKey(ApiKey Key, string Token);
