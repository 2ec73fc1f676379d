namespace Escalation.Bench.Measuring;

/// <summary>
/// Cases notified since a position, of any run: a cheap upper bound of a run's completed escalations, polled before
/// the timeline query. Each poll reads only the positions that appeared since the poll before last, so its cost does
/// not grow with the run (a full count over a 40,000-contact run took 205 ms of the database's time every 2 s, taken
/// from the platform it measures). Reading every range in two polls keeps an event whose transaction drew its position
/// before a poll and committed after it.
/// </summary>
public sealed class NotifiedCases(EventStore store, long from)
{
    private readonly HashSet<Guid> _cases = [];
    private long _headBeforeLast = from;
    private long _lastHead = from;

    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        var head = await store.HighestPositionAsync(cancellationToken);
        _cases.UnionWith(await store.CasesNotifiedAsync(_headBeforeLast, head, cancellationToken));
        (_headBeforeLast, _lastHead) = (_lastHead, head);
        return _cases.Count;
    }
}
