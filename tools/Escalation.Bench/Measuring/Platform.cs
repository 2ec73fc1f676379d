using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace Escalation.Bench.Measuring;

/// <summary>
/// The running platform seen from outside: whether it has settled (every queue empty, every subscription caught up,
/// nothing new on the event store) so that one phase's backlog does not count against the next.
/// </summary>
public sealed class Platform(EventStore store, Uri rabbitManagement) : IDisposable
{
    private readonly HttpClient _management = ManagementClient(rabbitManagement);

    /// <summary>
    /// Messages waiting or unacknowledged in the queues a service consumes. Error and skipped queues, and queues
    /// nobody consumes (left behind by a renamed consumer), never drain and do not count.
    /// </summary>
    public async Task<long> QueuedMessagesAsync(CancellationToken cancellationToken)
    {
        var queues = await _management.GetFromJsonAsync<List<QueueDepth>>("api/queues?columns=name,messages,consumers", cancellationToken) ?? [];
        return queues.Where(q => q.Consumers > 0 && !q.Name.StartsWith("bench.", StringComparison.Ordinal)).Sum(q => q.Messages ?? 0);
    }

    /// <summary>
    /// Waits until the queues are empty, the relay and History's projections have caught up, and no event was appended,
    /// for two consecutive looks half a second apart.
    /// </summary>
    public async Task WaitUntilSettledAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        long lastPosition = -1;
        var quietLooks = 0;
        while (DateTime.UtcNow - started < timeout)
        {
            var position = await store.HighestPositionAsync(cancellationToken);
            var queued = await QueuedMessagesAsync(cancellationToken);
            var caughtUp = await store.SlowestSubscriptionPositionAsync(cancellationToken) >= position;
            quietLooks = queued == 0 && caughtUp && position == lastPosition ? quietLooks + 1 : 0;
            if (quietLooks >= 2) return;
            lastPosition = position;
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        throw new TimeoutException($"The platform did not settle within {timeout.TotalSeconds:0} s (queues, subscriptions or the event store still moving).");
    }

    private static HttpClient ManagementClient(Uri uri)
    {
        var client = new HttpClient { BaseAddress = new Uri(uri.GetLeftPart(UriPartial.Authority) + "/") };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));
        }

        return client;
    }

    public void Dispose() => _management.Dispose();

    private sealed record QueueDepth(string Name, long? Messages, int Consumers);
}
