using Npgsql;

namespace Escalation.Bench.Measuring;

/// <summary>When one benchmark contact's case reached each milestone, as recorded on its stream (database clock).</summary>
public sealed record CaseTimeline(string ContactId, DateTimeOffset ReceivedAt, DateTimeOffset? EscalationRequestedAt, DateTimeOffset? RoutedAt, DateTimeOffset? NotifiedAt)
{
    /// <summary>Routed and the customer told: the end of an escalation's journey through the pipeline.</summary>
    public DateTimeOffset? CompletedAt => RoutedAt is { } routed && NotifiedAt is { } notified ? (routed > notified ? routed : notified) : null;
}

/// <summary>
/// Reads a run's results from the event store. Every query is bounded below by the global position at the run's
/// start (an index range on seq_id), so a large store does not slow the probes down.
/// </summary>
public sealed class EventStore(NpgsqlDataSource dataSource)
{
    public async Task<long> HighestPositionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT coalesce(max(seq_id), 0) FROM events.mt_events");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The position the furthest-behind subscription (the relay, History's projections) has read up to. A
    /// subscription that has not published an event yet may leave the queues empty while it still has work to do.
    /// </summary>
    public async Task<long> SlowestSubscriptionPositionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT coalesce(min(last_seq_id), 0) FROM events.mt_event_progression WHERE name NOT LIKE 'HighWater%'");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Contacts of the run (contact ids starting with <paramref name="runId"/>) recorded on case streams, and when the
    /// last of them was committed.
    /// </summary>
    public async Task<(long Count, DateTimeOffset? LastAt)> ContactsRecordedAsync(long after, string runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT count(*), max(timestamp) FROM events.mt_events WHERE seq_id > $1 AND type = 'contact_received' AND data->>'contactId' LIKE $2");
        command.Parameters.AddWithValue(after);
        command.Parameters.AddWithValue(runId + "-%");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
    }

    /// <summary>Cases with a <c>NotificationSent</c> at a position in (<paramref name="after"/>, <paramref name="upTo"/>].</summary>
    public async Task<IReadOnlyList<Guid>> CasesNotifiedAsync(long after, long upTo, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT DISTINCT stream_id FROM events.mt_events WHERE seq_id > $1 AND seq_id <= $2 AND type = 'notification_sent'");
        command.Parameters.AddWithValue(after);
        command.Parameters.AddWithValue(upTo);
        var cases = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            cases.Add(reader.GetGuid(0));
        }

        return cases;
    }

    public async Task<IReadOnlyList<CaseTimeline>> TimelinesAsync(long after, string runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH contacts AS (
              SELECT stream_id, data->>'contactId' AS contact_id, timestamp AS received_at
              FROM events.mt_events
              WHERE seq_id > $1 AND type = 'contact_received' AND data->>'contactId' LIKE $2)
            SELECT c.contact_id, c.received_at,
                   min(e.timestamp) FILTER (WHERE e.type = 'escalation_requested'),
                   min(e.timestamp) FILTER (WHERE e.type = 'escalation_routed'),
                   min(e.timestamp) FILTER (WHERE e.type = 'notification_sent')
            FROM contacts c JOIN events.mt_events e ON e.stream_id = c.stream_id
            GROUP BY c.contact_id, c.received_at
            """);
        command.Parameters.AddWithValue(after);
        command.Parameters.AddWithValue(runId + "-%");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var timelines = new List<CaseTimeline>();
        while (await reader.ReadAsync(cancellationToken))
        {
            timelines.Add(new CaseTimeline(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1),
                NullableTime(reader, 2), NullableTime(reader, 3), NullableTime(reader, 4)));
        }

        return timelines;
    }

    /// <summary>Events in the global order from <paramref name="after"/>, read the way a raw consumer would: keyset pages.</summary>
    public async Task<long> ReadKeysetAsync(long after, long through, int pageSize, CancellationToken cancellationToken)
    {
        long read = 0;
        var position = after;
        while (position < through)
        {
            await using var command = dataSource.CreateCommand("""
                SELECT seq_id, id, stream_id, version, type, data, timestamp, headers
                FROM events.mt_events WHERE seq_id > $1 AND seq_id <= $2 ORDER BY seq_id LIMIT $3
                """);
            command.Parameters.AddWithValue(position);
            command.Parameters.AddWithValue(through);
            command.Parameters.AddWithValue(pageSize);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                position = reader.GetInt64(0);
                _ = reader.GetString(5); // the payload is read, as a consumer would
                rows++;
            }

            if (rows == 0) break;
            read += rows;
        }

        return read;
    }

    public async Task<long> EventCountAsync(Guid streamId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM events.mt_events WHERE stream_id = $1");
        command.Parameters.AddWithValue(streamId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
