namespace Escalation.Bench.Measuring;

/// <summary>One hop of an escalation's journey: from one milestone's commit to the next one's, with the tail's share.</summary>
/// <param name="Milliseconds">The hop over every escalation that reached both milestones.</param>
/// <param name="InTailMedian">
/// The hop's median over the slowest 1 % of contact → routed (at least one escalation): which hop a run's tail came from.
/// </param>
public sealed record LatencyHop(string Name, string Covers, Distribution Milliseconds, double InTailMedian);

/// <summary>
/// Splits contact → routed → notified into the hops between the stored milestones. Each hop after intake starts when
/// the previous event was committed, so it includes the relay's delivery of that event as well as the consumer's work.
/// </summary>
public static class LatencyHops
{
    public static IReadOnlyList<LatencyHop> Of(IReadOnlyCollection<CaseTimeline> routed, IReadOnlyDictionary<string, DateTimeOffset> sentAt)
    {
        var hops = new (string Name, string Covers, Func<CaseTimeline, TimeSpan?> Took)[]
        {
            ("Contact → ContactReceived committed, escalating contacts", "intake", t => t.ReceivedAt - sentAt[t.ContactId]),
            ("ContactReceived → EscalationRequested", "relay + triage", t => t.EscalationRequestedAt - t.ReceivedAt),
            ("EscalationRequested → EscalationRouted", "relay + routing", t => t.RoutedAt - t.EscalationRequestedAt),
            ("EscalationRouted → NotificationSent", "relay + notification", t => t.NotifiedAt - t.RoutedAt),
        };

        var slowestFirst = routed.OrderByDescending(t => t.RoutedAt!.Value - sentAt[t.ContactId]).ToList();
        var tail = slowestFirst.Take(Math.Max(1, (int)Math.Ceiling(slowestFirst.Count * 0.01))).ToList();
        return hops.Select(hop => new LatencyHop(hop.Name, hop.Covers,
                Distribution.Of(Milliseconds(routed, hop.Took)),
                Distribution.Of(Milliseconds(tail, hop.Took)).P50))
            .ToList();
    }

    private static IEnumerable<double> Milliseconds(IEnumerable<CaseTimeline> timelines, Func<CaseTimeline, TimeSpan?> took) =>
        timelines.Select(took).OfType<TimeSpan>().Select(t => t.TotalMilliseconds);
}
