using System.Diagnostics;
using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Routing.Escalations.OfferQueued;
using Escalation.Routing.Matrix;
using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.Routing.Escalations.RouteEscalation;

/// <summary>
/// Places requested escalations in group commits. Every placement changes its team's loads, so it happens under the
/// team's lock; placed one at a time, a team took one escalation per lock hold (about 15 ms under load, a ceiling near
/// 60 a second for a team at the centre of an incident). The escalations waiting when a commit starts are placed
/// together instead: one lock for their teams, one read of their cases and rosters, one write, each placement seeing
/// the loads of those before it (<see cref="RouteEscalation.DecideInTurn"/>). A lone escalation on an idle service is
/// placed at once; one the group cannot place (a second of the same case, or every one of a group whose commit failed,
/// or that waited longer than <see cref="CaseDecisionOptions.LockWait"/> for a case locked elsewhere while holding its
/// teams' locks) is placed alone right after, the same way, with its own errors for the bus's retries.
/// </summary>
public sealed partial class EscalationRouter : IHostedService
{
    private const string Actor = "service:routing";
    private readonly IDocumentStore _store;
    private readonly CaseViews<RoutingCase> _views;
    private readonly RoutingSettings _settings;
    private readonly QueueDispatcher _queues;
    private readonly TimeProvider _time;
    private readonly ILogger<EscalationRouter> _logger;
    private readonly GroupCommitQueue<Pending> _waiting;
    private readonly TimeSpan _groupLockWait;

    public EscalationRouter(IDocumentStore store, CaseViews<RoutingCase> views, RoutingSettings settings, QueueDispatcher queues, TimeProvider time,
        CaseDecisionOptions options, ILogger<EscalationRouter> logger)
    {
        (_store, _views, _settings, _queues, _time, _logger) = (store, views, settings, queues, time, logger);
        _waiting = new GroupCommitQueue<Pending>(options.MaxCasesPerCommit, options.ConcurrentCommits, CommitAsync);
        _groupLockWait = options.LockWait;
    }

