using Escalation.Contracts;
using Marten;

namespace Escalation.ServiceDefaults;

public static class CaseDecisions
{
    /// <summary>
    /// Reads the case as <typeparamref name="TView"/> (Marten's FetchForWriting: live aggregation plus an optimistic
    /// concurrency check), runs the pure <paramref name="decide"/> and appends what it returns, stamped with the case's
    /// metadata. A concurrent append makes SaveChanges throw; the bus's retry runs the decision again on fresh state.
    /// </summary>
    /// <returns>The events appended (none when the decision was to do nothing).</returns>
    public static async Task<IReadOnlyList<ICaseEvent>> DecideAsync<TView>(this IDocumentStore store, Guid caseId,
        string causationId, string actor, Func<TView?, IReadOnlyList<ICaseEvent>> decide, CancellationToken cancellationToken,
        string? rulesVersion = null) where TView : class
    {
        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchForWriting<TView>(caseId, cancellationToken);
        var events = decide(stream.Aggregate);
        if (events.Count == 0)
        {
            return events;
        }

        stream.AppendMany(events.Cast<object>().ToArray());
        session.StampCaseMetadata(caseId, causationId, actor, rulesVersion);
        await session.SaveChangesAsync(cancellationToken);
        return events;
    }
}
