using Marten;
using Npgsql;

namespace Escalation.History.Relay;

/// <summary>
/// Runs the relay (Marten's async daemon in Solo mode) only while this instance holds a Postgres advisory lock, so
/// a second History instance waits instead of double-publishing. Marten's HotCold election would do this, but it
/// needs the real Patched.DistributedLock.Core that the registry here lacks (DESIGN §9). The lock lives on a
/// dedicated connection: if that connection dies, Postgres releases the lock and this instance stops relaying.
/// </summary>
public sealed partial class RelayLeader(
    IDocumentStore store, NpgsqlDataSource dataSource, RelayOptions options, TimeProvider time, ILogger<RelayLeader> logger)
    : BackgroundService
{
    public const long LockKey = 0x5245_4c41_59; // "RELAY"
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
        await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
        await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
        {
            tryLock.Parameters.AddWithValue("key", LockKey);
            if (!(bool)(await tryLock.ExecuteScalarAsync(stoppingToken))!)
            {
                LogStandby();
                return;
            }
        }

        LogLeading();
        using var daemon = await store.BuildProjectionDaemonAsync();
        await daemon.StartAllAsync();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(LeaseCheckInterval, time, stoppingToken);
                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                await ping.ExecuteScalarAsync(stoppingToken);
                if (daemon.HasAnyPaused())
                {
                    // Marten pauses a subscription on an error it does not skip. Start over from the checkpoint:
                    // give up the lock, rebuild the daemon, take the lock again (this instance or another).
                    throw new InvalidOperationException("The relay subscription was paused by the daemon.");
                }
            }
        }
        finally
        {
            await daemon.StopAllAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This instance holds the relay lock and runs the relay")]
    private partial void LogLeading();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Another instance runs the relay; standing by")]
    private partial void LogStandby();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relay leadership ended; will try to take it again")]
    private partial void LogLeadershipLost(Exception exception);
}
