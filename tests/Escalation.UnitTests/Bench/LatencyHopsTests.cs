using Escalation.Bench.Measuring;

namespace Escalation.UnitTests.Bench;

/// <summary>The bench's hop split says which hop a run's slowest escalations spent their time in.</summary>
public sealed class LatencyHopsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>An escalation sent at <see cref="Start"/>, with each hop taking the given milliseconds.</summary>
    private static CaseTimeline Timeline(string contactId, int intake, int triage, int routing, int? notification)
    {
        var received = Start.AddMilliseconds(intake);
        var requested = received.AddMilliseconds(triage);
        var routed = requested.AddMilliseconds(routing);
        return new CaseTimeline(contactId, received, requested, routed, notification is { } n ? routed.AddMilliseconds(n) : null);
    }

    [Fact]
    public void Each_hop_is_measured_from_one_commit_to_the_next_and_the_tail_names_the_slow_hop()
    {
        // 99 escalations with quick hops, one whose routing hop took 900 ms: it alone is the slowest 1 %.
        var timelines = Enumerable.Range(0, 99).Select(i => Timeline($"c{i}", 10, 20, 30 + i % 5, 40))
            .Append(Timeline("slow", 10, 20, 900, 40))
            .ToList();
        var sentAt = timelines.ToDictionary(t => t.ContactId, _ => Start);

        var hops = LatencyHops.Of(timelines, sentAt);

        Assert.Equal(["intake", "relay + triage", "relay + routing", "relay + notification"], hops.Select(h => h.Covers));
        Assert.Equal([10, 20, 32, 40], hops.Select(h => h.Milliseconds.P50));
        Assert.Equal(900, hops[2].Milliseconds.Max);
        Assert.Equal([10, 20, 900, 40], hops.Select(h => h.InTailMedian));
    }

    [Fact]
    public void An_escalation_not_yet_notified_counts_in_every_hop_but_the_last()
    {
        var timelines = new[] { Timeline("told", 5, 5, 5, 7), Timeline("untold", 5, 5, 5, null) };
        var sentAt = timelines.ToDictionary(t => t.ContactId, _ => Start);

        var hops = LatencyHops.Of(timelines, sentAt);

        Assert.Equal([2, 2, 2, 1], hops.Select(h => h.Milliseconds.Count));
    }
}
