using System.Collections.Immutable;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.ServiceDefaults;
using Marten;
using Microsoft.Extensions.Time.Testing;

namespace Escalation.EndToEndTests;

/// <summary>
/// Long cases' views kept in memory (CaseViews): a later read applies only the events appended since, erased cases
/// and short ones are read whole, and the memory they take is bounded. Real PostgreSQL and Marten, in a database of
/// its own. To tell an incremental read from a whole one, tests rewrite stored events behind Marten's back: only a
/// whole read sees the rewrite.
/// </summary>
public sealed class CaseViewsTests(PlatformFixture platform) : IAsyncLifetime
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;
    private static readonly CaseViewOptions Options = new() { KeepFromEvents = 32, MaxKeptEvents = 100, KeepFor = TimeSpan.FromMinutes(10) };

    private ScratchEventStore _scratch = null!;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));

    /// <summary>The steps of every resolution attempt on a case, in order.</summary>
    public sealed record Steps(Guid Id, ImmutableList<string> Taken)
    {
        public static Steps Create(CaseClosed closed) => new(closed.CaseId, []);

        public Steps Apply(ResolutionAttempted attempt) => this with { Taken = Taken.Add(attempt.Step) };
    }

    [Fact]
    public async Task A_long_case_is_read_whole_once_then_only_the_events_appended_since()
    {
        var views = new CaseViews<Steps>(_scratch.Store, Options, _time);
        var caseId = await StartCaseAsync(attempts: 39);
        Assert.Equal(StepsUpTo(39), (await ReadAsync(views, caseId))!.Taken);
        Assert.Equal((1, 40L), views.KeptSize);

        await RewriteStepsAsync(caseId);
        await AttemptAsync(caseId, 40, 41, 42);

        var view = await ReadAsync(views, caseId);
        Assert.Equal(StepsUpTo(42), view!.Taken); // the kept 39, not their rewrite, and the 3 new ones
        Assert.Equal((1, 43L), views.KeptSize);
        Assert.All((await WholeAsync(caseId))!.Taken.Take(39), step => Assert.StartsWith("rewritten", step));
    }

    [Fact]
    public async Task A_batched_read_gives_what_a_whole_read_gives_and_keeps_the_view()
    {
        var views = new CaseViews<Steps>(_scratch.Store, Options, _time);
        var caseId = await StartCaseAsync(attempts: 35);
        await ReadAsync(views, caseId);
        await AttemptAsync(caseId, 36);

        await using var session = _scratch.Store.QuerySession();
        var batch = session.CreateBatchQuery();
        var pending = views.Read(batch, caseId);
        await batch.Execute(Cancellation);
        var view = await pending.ViewAsync(session, Cancellation);

        Assert.Equal((await WholeAsync(caseId))!.Taken, view!.Taken);
        Assert.Equal((1, 37L), views.KeptSize);
    }

    [Fact]
    public async Task A_case_whose_customer_data_was_erased_is_read_whole_from_then_on()
    {
        var views = new CaseViews<Steps>(_scratch.Store, Options, _time);
        var caseId = await StartCaseAsync(attempts: 39);
        await ReadAsync(views, caseId);
        await AppendAsync(caseId, new CustomerDataErased(caseId, _time.GetUtcNow()));

        Assert.Equal(StepsUpTo(39), (await ReadAsync(views, caseId))!.Taken);
        Assert.Equal((0, 0L), views.KeptSize);

        await RewriteStepsAsync(caseId); // as the erasure's masking rewrites the stored events
        Assert.All((await ReadAsync(views, caseId))!.Taken, step => Assert.StartsWith("rewritten", step));
        Assert.Equal((0, 0L), views.KeptSize);
    }

    [Fact]
    public async Task Short_cases_are_not_kept_and_a_case_that_does_not_exist_has_no_view()
    {
        var views = new CaseViews<Steps>(_scratch.Store, Options, _time);
        var caseId = await StartCaseAsync(attempts: 5);

        Assert.Equal(StepsUpTo(5), (await ReadAsync(views, caseId))!.Taken);
        Assert.Null(await ReadAsync(views, Guid.CreateVersion7()));
        Assert.Equal((0, 0L), views.KeptSize);
    }

    [Fact]
    public async Task Past_the_budget_the_least_recently_read_go_first_and_views_unread_for_long_are_dropped()
    {
        var views = new CaseViews<Steps>(_scratch.Store, Options, _time);
        var (first, second, third) = (await StartCaseAsync(39), await StartCaseAsync(39), await StartCaseAsync(39));
        await ReadAsync(views, first);
        _time.Advance(TimeSpan.FromSeconds(1));
        await ReadAsync(views, second);
        _time.Advance(TimeSpan.FromSeconds(1));
        await ReadAsync(views, first); // read again: now the second is the least recently read
        _time.Advance(TimeSpan.FromSeconds(1));
        await ReadAsync(views, third); // 120 events kept, over the 100: down to 90 or less

        Assert.Equal((2, 80L), views.KeptSize);
        await RewriteStepsAsync(second);
        Assert.All((await ReadAsync(views, second))!.Taken, step => Assert.StartsWith("rewritten", step)); // read whole again

        _time.Advance(Options.KeepFor + TimeSpan.FromSeconds(1));
        var fourth = await StartCaseAsync(39);
        await ReadAsync(views, fourth);
        Assert.Equal((1, 40L), views.KeptSize);
    }

    private static List<string> StepsUpTo(int last) => [.. Enumerable.Range(1, last).Select(i => $"step-{i}")];

    private async Task<Guid> StartCaseAsync(int attempts)
    {
        var caseId = Guid.CreateVersion7();
        await using var session = _scratch.Store.LightweightSession();
        session.Events.StartStream(caseId, new CaseClosed(caseId, _time.GetUtcNow()));
        session.Events.Append(caseId, Enumerable.Range(1, attempts).Select(i => (object)Attempt(caseId, i)).ToArray());
        await session.SaveChangesAsync(Cancellation);
        return caseId;
    }

    private Task AttemptAsync(Guid caseId, params int[] steps) => AppendAsync(caseId, [.. steps.Select(i => (object)Attempt(caseId, i))]);

    private async Task AppendAsync(Guid caseId, params object[] events)
    {
        await using var session = _scratch.Store.LightweightSession();
        session.Events.Append(caseId, events);
        await session.SaveChangesAsync(Cancellation);
    }

    private ResolutionAttempted Attempt(Guid caseId, int step) => new(caseId, $"step-{step}", AttemptOutcome.Failed, "test", _time.GetUtcNow());

    private Task RewriteStepsAsync(Guid caseId) =>
        _scratch.ExecuteAsync($"UPDATE events.mt_events SET data = replace(data::text, '\"step-', '\"rewritten-')::jsonb WHERE stream_id = '{caseId}'", Cancellation);

    private async Task<Steps?> ReadAsync(CaseViews<Steps> views, Guid caseId)
    {
        await using var session = _scratch.Store.QuerySession();
        return await views.ReadAsync(session, caseId, Cancellation);
    }

    private async Task<Steps?> WholeAsync(Guid caseId)
    {
        await using var session = _scratch.Store.QuerySession();
        return await session.Events.AggregateStreamAsync<Steps>(caseId, token: Cancellation);
    }

    public async ValueTask InitializeAsync() => _scratch = await ScratchEventStore.CreateAsync(platform, "case_views", Cancellation);

    public async ValueTask DisposeAsync() => await _scratch.DisposeAsync();
}
