using System.Text.Json;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>
/// Takes the relay lease away from the leading History instance. Other tests notice (a rebuild under way is aborted,
/// publishing and the projections pause until the standby leads), so it runs alone, after the parallel tests.
/// </summary>
[Collection(nameof(ServiceFaults))]
public sealed class RelayLeaseFaultTests(PlatformFixture platform)
{
    private static bool FirstResponseClock((string Type, long Version, JsonDocument Data) e) =>
        e.Type == "sla_clock_started" && e.Data.RootElement.GetProperty("metric").GetString() == "FirstResponse";

    private readonly PlatformDriver _driver = new(platform);

    [Fact]
    public async Task When_the_relay_leader_loses_its_lease_another_takes_over_and_nothing_is_lost()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var standby = await platform.StartExtraInstanceAsync("History");
        try
        {
            var before = await _driver.PostContactsAsync("lease-before", 5);
            await _driver.WaitUntilSettledAsync(cancellation);

            // Kill the session that holds the relay's advisory lock, as a failover or an admin would.
            await using (var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString))
            {
                await connection.OpenAsync(cancellation);
                await using var kill = new NpgsqlCommand(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted " +
                    "AND classid = @high AND objid = @low " +
                    // pg_locks shows the whole server: another platform's relay on another database holds the same key.
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", connection);
                kill.Parameters.AddWithValue("high", (long)(RelayLockKey >> 32));
                kill.Parameters.AddWithValue("low", RelayLockKey & 0xFFFFFFFF);
                Assert.Equal(1L, (long)(await kill.ExecuteScalarAsync(cancellation))!);
            }

            var after = await _driver.PostContactsAsync("lease-after", 5);
            foreach (var caseId in before.Concat(after))
            {
                // Every case's TicketOpened reached SLA-watch, exactly once, whoever relayed it.
                await _driver.PollAsync(async () =>
                    (await _driver.EventsAsync(caseId)).Count(FirstResponseClock) == 1 ? "ok" : null,
                    $"case {caseId} has no SLA clock after the relay leader changed");
            }

            await _driver.WaitUntilSettledAsync(cancellation);
            foreach (var caseId in before.Concat(after))
            {
                Assert.Single(await _driver.EventsAsync(caseId), FirstResponseClock);
            }
        }
        finally
        {
            await platform.StopInstanceAsync(standby);
        }
    }

    /// <summary>The relay's advisory lock key (RelayLease.LockKey), as pg_locks shows it: classid = high, objid = low 32 bits.</summary>
    private const long RelayLockKey = 0x5245_4c41_59;
}
