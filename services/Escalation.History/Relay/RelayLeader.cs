using Escalation.History.Admin;
using Marten;

namespace Escalation.History.Relay;

/// <summary>
/// Runs the relay and History's projections (Marten's async daemon in Solo mode) only while this instance holds the <see cref="RelayLease"/>,
/// so a second History instance waits instead of double-publishing. Marten's HotCold election would do this, but it
/// needs the real Patched.DistributedLock.Core that the registry here lacks (DESIGN §9).
/// </summary>
public sealed partial class RelayLeader(IDocumentStore store, RelayLease lease, RunningDaemon running, RelayOptions options, TimeProvider time,
    ILogger<RelayLeader> logger)
    : BackgroundService
{
    private static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await LeadWhileLockedAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogLeadershipLost(exception);
            }

            await Task.Delay(TimeSpan.FromSeconds(options.LeaderRetrySeconds), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task LeadWhileLockedAsync(CancellationToken stoppingToken)
    {
        if (!await lease.TryAcquireAsync(stoppingToken))
        {
            LogStandby();
            return;
        }

        LogLeading();
        using var daemon = await store.BuildProjectionDaemonAsync();
        try
        {
            await daemon.StartAllAsync();
            running.Current = daemon;
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(LeaseCheckInterval, time, stoppingToken);
                await lease.EnsureHeldAsync(stoppingToken);
                if (daemon.HasAnyPaused())
                {
                    // Marten pauses a subscription on an error it does not skip (a lost lease is one). Start over from
                    // the checkpoint: give up the lease, rebuild the daemon, take the lease again (here or elsewhere).
                    throw new InvalidOperationException("The relay subscription was paused by the daemon.");
                }
            }
        }
        finally
        {
            running.Current = null;
            await daemon.StopAllAsync();
            await lease.ReleaseAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This instance holds the relay lock and runs the relay")]
    private partial void LogLeading();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Another instance runs the relay; standing by")]
    private partial void LogStandby();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relay leadership ended; will try to take it again")]
    private partial void LogLeadershipLost(Exception exception);
}
