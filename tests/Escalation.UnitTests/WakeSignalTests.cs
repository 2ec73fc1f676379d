using Escalation.ServiceDefaults;
using Microsoft.Extensions.Time.Testing;

namespace Escalation.UnitTests;

public sealed class WakeSignalTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan LongestSleep = TimeSpan.FromMilliseconds(250);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly WakeSignal _signal;

    public WakeSignalTests() => _signal = new WakeSignal(_time, LongestSleep);

    public void Dispose() => _signal.Dispose();

    private Task Sleep(DateTimeOffset? nextDue = null, CancellationToken? cancellation = null) =>
        _signal.SleepAsync(nextDue, cancellation ?? TestContext.Current.CancellationToken);

    private static Task Within(Task task) => task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

    [Fact]
    public async Task One_announcement_wakes_one_sleeping_worker_and_a_second_wakes_the_next()
    {
        var first = Sleep();
        var second = Sleep();

        Assert.Equal(2, _signal.Sleeping);

        _signal.Wake(Now);
        Assert.Equal(1, _signal.Sleeping);
        await Within(Task.WhenAny(first, second));

        _signal.Wake(Now);
        Assert.Equal(0, _signal.Sleeping);
        await Within(Task.WhenAll(first, second));
    }

    [Fact]
    public async Task Work_due_after_the_deadline_does_not_wake_anyone_before_it()
    {
        var sleeping = Sleep();

        _signal.Wake(Now + TimeSpan.FromSeconds(10));
        Assert.Equal(1, _signal.Sleeping);

        _time.Advance(LongestSleep);
        await Within(sleeping);
    }

    [Fact]
    public async Task An_announcement_while_every_worker_is_busy_is_heard_by_the_next_to_sleep_once()
    {
        _signal.Wake(Now);

        await Within(Sleep());
        var next = Sleep();
        Assert.Equal(1, _signal.Sleeping);

        _time.Advance(LongestSleep);
        await Within(next);
    }

    [Fact]
    public async Task Idle_workers_take_turns_at_the_deadline_instead_of_all_polling_at_once()
    {
        var sleepers = Enumerable.Range(0, 6).Select(_ => Sleep()).ToList();

        _time.Advance(LongestSleep);
        await Within(Task.WhenAny(sleepers));
        Assert.Equal(5, _signal.Sleeping);
        Assert.Equal(Now + 2 * LongestSleep, _signal.Deadline);

        _time.Advance(LongestSleep);
        Assert.Equal(4, _signal.Sleeping);
    }

    [Fact]
    public async Task A_worker_that_knows_of_sooner_work_brings_the_shared_deadline_forward()
    {
        var idle = Sleep();
        var soon = Now + TimeSpan.FromMilliseconds(40);
        var knowing = Sleep(soon);
        Assert.Equal(soon, _signal.Deadline);

        _time.Advance(TimeSpan.FromMilliseconds(40));
        await Within(knowing);
        Assert.False(idle.IsCompleted);
        Assert.Equal(Now + LongestSleep, _signal.Deadline); // the idle worker's own longest sleep still stands
    }

    [Fact]
    public async Task Work_known_to_be_due_already_means_no_sleep()
    {
        await Within(Sleep(Now - TimeSpan.FromSeconds(1)));
        Assert.Equal(0, _signal.Sleeping);
        Assert.Null(_signal.Deadline);
    }

    [Fact]
    public async Task A_cancelled_sleeper_returns_and_the_last_one_out_clears_the_deadline()
    {
        using var stopping = new CancellationTokenSource();
        var sleeping = Sleep(cancellation: stopping.Token);

        await stopping.CancelAsync();
        await Within(sleeping);
        Assert.Equal(0, _signal.Sleeping);
        Assert.Null(_signal.Deadline);
    }
}
