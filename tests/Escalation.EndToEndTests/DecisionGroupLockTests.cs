using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.ServiceDefaults;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>
/// A group of case decisions (CaseDecisionGroups) waits only so long for a case whose stream another transaction holds
/// (an erasure, a stuck transaction): then each of its decisions is made alone, so the others commit at once and the
/// held case is decided once the lock is released. Real PostgreSQL and Marten, in a database of its own.
/// </summary>
public sealed class DecisionGroupLockTests(PlatformFixture platform) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20); // without a bound, a group waits 30 s for its lock statement
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private ScratchEventStore? _scratch;
    private DocumentStore? _store;

    /// <summary>Resolution attempts on a case: enough state for a decision to read.</summary>
    public sealed record Attempts(Guid Id, int Count)
    {
        public static Attempts Create(CaseClosed closed) => new(closed.CaseId, 0);

        public Attempts Apply(ResolutionAttempted _) => this with { Count = Count + 1 };
    }

    [Fact]
    public async Task A_group_stops_waiting_for_a_case_locked_elsewhere_so_its_other_cases_commit_and_the_held_one_after_the_lock()
    {
        var store = _store!;
        var (first, held, free) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using (var session = store.LightweightSession())
        {
            foreach (var caseId in new[] { first, held, free })
            {
                session.Events.StartStream(caseId, new CaseClosed(caseId, DateTimeOffset.UtcNow));
            }

            await session.SaveChangesAsync(Cancellation);
        }

        await using var elsewhere = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await elsewhere.OpenAsync(Cancellation);
        await using var lockHeld = await elsewhere.BeginTransactionAsync(Cancellation);
        await using (var takeLock = new NpgsqlCommand("SELECT id FROM events.mt_streams WHERE id = @id FOR UPDATE", elsewhere, lockHeld))
        {
            takeLock.Parameters.AddWithValue("id", held);
            await takeLock.ExecuteNonQueryAsync(Cancellation);
        }

        var views = new CaseViews<Attempts>(store, new CaseViewOptions(), TimeProvider.System);
        var options = new CaseDecisionOptions { MaxCasesPerCommit = 32, ConcurrentCommits = 1, LockWaitMilliseconds = 200 };
        var groups = new CaseDecisionGroups<Attempts>(store, views, options, NullLogger<CaseDecisionGroups<Attempts>>.Instance);
        await groups.StartAsync(Cancellation);
        try
        {
            // One committer, busy deciding the first case until released: the next two decisions queue up behind it
            // and go into the next group together.
            using var firstDeciding = new ManualResetEventSlim();
            using var releaseFirst = new ManualResetEventSlim();
            var firstDecided = groups.DecideAsync(Attempt(first, _ =>
            {
                firstDeciding.Set();
                releaseFirst.Wait(Deadline);
            }), Cancellation);
            Assert.True(firstDeciding.Wait(Deadline, Cancellation), "the first group never started deciding");
            var seenBy = new Dictionary<Guid, int>();
            var heldDecided = groups.DecideAsync(Attempt(held, state => seenBy[held] = state!.Count), Cancellation);
            var freeDecided = groups.DecideAsync(Attempt(free, state => seenBy[free] = state!.Count), Cancellation);
            releaseFirst.Set();
            await firstDecided.WaitAsync(Deadline, Cancellation);

            Assert.Single(await freeDecided.WaitAsync(Deadline, Cancellation));
            Assert.Equal(2, await VersionAsync(free));
            Assert.False(heldDecided.IsCompleted);
            Assert.Equal(1, await VersionAsync(held));

            await lockHeld.CommitAsync(Cancellation);
            Assert.Single(await heldDecided.WaitAsync(Deadline, Cancellation));
            Assert.Equal(2, await VersionAsync(held));
            Assert.Equal(new Dictionary<Guid, int> { [held] = 0, [free] = 0 }, seenBy); // each decided once, on the state before its append
        }
        finally
        {
            await groups.StopAsync(CancellationToken.None);
        }
    }

    private static CaseDecision<Attempts> Attempt(Guid caseId, Action<Attempts?> deciding) => new(caseId, $"test-{caseId}", "test", null, state =>
    {
        deciding(state);
        return [new ResolutionAttempted(caseId, "retry", AttemptOutcome.Failed, "test", DateTimeOffset.UtcNow)];
    });

    private async Task<long> VersionAsync(Guid caseId)
    {
        await using var session = _store!.QuerySession();
        return (await session.Events.FetchStreamStateAsync(caseId, Cancellation))!.Version;
    }

    private string ConnectionString => _scratch!.ConnectionString;

    public async ValueTask InitializeAsync()
    {
        _scratch = await ScratchEventStore.CreateAsync(platform, "decision_locks", Cancellation);
        _store = _scratch.Store;
    }

    public async ValueTask DisposeAsync()
    {
        if (_scratch is not null)
        {
            await _scratch.DisposeAsync();
        }
    }
}
