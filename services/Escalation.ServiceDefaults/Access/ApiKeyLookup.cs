using System.Collections.Concurrent;
using Escalation.Access;

namespace Escalation.ServiceDefaults.Access;

/// <summary>
/// The key table read through a short cache, so a request costs a database round trip only once per key per
/// <see cref="AccessOptions.CacheFor"/>. Unknown key ids are not cached: guessing them cannot fill memory.
/// </summary>
public sealed class ApiKeyLookup(ApiKeyStore store, AccessOptions options, TimeProvider time)
{
    private const int MaxCachedKeys = 10_000;
    private readonly ConcurrentDictionary<string, (ApiKey Key, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    public async Task<ApiKey?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(keyId, out var cached) && now < cached.Until)
        {
            return cached.Key;
        }

        var key = await store.FindAsync(keyId, cancellationToken);
        if (key is null)
        {
            _cache.TryRemove(keyId, out _);
            return null;
        }

        if (_cache.Count >= MaxCachedKeys)
        {
            _cache.Clear();
        }

        _cache[keyId] = (key, now + options.CacheFor);
        return key;
    }
}
