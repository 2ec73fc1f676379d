using Escalation.Contracts.Escalations;
using Escalation.Routing.Escalations.OfferQueued;
using Escalation.Routing.Matrix;
using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.Routing.Escalations.WatchAcknowledgements;

/// <summary>
/// Moves escalations nobody acknowledged in time along the chain. Deadlines live on the assignment documents, so
/// they survive restarts; the watch sleeps until the earliest one (at most a second) and handles each under its
/// team's lock, re-reading it first, so several instances can run and a deadline is handled once.
/// </summary>
public sealed partial class AcknowledgementWatch(IDocumentStore store, RoutingSettings settings, QueueDispatcher queues, TimeProvider time,
    ILogger<AcknowledgementWatch> logger) : BackgroundService
{
    private static readonly TimeSpan LongestSleep = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan sleep;
            try
            {
                sleep = await HandleDueAsync(stoppingToken);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                LogWatchFailed(error);
                sleep = LongestSleep;
            }

            await Task.Delay(sleep, time, stoppingToken);
        }
    }

    /// <summary>Handles every deadline that has passed; returns how long to sleep until the next one.</summary>
    public async Task<TimeSpan> HandleDueAsync(CancellationToken cancellation)
    {
        var now = time.GetUtcNow();
        await using (var query = store.QuerySession())
        {
            var due = await query.Query<Assignment>()
                .Where(a => a.Status == AssignmentStatus.Offered && a.AcknowledgeBy != null && a.AcknowledgeBy <= now)
                .OrderBy(a => a.AcknowledgeBy).Select(a => a.Id).Take(100).ToListAsync(cancellation);
            foreach (var id in due)
            {
                await TimeOutAsync(id, cancellation);
            }

            var next = await query.Query<Assignment>()
                .Where(a => a.Status == AssignmentStatus.Offered && a.AcknowledgeBy != null)
                .OrderBy(a => a.AcknowledgeBy).FirstOrDefaultAsync(cancellation);
            var untilNext = next?.AcknowledgeBy is { } at ? at - time.GetUtcNow() : LongestSleep;
            return untilNext < TimeSpan.FromMilliseconds(20) ? TimeSpan.FromMilliseconds(20) : untilNext > LongestSleep ? LongestSleep : untilNext;
        }
    }

    private async Task TimeOutAsync(Guid escalationId, CancellationToken cancellation)
    {
        await using var session = store.LightweightSession();
        var assignment = await session.LoadAsync<Assignment>(escalationId, cancellation);
        if (assignment is null)
        {
            return;
        }

        await session.LockTeamsAsync(assignment.Teams, cancellation);
        assignment = await session.LoadAsync<Assignment>(escalationId, cancellation);
        var now = time.GetUtcNow();
        if (assignment is not { Status: AssignmentStatus.Offered, AcknowledgeBy: { } deadline } || deadline > now)
        {
            return; // acknowledged, moved or handled by another instance meanwhile
        }

        using var activity = Telemetry.StartTimedWork("acknowledgement deadline", assignment.CaseId);
        activity?.SetTag(CaseTelemetry.EscalationId, assignment.Id.ToString());
        var timedOut = new AcknowledgementTimedOut(assignment.CaseId, assignment.Id, assignment.Agent, assignment.ChainLevel, deadline, now);
        var roster = await session.TeamsAsync([assignment.Team], cancellation);
        var outcome = roster[assignment.Team].Count == 0
            ? new RoutingOutcome([], assignment with { AcknowledgeBy = null }) // a team queue without a roster: record it, page on-call (notification)
            : AcknowledgementChain.Next(assignment, roster[assignment.Team], settings.MaxChainLoops,
                await session.AcknowledgeWithinAsync(settings, assignment, cancellation),
                $"{assignment.Agent ?? assignment.Team} did not acknowledge by {deadline:O}", now);

        var stream = await session.Events.FetchForExclusiveWriting<RoutingCase>(assignment.CaseId, cancellation);
        stream.AppendMany([timedOut, .. outcome.Events]);
        session.Record(outcome.Assignment!, roster, now, assignment.Agent);
        session.StampCaseMetadata(assignment.CaseId, $"deadline:{assignment.Id}:{assignment.ChainLevel}", "service:routing", settings.Version);
        await session.SaveChangesAsync(cancellation);
        queues.Offer([assignment.Team]);
        LogTimedOut(assignment.CaseId, assignment.Id, assignment.Agent ?? assignment.Team, assignment.ChainLevel,
            outcome.Assignment!.Agent ?? outcome.Assignment.Status.ToString());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId} escalation {EscalationId}: {Owner} (level {Level}) did not acknowledge in time; now {Next}")]
    private partial void LogTimedOut(Guid caseId, Guid escalationId, string owner, int level, string next);

    [LoggerMessage(Level = LogLevel.Error, Message = "Acknowledgement watch failed; retrying")]
    private partial void LogWatchFailed(Exception error);
}