    /// <param name="causationId">The message that requested it (the stored event's id).</param>
    public async Task RouteAsync(EscalationRequested requested, string causationId, CancellationToken cancellationToken)
    {
        var pending = new Pending(requested, causationId, Activity.Current);
        var outcome = _waiting.TryEnqueue(pending) && await pending.Outcome.Task.WaitAsync(cancellationToken) is { } placed
            ? placed
            : (await PlaceAsync([pending], cancellationToken))[0];

        // Logged here rather than by the group, so that the log carries this escalation's trace.
        switch (outcome.Events.FirstOrDefault())
        {
            case EscalationRouted routed:
                LogRouted(routed.CaseId, routed.EscalationId, routed.Team, routed.Agent ?? "(team queue)", routed.AcknowledgeBy);
                break;
            case EscalationQueued queued:
                LogQueued(queued.CaseId, queued.EscalationId, queued.Queue, queued.Reason);
                break;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _waiting.Start();
        return Task.CompletedTask;
    }

    /// <summary>Stops grouping (callers then place alone) and commits what is waiting. Registered after the bus, so it stops first.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _waiting.StopAsync(cancellationToken);

    private async Task CommitAsync(List<Pending> group)
    {
        using var activity = Telemetry.StartGroupWork("route escalations", group.ConvertAll(pending => pending.Origin), GroupSizeTag);
        var together = group.DistinctBy(pending => pending.Requested.CaseId).ToList();
        IReadOnlyList<RoutingOutcome>? outcomes = null;
        try
        {
            outcomes = await PlaceAsync(together, CancellationToken.None, _groupLockWait);
        }
        catch (Exception exception)
        {
            GroupCommitFallback.Log(_logger, exception, together.Count, "escalations", _groupLockWait);
        }

        foreach (var pending in group)
        {
            var index = together.IndexOf(pending); // -1: a second escalation of a case in the group, placed alone after
            pending.Outcome.TrySetResult(outcomes is not null && index >= 0 ? outcomes[index] : null);
        }
    }

    /// <param name="lockWait">
    /// For a group: how long to wait for a case stream another transaction holds (all the while holding the teams'
    /// locks) before giving up, so that each escalation is placed alone.
    /// </param>
    /// <returns>Each escalation's outcome, in order.</returns>
    private async Task<IReadOnlyList<RoutingOutcome>> PlaceAsync(IReadOnlyList<Pending> pendings, CancellationToken cancellation,
        TimeSpan? lockWait = null)
    {
        var caseIds = pendings.Select(pending => pending.Requested.CaseId).ToArray();
        await using var session = _store.LightweightSession();

        // Before the locks: which matrix cell each escalation needs and which open assignments it supersedes, so that
        // their teams are locked too. The cell is the required capability's; only an escalation without one (rare:
        // triage names one) needs its case read here, for the case's category.
        var before = session.CreateBatchQuery();
        var readCases = pendings.Select(pending => string.IsNullOrWhiteSpace(pending.Requested.RequiredCapability)
            ? _views.Read(before, pending.Requested.CaseId)
            : null).ToList();
        var readOpen = before.Query<Assignment>().Where(a => a.CaseId.IsOneOf(caseIds) && a.Status != AssignmentStatus.Closed).ToList();
        await before.Execute(cancellation);
        var categoryCases = await _views.ViewsAsync(readCases, session, cancellation);
        var cells = await session.CellsAsync(_settings,
            pendings.Select((pending, i) => (RouteEscalation.CapabilityOf(pending.Requested, categoryCases[i]), pending.Requested.ToTier)).ToList(), cancellation);
        var superseded = (await readOpen).Where(a => pendings.Any(p => p.Requested.CaseId == a.CaseId && p.Requested.EscalationId != a.Id)).ToList();
        var teams = cells.SelectMany(cell => new[] { cell.Team, cell.OverflowTeam }).OfType<string>()
            .Concat(superseded.SelectMany(a => a.Teams)).Distinct(StringComparer.Ordinal).ToList();

        await session.LockTeamsAsync(teams, cancellation);
        await session.LockStreamsAsync(caseIds, cancellation, lockWait);
        var locked = session.CreateBatchQuery();
        var readStates = caseIds.Select(id => _views.Read(locked, id)).ToList();
        var readSuperseded = superseded.Count == 0 ? null : locked.LoadMany<Assignment>().ById(superseded.Select(a => a.Id).ToArray());
        await locked.Execute(cancellation);
        var states = await _views.ViewsAsync(readStates, session, cancellation);
        var stillOpen = readSuperseded is null ? [] : await readSuperseded;
        var rosters = await session.TeamsAsync(teams, cancellation);

        var now = _time.GetUtcNow();
        var requests = pendings.Select((pending, i) => new PlacementRequest(states[i], pending.Requested, cells[i],
            stillOpen.Where(a => a.CaseId == pending.Requested.CaseId).ToList())).ToList();
        var placements = RouteEscalation.DecideInTurn(requests, rosters, _settings, now);

        var freed = new List<string>();
        for (var i = 0; i < pendings.Count; i++)
        {
            var (pending, placement) = (pendings[i], placements[i]);
            if (placement.Outcome.Assignment is not { } assignment)
            {
                continue;
            }

            session.Store(assignment);
            foreach (var closed in placement.Closed)
            {
                session.Store(closed);
                freed.Add(closed.Team);
            }

            if (placement.Assigned is { } agent)
            {
                session.Store(agent);
            }

            var caseId = pending.Requested.CaseId;
            foreach (var @event in session.Events.Append(caseId, placement.Outcome.Events.Cast<object>().ToArray()).Events)
            {
                @event.StampCaseMetadata(caseId, pending.CausationId, Actor, _settings.Version, pending.Origin);
            }
        }

        if (placements.Any(placement => placement.Outcome.Assignment is not null))
        {
            await session.SaveChangesAsync(cancellation);
            _queues.Offer(freed);
        }

        return placements.Select(placement => placement.Outcome).ToList();
    }

    /// <summary>An escalation waiting for a group, and its consumer waiting for the outcome.</summary>
    private sealed class Pending(EscalationRequested requested, string causationId, Activity? origin)
    {
        public EscalationRequested Requested { get; } = requested;
        public string CausationId { get; } = causationId;

        /// <summary>The consumer's span: its trace goes on the events the placement appends.</summary>
        public Activity? Origin { get; } = origin;

        /// <summary>What the group decided (nothing, for one placed already), or null when the consumer must place it alone.</summary>
        public TaskCompletionSource<RoutingOutcome?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private const string GroupSizeTag = "escalation.routing_group.size";

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId} escalation {EscalationId} routed to {Team}/{Agent}, acknowledge by {AcknowledgeBy:o}")]
    private partial void LogRouted(Guid caseId, Guid escalationId, string team, string agent, DateTimeOffset acknowledgeBy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId} escalation {EscalationId} queued in {Queue}: {Reason}")]
    private partial void LogQueued(Guid caseId, Guid escalationId, string queue, string reason);
}
