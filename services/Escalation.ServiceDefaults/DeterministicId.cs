using System.Security.Cryptography;
using System.Text;

namespace Escalation.ServiceDefaults;

/// <summary>
/// A Guid derived from a name (the first 16 bytes of its SHA-256): the same decision, replayed or redelivered,
/// names the same clock or notification, which is what makes it a dedupe key.
/// </summary>
public static class DeterministicId
{
    public static Guid From(string name) => new(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16));
}
