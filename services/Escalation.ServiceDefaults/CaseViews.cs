using Escalation.Contracts.Cases;
using JasperFx.Events;
using JasperFx.Events.Aggregation;
using Marten;
using Marten.Services.BatchQuerying;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Escalation.ServiceDefaults;

/// <summary>Which case views a service keeps in memory between reads (section <c>CaseViews</c>).</summary>
public sealed record CaseViewOptions
{
    /// <summary>A case whose stream is shorter than this is read whole every time (a few rows) and not kept.</summary>
    public int KeepFromEvents { get; init; } = 32;

    /// <summary>
    /// The kept views of one view type stand for at most this many events; the least recently read go first. A rough
    /// bound on memory: a triage view holds each contact, about a kilobyte an event.
    /// </summary>
    public int MaxKeptEvents { get; init; } = 20_000;

    /// <summary>A kept view not read for this long is dropped.</summary>
    public TimeSpan KeepFor { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The <c>CaseViews</c> section, validated (defaults when it is absent).</summary>
    public static CaseViewOptions From(IConfiguration configuration) =>
        (configuration.GetSection("CaseViews").Get<CaseViewOptions>() ?? new CaseViewOptions()).Validated();

    public CaseViewOptions Validated() =>
        KeepFromEvents < 1 ? throw new InvalidOperationException($"CaseViews:KeepFromEvents must be 1 or more, not {KeepFromEvents}.")
        : MaxKeptEvents < 0 ? throw new InvalidOperationException($"CaseViews:MaxKeptEvents must not be negative, not {MaxKeptEvents}.")
        : KeepFor <= TimeSpan.Zero ? throw new InvalidOperationException($"CaseViews:KeepFor must be positive, not {KeepFor}.")
        : this;
}

/// <summary>
/// A service's view of a case, folded from the case stream by Marten's live aggregation (the view's Create/Apply),
/// with the views of long cases kept in memory: the next read of such a case fetches only the events appended since
/// and applies them to the kept view. Without it every decision on a case re-reads its whole stream, so a case of
/// n events costs n²/2 event reads over its life (a 1,000-contact conversation: half a million).
/// </summary>
/// <remarks>
/// A kept view is always the fold of a prefix of the stream, and a stream only grows, so applying the events after
/// that prefix gives what a whole read would. Read under the case's row lock, the result is as current as a whole
/// read. Two exceptions read whole: a stream that does not continue where the kept view ended, and a case whose
/// customer data was erased (<see cref="CustomerDataErased"/>), which is never kept, because the erasure masks the
/// stored events in place and a kept view would still hold what they said before.
/// </remarks>
public sealed class CaseViews<TView> where TView : class
{
    // Resolved on the first read: resolving registers the view with Marten's storage, and a service validates its
    // schema at start against what its migrate command created, which knows no views.
    private readonly Lazy<IAggregator<TView, IQuerySession>> _aggregator;
    private readonly CaseViewOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<Guid, KeptView> _kept = [];
    private long _keptEvents;
    private DateTimeOffset _nextExpiry;

    public CaseViews(IDocumentStore store, CaseViewOptions viewOptions, TimeProvider time)
    {
        var options = (store as DocumentStore ?? throw new InvalidOperationException("Case views need Marten's DocumentStore.")).Options;
        _aggregator = new Lazy<IAggregator<TView, IQuerySession>>(() => options.Projections.AggregatorFor<TView>());
        _options = viewOptions;
        _time = time;
        _nextExpiry = time.GetUtcNow() + viewOptions.KeepFor;
    }

    /// <summary>How many cases' views are kept, and how many events they stand for.</summary>
    public (int Cases, long Events) KeptSize
    {
        get
        {
            lock (_kept) return (_kept.Count, _keptEvents);
        }
    }

    /// <summary>
    /// Queues the read of one case's events on <paramref name="batch"/>: those after the kept view, or all of them.
    /// After the batch has run, <see cref="PendingView.ViewAsync"/> folds them into the view.
    /// </summary>
    public PendingView Read(IBatchedQuery batch, Guid caseId)
    {
        var kept = Find(caseId);
        return new PendingView(this, caseId, kept, batch.Events.FetchStream(caseId, fromVersion: FirstUnread(kept)));
    }

    /// <summary>The case's view (null when the stream does not exist or the view has no Create for its first event).</summary>
    public async Task<TView?> ReadAsync(IQuerySession session, Guid caseId, CancellationToken cancellationToken)
    {
        var kept = Find(caseId);
        var events = await session.Events.FetchStreamAsync(caseId, fromVersion: FirstUnread(kept), token: cancellationToken);
        return await FoldAsync(session, caseId, kept, events, cancellationToken);
    }

