using Escalation.ServiceDefaults;
using Microsoft.Extensions.Time.Testing;

namespace Escalation.UnitTests;

public sealed class WakeSignalTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly WakeSignal _signal = new();

    private Task Sleep(TimeSpan delay) => _signal.SleepAsync(Now + delay, delay, _time, TestContext.Current.CancellationToken);

    [Fact]
    public async Task One_announcement_wakes_one_sleeping_worker_and_a_second_wakes_the_next()
    {
        var first = Sleep(TimeSpan.FromSeconds(1));
        var second = Sleep(TimeSpan.FromSeconds(1));

        Assert.Equal(2, _signal.Sleeping);

        _signal.Wake(Now);
        Assert.Equal(1, _signal.Sleeping);
        await Task.WhenAny(first, second).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        _signal.Wake(Now);
        Assert.Equal(0, _signal.Sleeping);
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Work_due_after_a_worker_means_to_wake_anyway_does_not_wake_it()
    {
        var sleeping = Sleep(TimeSpan.FromMilliseconds(250));

        _signal.Wake(Now + TimeSpan.FromSeconds(10));
        Assert.Equal(1, _signal.Sleeping);

        _time.Advance(TimeSpan.FromMilliseconds(250));
        await sleeping.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task An_announcement_while_every_worker_is_busy_is_heard_by_the_next_to_sleep_once()
    {
        _signal.Wake(Now);

        await Sleep(TimeSpan.FromSeconds(1)).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        var next = Sleep(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _signal.Sleeping);

        _time.Advance(TimeSpan.FromSeconds(1));
        await next.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }
}
