using Escalation.Contracts.Escalations;
using Escalation.Routing.Escalations.OfferQueued;
using Escalation.Routing.Matrix;
using Escalation.ServiceDefaults;
using Marten;
using MassTransit;

namespace Escalation.Routing.Escalations.RouteEscalation;

/// <summary>
/// Routes each requested escalation once (keyed by escalation id). A newer escalation of the same case supersedes
/// the open one: its assignment closes and its agent's capacity goes back to the team's queue.
/// </summary>
public sealed partial class EscalationRequestedConsumer(IDocumentStore store, RoutingSettings settings, QueueDispatcher queues, TimeProvider time,
    ILogger<EscalationRequestedConsumer> logger) : IConsumer<EscalationRequested>
{
    public async Task Consume(ConsumeContext<EscalationRequested> context)
    {
        var requested = context.Message;
        var cancellation = context.CancellationToken;
        await using var session = store.LightweightSession();
        var category = await CategoryAsync(session, requested, cancellation);
        var cell = await session.CellAsync(settings, category, requested.ToTier, cancellation);
        var superseded = await session.Query<Assignment>()
            .Where(a => a.CaseId == requested.CaseId && a.Id != requested.EscalationId && a.Status != AssignmentStatus.Closed)
            .ToListAsync(cancellation);
        var teams = new[] { cell.Team, cell.OverflowTeam }.OfType<string>().Concat(superseded.SelectMany(a => a.Teams)).ToList();

        await session.LockTeamsAsync(teams, cancellation);
        var stream = await session.Events.FetchForExclusiveWriting<RoutingCase>(requested.CaseId, cancellation);
        var roster = await session.TeamsAsync(teams, cancellation);
        var now = time.GetUtcNow();
        var outcome = RouteEscalation.Decide(stream.Aggregate, requested, cell, roster[cell.Team],
            cell.OverflowTeam is null ? [] : roster[cell.OverflowTeam], settings, now);
        if (outcome.Assignment is null)
        {
            return;
        }

        var freed = new List<string>();
        foreach (var old in await session.LoadManyAsync<Assignment>(cancellation, superseded.Select(a => a.Id)))
        {
            if (old.Status != AssignmentStatus.Closed)
            {
                session.Store(old with { Status = AssignmentStatus.Closed, AcknowledgeBy = null });
                freed.Add(old.Team);
            }
        }

        session.Record(outcome.Assignment, roster, now, previousAgent: null);
        stream.AppendMany(outcome.Events.Cast<object>().ToArray());
        session.StampCaseMetadata(requested.CaseId, context.MessageId?.ToString() ?? requested.EscalationId.ToString(), "service:routing", settings.Version);
        await session.SaveChangesAsync(cancellation);

        queues.Offer(freed);
        switch (outcome.Events[0])
        {
            case EscalationRouted routed:
                LogRouted(routed.CaseId, routed.EscalationId, routed.Team, routed.Agent ?? "(team queue)", routed.AcknowledgeBy);
                break;
            case EscalationQueued queued:
                LogQueued(queued.CaseId, queued.EscalationId, queued.Queue, queued.Reason);
                break;
        }
    }

    private static async Task<string> CategoryAsync(IDocumentSession session, EscalationRequested requested, CancellationToken cancellation)
    {
        if (!string.IsNullOrWhiteSpace(requested.RequiredCapability))
        {
            return requested.RequiredCapability;
        }

        var state = await session.Events.AggregateStreamAsync<RoutingCase>(requested.CaseId, token: cancellation);
        return state?.Category ?? "general";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId} escalation {EscalationId} routed to {Team}/{Agent}, acknowledge by {AcknowledgeBy:o}")]
    private partial void LogRouted(Guid caseId, Guid escalationId, string team, string agent, DateTimeOffset acknowledgeBy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId} escalation {EscalationId} queued in {Queue}: {Reason}")]
    private partial void LogQueued(Guid caseId, Guid escalationId, string queue, string reason);
}
