using System.Threading.Channels;
using Escalation.Contracts.Escalations;
using Escalation.Routing.Escalations.Choosing;
using Escalation.Routing.Matrix;
using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.Routing.Escalations.OfferQueued;

/// <summary>
/// Offers queued escalations again the moment capacity frees in a team (an agent resolves, declines, becomes
/// available, or an escalation moves on), highest priority and oldest first. Every few seconds it also sweeps all
/// teams with a queue, so an offer lost to a crash between commit and signal is made anyway.
/// </summary>
public sealed partial class QueueDispatcher(IDocumentStore store, RoutingSettings settings, TimeProvider time, ILogger<QueueDispatcher> logger)
    : BackgroundService
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(5);
    private readonly Channel<string> _teams = Channel.CreateUnbounded<string>();

    /// <summary>Capacity may have freed in these teams.</summary>
    public void Offer(IEnumerable<string> teams)
    {
        foreach (var team in teams.Distinct())
        {
            _teams.Writer.TryWrite(team);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweep = Task.Delay(SweepEvery, time, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var signal = _teams.Reader.WaitToReadAsync(stoppingToken).AsTask();
            if (await Task.WhenAny(signal, sweep) == sweep)
            {
                sweep = Task.Delay(SweepEvery, time, stoppingToken);
                try
                {
                    await using var query = store.QuerySession();
                    Offer(await query.Query<Assignment>().Where(a => a.Status == AssignmentStatus.Queued).Select(a => a.Team).Distinct().ToListAsync(stoppingToken));
                }
                catch (Exception error) when (!stoppingToken.IsCancellationRequested)
                {
                    LogSweepFailed(error); // the database is away; the next sweep tries again (a throw here would stop the host)
                }
            }

            while (_teams.Reader.TryRead(out var team))
            {
                try
                {
                    await OfferAsync(team, stoppingToken);
                }
                catch (Exception error) when (!stoppingToken.IsCancellationRequested)
                {
                    LogOfferFailed(error, team); // the next sweep tries again
                }
            }
        }
    }

    /// <summary>Routes as many of the team's queued escalations as its agents can now take.</summary>
    public async Task OfferAsync(string team, CancellationToken cancellation)
    {
        await using var session = store.LightweightSession();
        var overflowTeams = await session.Query<Assignment>().Where(a => a.Team == team && a.Status == AssignmentStatus.Queued && a.OverflowTeam != null)
            .Select(a => a.OverflowTeam!).Distinct().ToListAsync(cancellation);
        await session.LockTeamsAsync(overflowTeams.Prepend(team), cancellation);
        var queued = (await session.Query<Assignment>().Where(a => a.Team == team && a.Status == AssignmentStatus.Queued).ToListAsync(cancellation))
            .OrderBy(a => a.Priority).ThenBy(a => a.Since).ToList();
        if (queued.Count == 0)
        {
            return;
        }

        var rosters = new TeamRosters(await session.TeamsAsync(queued.SelectMany(a => a.Teams), cancellation)); // later choices see the loads added
        var now = time.GetUtcNow();
        var offered = 0;
        foreach (var assignment in queued)
        {
            var choice = assignment.Teams.Select(t => ChooseOwner.Choose(assignment.Need, rosters[t], now)).FirstOrDefault(c => c.Agent is not null);
            if (choice?.Agent is not { } agent)
            {
                continue;
            }

            var deadline = now + await session.AcknowledgeWithinAsync(settings, assignment, cancellation);
            var stream = await session.Events.FetchForExclusiveWriting<RoutingCase>(assignment.CaseId, cancellation);
            var routed = session.Events.BuildEvent(new EscalationRouted(assignment.CaseId, assignment.Id, agent.Team, agent.Id, choice.MatchedSkills,
                choice.Candidates, deadline, 0, settings.Version, now));
            routed.StampCaseMetadata(assignment.CaseId, $"queue:{team}", "service:routing", settings.Version);
            stream.AppendOne(routed);
            var placed = assignment with { Team = agent.Team, Agent = agent.Id, Status = AssignmentStatus.Offered, AcknowledgeBy = deadline };
            session.Store(placed);
            session.Store(rosters.Assign(agent, now));
            offered++;
        }

        if (offered > 0)
        {
            await session.SaveChangesAsync(cancellation);
            LogOffered(offered, team);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offered {Count} queued escalation(s) of {Team}")]
    private partial void LogOffered(int count, string team);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offering the queue of {Team} failed; the next sweep tries again")]
    private partial void LogOfferFailed(Exception error, string team);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping the team queues failed; the next sweep tries again")]
    private partial void LogSweepFailed(Exception error);
}
