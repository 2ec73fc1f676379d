using Escalation.Contracts;
using Escalation.SlaWatch.Engine;
using Escalation.Contracts.Sla;
using Escalation.ServiceDefaults;
using Marten;
using Npgsql;

namespace Escalation.SlaWatch.Clocks.FireAlerts;

/// <summary>
/// Fires due warnings and breaches. Several workers per instance and any number of instances share the alerts: each
/// takes the case stream's row lock, then the alert row with <c>FOR UPDATE SKIP LOCKED</c> only if it is still due,
/// appends the events and re-plans the alert in one transaction, so each threshold fires once. Alerts missed while
/// no instance ran are fired on start and marked late.
/// </summary>
public sealed partial class Alarm(IDocumentStore store, SlaPolicy policy, WakeSignal signal, TimeProvider time, ILogger<Alarm> logger) : BackgroundService
{
    public const int Workers = 6;
    public static readonly TimeSpan LongestSleep = TimeSpan.FromMilliseconds(250);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(() => WorkAsync(worker, stoppingToken), stoppingToken)));

    private async Task WorkAsync(int worker, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (fired, nextDue) = await FireOneAsync(worker, stoppingToken);
                if (!fired)
                {
                    await signal.SleepAsync(nextDue, stoppingToken);
                }
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(error);
                await Task.Delay(LongestSleep, time, stoppingToken);
            }
        }
    }

    /// <summary>
    /// Fires one due alert. When none was due (or all were taken by other workers), says when the earliest alert not
    /// yet due is, from the same look.
    /// </summary>
    public async Task<(bool Fired, DateTimeOffset? NextDue)> FireOneAsync(int worker, CancellationToken cancellation)
    {
        var now = time.GetUtcNow();
        await using (var query = store.QuerySession())
        {
            var earliest = await query.Query<ClockAlert>().OrderBy(a => a.FireAt).Take(Workers * 2).ToListAsync(cancellation);
            var due = earliest.TakeWhile(a => a.FireAt <= now).ToList();
            // Workers start at different candidates, so they do not queue on the same case.
            foreach (var candidate in due.Skip(worker % Math.Max(1, due.Count)).Concat(due.Take(worker % Math.Max(1, due.Count))))
            {
                if (await TryFireAsync(candidate, cancellation))
                {
                    if (due.Count > 1)
                    {
                        signal.Wake(now); // more are due: another worker takes one meanwhile
                    }

                    return (true, null);
                }
            }

            return (false, earliest.Count > due.Count ? earliest[due.Count].FireAt : null);
        }
    }

    private async Task<bool> TryFireAsync(ClockAlert candidate, CancellationToken cancellation)
    {
        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchForExclusiveWriting<SlaCase>(candidate.CaseId, cancellation);
        var now = time.GetUtcNow();
        await using (var claim = new NpgsqlCommand(
            "SELECT id FROM slawatch.mt_doc_clockalert WHERE id = @id AND fire_at <= @now FOR UPDATE SKIP LOCKED", session.Connection))
        {
            claim.Parameters.AddWithValue("id", candidate.Id);
            claim.Parameters.AddWithValue("now", now);
            if (await claim.ExecuteScalarAsync(cancellation) is null)
            {
                return false; // fired or re-planned meanwhile, or another worker holds it
            }
        }

        using var activity = Telemetry.StartTimedWork("sla alarm", candidate.CaseId);
        activity?.SetTag("escalation.sla_threshold", candidate.Percent);
        var events = SlaClocks.Fire(stream.Aggregate, candidate.Id, policy, now);
        if (events.Count == 0)
        {
            session.Delete<ClockAlert>(candidate.Id); // the clock stopped or paused; its alert is stale
        }
        else
        {
            session.AppendAndReplan(stream, events, policy, $"alarm:{candidate.Id}:{candidate.Percent}", signal);
        }

        await session.SaveChangesAsync(cancellation);
        foreach (var e in events)
        {
            switch (e)
            {
                case SlaBreachImminent w:
                    LogWarned(w.CaseId, w.Metric, w.ThresholdPercent, (w.DetectedAt - candidate.FireAt).TotalMilliseconds, w.Late);
                    break;
                case SlaBreached b:
                    LogBreached(b.CaseId, b.Metric, (b.DetectedAt - b.DueAt).TotalMilliseconds, b.Late);
                    break;
            }
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId}: {Metric} at {Percent}% ({LatenessMs:0} ms after its instant, late: {Late})")]
    private partial void LogWarned(Guid caseId, SlaMetric metric, int percent, double latenessMs, bool late);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Case {CaseId}: {Metric} breached ({LatenessMs:0} ms after due, late: {Late})")]
    private partial void LogBreached(Guid caseId, SlaMetric metric, double latenessMs, bool late);

    [LoggerMessage(Level = LogLevel.Error, Message = "SLA alarm failed; retrying")]
    private partial void LogFailed(Exception error);
}
