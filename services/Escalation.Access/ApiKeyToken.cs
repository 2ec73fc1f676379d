using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Escalation.Access;

/// <summary>
/// An API key as its holder sees it: <c>esc_{keyId}.{secret}</c>. The key id is public (logs, listings, revocation);
/// the secret is 256 random bits shown once at issue. Only the secret's SHA-256 is stored: a slow password hash buys
/// nothing against guessing 256 random bits, and a fast one keeps every request's check cheap.
/// </summary>
public static class ApiKeyToken
{
    public const string Prefix = "esc_";
    private const int KeyIdBytes = 8;
    private const int SecretBytes = 32;

    public static (string KeyId, string Token, byte[] SecretHash) Generate()
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(KeyIdBytes));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(SecretBytes));
        return (keyId, $"{Prefix}{keyId}.{secret}", Hash(secret));
    }

    public static bool TryParse(string? token, [NotNullWhen(true)] out string? keyId, [NotNullWhen(true)] out string? secret)
    {
        keyId = secret = null;
        if (token is null || !token.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var dot = token.IndexOf('.', Prefix.Length);
        if (dot < 0) return false;

        var id = token[Prefix.Length..dot];
        var rest = token[(dot + 1)..];
        if (id.Length != 2 * KeyIdBytes || !id.All(char.IsAsciiHexDigitLower) || rest.Length == 0 || rest.Length > 64) return false;

        keyId = id;
        secret = rest;
        return true;
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Compares in constant time, so the time taken says nothing about how much of a guess was right.</summary>
    public static bool Matches(string secret, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(secret), storedHash);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
