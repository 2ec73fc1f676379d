using System.Diagnostics;
using System.Text.Json;
using Escalation.Contracts;
using Escalation.ServiceDefaults;
using Marten;
using Npgsql;
using V1 = Escalation.Contracts.History.V1;

namespace Escalation.History.Feed;

/// <summary>One row of the events table as stored: the payload and headers stay JSON text, never deserialized.</summary>
public sealed record StoredEvent(long Position, Guid Id, Guid CaseId, long Version, string Type, DateTimeOffset Timestamp,
    string? CorrelationId, string? CausationId, string? HeadersJson, string DataJson)
{
    public V1.CaseEvent ToMessage()
    {
        var message = new V1.CaseEvent
        {
            EventId = Id.ToString(),
            CaseId = CaseId.ToString(),
            Type = Type,
            Version = Version,
            GlobalPosition = Position,
            Timestamp = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(Timestamp),
            CorrelationId = CorrelationId ?? "",
            CausationId = CausationId ?? "",
            Json = DataJson,
        };

        if (HeadersJson is not null)
        {
            using var headers = JsonDocument.Parse(HeadersJson);
            if (headers.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var header in headers.RootElement.EnumerateObject())
                {
                    message.Headers[header.Name] = header.Value.ValueKind == JsonValueKind.String ? header.Value.GetString()! : header.Value.GetRawText();
                }
            }
        }

        message.Actor = message.Headers.GetValueOrDefault(EventHeaders.Actor, "");
        message.TraceId = ActivityContext.TryParse(message.Headers.GetValueOrDefault(EventHeaders.TraceParent), null, out var trace)
            ? trace.TraceId.ToString()
            : "";
        return message;
    }
}

/// <summary>Event type names (<c>EscalationRouted</c>) and the aliases Marten stores them under (<c>escalation_routed</c>).</summary>
public sealed class EventTypeNames
{
    private readonly Dictionary<string, string> _nameByAlias;
    private readonly Dictionary<string, string> _aliasByName;

    public EventTypeNames(IDocumentStore store)
    {
        var events = ((DocumentStore)store).Events;
        _nameByAlias = CaseEventCatalog.All.ToDictionary(t => events.EventMappingFor(t).EventTypeName, t => t.Name, StringComparer.Ordinal);
        _aliasByName = _nameByAlias.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }

    public string NameOf(string alias) => _nameByAlias.GetValueOrDefault(alias, alias);

    public string? AliasOf(string name) => _aliasByName.GetValueOrDefault(name);

    public IEnumerable<string> Names => _aliasByName.Keys;
}

/// <summary>Keyset reads of the events table (PostgreSQL, read committed): by global position or by case stream.</summary>
public sealed class StoredEventReader(NpgsqlDataSource dataSource, EventTypeNames names)
{
    private const string Columns = "seq_id, id, stream_id, version, type, timestamp, correlation_id, causation_id, headers::text, data::text";
    private static readonly string Table = $"{EventStore.EventsSchema}.mt_events";

    /// <summary>Events with <paramref name="after"/> &lt; position ≤ <paramref name="upTo"/>, in position order, of the given aliases (all when null).</summary>
    public Task<List<StoredEvent>> ReadRangeAsync(long after, long upTo, IReadOnlyCollection<string>? aliases, int limit, CancellationToken cancellationToken)
    {
        var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM {Table} WHERE seq_id > $1 AND seq_id <= $2 {(aliases is null ? "" : "AND type = ANY($4)")} ORDER BY seq_id LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = upTo });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        if (aliases is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = aliases.ToArray() });
        }

        return ReadAsync(command, cancellationToken);
    }

    /// <summary>Events of the given cases below a position, of the given aliases, in position order.</summary>
    public Task<List<StoredEvent>> ReadCasesBeforeAsync(IReadOnlyCollection<Guid> caseIds, long before, IReadOnlyCollection<string> aliases,
        CancellationToken cancellationToken)
    {
        var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM {Table} WHERE stream_id = ANY($1) AND seq_id < $2 AND type = ANY($3) ORDER BY seq_id");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = caseIds.ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = before });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = aliases.ToArray() });
        return ReadAsync(command, cancellationToken);
    }

    /// <summary>One case's events after a stream version, in version order.</summary>
    public Task<List<StoredEvent>> ReadCaseAsync(Guid caseId, long afterVersion, int limit, CancellationToken cancellationToken)
    {
        var command = dataSource.CreateCommand($"SELECT {Columns} FROM {Table} WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterVersion });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return ReadAsync(command, cancellationToken);
    }

    private async Task<List<StoredEvent>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command)
        {
            var events = new List<StoredEvent>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                events.Add(new StoredEvent(
                    reader.GetInt64(0),
                    reader.GetGuid(1),
                    reader.GetGuid(2),
                    reader.GetInt64(3),
                    names.NameOf(reader.GetString(4)),
                    reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.GetString(9)));
            }

            return events;
        }
    }
}