    /// <summary>
    /// The views of reads queued on one batch, in order (null where no read was queued). One after another: a fold may
    /// read the stream whole on <paramref name="session"/>, and a session runs one command at a time.
    /// </summary>
    public async Task<TView?[]> ViewsAsync(IReadOnlyList<PendingView?> pending, IQuerySession session, CancellationToken cancellationToken)
    {
        var views = new TView?[pending.Count];
        for (var i = 0; i < pending.Count; i++)
        {
            views[i] = pending[i] is { } read ? await read.ViewAsync(session, cancellationToken) : null;
        }

        return views;
    }

    /// <summary>A read queued on a batch query.</summary>
    public sealed class PendingView(CaseViews<TView> views, Guid caseId, KeptView? kept, Task<IReadOnlyList<IEvent>> events)
    {
        /// <summary>The view, once the batch has run; <paramref name="session"/> is the one the batch belongs to.</summary>
        public async Task<TView?> ViewAsync(IQuerySession session, CancellationToken cancellationToken) =>
            await views.FoldAsync(session, caseId, kept, await events, cancellationToken);
    }

    /// <summary>A view and the stream version it was folded up to.</summary>
    public sealed record KeptView(long Version, TView View, DateTimeOffset LastRead);

    private static long FirstUnread(KeptView? kept) => kept is null ? 0 : kept.Version + 1;

    private async Task<TView?> FoldAsync(IQuerySession session, Guid caseId, KeptView? kept, IReadOnlyList<IEvent> events,
        CancellationToken cancellationToken)
    {
        if (kept is not null && events.Count > 0 && events[0].Version != kept.Version + 1)
        {
            Forget(caseId); // not the stream the view was folded from: read it whole
            return await ReadAsync(session, caseId, cancellationToken);
        }

        if (events.Count == 0)
        {
            return kept is null ? null : Keep(caseId, kept.Version, kept.View);
        }

        var view = await _aggregator.Value.BuildAsync(events, session, kept?.View, cancellationToken);
        var version = events[^1].Version;
        if (events.Any(e => e.Data is CustomerDataErased))
        {
            Forget(caseId);
            return view;
        }

        return view is not null && version >= _options.KeepFromEvents ? Keep(caseId, version, view) : view;
    }

    private KeptView? Find(Guid caseId)
    {
        lock (_kept) return _kept.GetValueOrDefault(caseId);
    }

    private TView Keep(Guid caseId, long version, TView view)
    {
        var now = _time.GetUtcNow();
        lock (_kept)
        {
            if (_kept.TryGetValue(caseId, out var current) && current.Version > version)
            {
                return view; // a concurrent read (outside the case's lock) already kept a later one
            }

            _keptEvents += version - (current?.Version ?? 0);
            _kept[caseId] = new KeptView(version, view, now);
            if (now >= _nextExpiry)
            {
                _nextExpiry = now + _options.KeepFor / 10;
                foreach (var stale in _kept.Where(entry => entry.Value.LastRead <= now - _options.KeepFor).Select(entry => entry.Key).ToList())
                {
                    Forget(stale);
                }
            }

            if (_keptEvents > _options.MaxKeptEvents)
            {
                // The least recently read first, down to nine tenths of the budget, so this does not run on every keep.
                var target = _options.MaxKeptEvents * 9 / 10;
                foreach (var id in _kept.OrderBy(entry => entry.Value.LastRead).Select(entry => entry.Key).ToList())
                {
                    if (_keptEvents <= target) break;
                    Forget(id);
                }
            }
        }

        return view;
    }

    private void Forget(Guid caseId)
    {
        lock (_kept)
        {
            if (_kept.Remove(caseId, out var kept))
            {
                _keptEvents -= kept.Version;
            }
        }
    }
}

public static class CaseViewsSetup
{
    /// <summary>The service's <see cref="CaseViews{TView}"/> of <typeparamref name="TView"/>, configured by the <c>CaseViews</c> section.</summary>
    public static IHostApplicationBuilder AddCaseViews<TView>(this IHostApplicationBuilder builder) where TView : class
    {
        builder.Services.TryAddSingleton(CaseViewOptions.From(builder.Configuration));
        builder.Services.TryAddSingleton<CaseViews<TView>>();
        return builder;
    }
}
