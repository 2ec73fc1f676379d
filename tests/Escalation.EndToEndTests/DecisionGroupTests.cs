using System.Text.Json;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>
/// Triage and SLA-watch decide on case events in group commits (CaseDecisionGroups): a burst of cases is decided in
/// fewer transactions than cases, yet each case exactly once, caused by its own stimulus, on its own trace.
/// </summary>
public sealed class DecisionGroupTests(PlatformFixture platform)
{
    private const int Cases = 60;
    private readonly PlatformDriver _driver = new(platform);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private sealed record StoredEvent(Guid Id, Guid CaseId, string Type, string? ContactId, string? CausationId, string TraceId, string Transaction, string? Metric)
    {
        public bool OpensCaseClock => Type == "sla_clock_started" && Metric is "FirstResponse" or "Resolution";
    }

    [Fact]
    public async Task A_burst_of_escalating_cases_is_decided_once_per_case_on_its_own_trace_in_shared_commits()
    {
        var run = $"groups-{Guid.NewGuid():N}"[..15];
        var traces = Enumerable.Range(0, Cases).ToDictionary(i => $"{run}-{i}", _ => Guid.NewGuid().ToString("N"));
        await _driver.PublishBytesAsync(traces.Select(contact =>
        {
            var body = PlatformDriver.CustomerContact(contact.Key, "billing", "カードに身に覚えのない請求があります。不正利用だと思います。");
            return (JsonSerializer.SerializeToUtf8Bytes(body),
                (IDictionary<string, object?>)new Dictionary<string, object?> { ["traceparent"] = $"00-{contact.Value}-{contact.Value[..16]}-01" });
        }));

        var events = await _driver.PollAsync(async () =>
        {
            var stored = await EventsOfRunAsync(run);
            var decided = stored.Count(e => e.Type == "escalation_requested") == Cases && stored.Count(e => e.OpensCaseClock) == 2 * Cases;
            return decided ? stored : null;
        }, "triage and SLA-watch did not decide on every case of the burst");
        await _driver.WaitUntilSettledAsync(Cancellation); // nothing more may come: a second decision would be a duplicate

        events = await EventsOfRunAsync(run);
        var requested = events.Where(e => e.Type == "escalation_requested").ToList();
        var started = events.Where(e => e.OpensCaseClock).ToList();
        Assert.Equal(Cases, requested.Select(e => e.CaseId).Distinct().Count());
        Assert.Equal(Cases, requested.Count);
        Assert.Equal(2 * Cases, started.Count);
        foreach (var caseEvents in events.GroupBy(e => e.CaseId))
        {
            var received = Assert.Single(caseEvents, e => e.Type == "contact_received");
            var opened = Assert.Single(caseEvents, e => e.Type == "ticket_opened");
            var traceId = traces[received.ContactId!];

            // Triage decided on the contact, SLA-watch on the opening, each on the trace the contact was sent on.
            var escalation = Assert.Single(caseEvents, e => e.Type == "escalation_requested");
            Assert.Equal(received.Id.ToString(), escalation.CausationId);
            Assert.Equal(traceId, escalation.TraceId);
            Assert.All(caseEvents.Where(e => e.OpensCaseClock), clock =>
            {
                Assert.Equal(opened.Id.ToString(), clock.CausationId);
                Assert.Equal(traceId, clock.TraceId);
            });

            // Routed cases: SLA-watch's acknowledgement clock, caused by the routing and on the same trace.
            if (caseEvents.SingleOrDefault(e => e.Type == "escalation_routed") is { } routed)
            {
                var acknowledgement = Assert.Single(caseEvents, e => e.Type == "sla_clock_started" && e.Metric == "EscalationAcknowledgement");
                Assert.Equal(routed.Id.ToString(), acknowledgement.CausationId);
                Assert.Equal(traceId, acknowledgement.TraceId);
            }
        }

        // Fewer transactions than cases, for each service's decisions.
        Assert.InRange(requested.Select(e => e.Transaction).Distinct().Count(), 1, Cases - 1);
        Assert.InRange(started.Select(e => e.Transaction).Distinct().Count(), 1, Cases - 1);
    }

    private async Task<List<StoredEvent>> EventsOfRunAsync(string run)
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var query = new NpgsqlCommand(
            "SELECT e.id, e.stream_id, e.type, e.data->>'contactId', e.causation_id, coalesce(e.headers->>'traceparent', ''), e.xmin::text, e.data->>'metric' " +
            "FROM events.mt_events e WHERE e.stream_id IN (SELECT stream_id FROM events.mt_events " +
            "WHERE type = 'contact_received' AND data->>'contactId' LIKE @run)", connection);
        query.Parameters.AddWithValue("run", $"{run}-%");
        await using var reader = await query.ExecuteReaderAsync(Cancellation);
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(Cancellation))
        {
            var traceParent = reader.GetString(5);
            events.Add(new StoredEvent(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), traceParent.Length > 0 ? traceParent.Split('-')[1] : "", reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        }

        return events;
    }
}
