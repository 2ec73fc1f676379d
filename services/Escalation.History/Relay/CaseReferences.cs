using System.Collections.Concurrent;
using Escalation.Contracts.Cases;
using Escalation.ServiceDefaults;
using JasperFx.Events;
using Npgsql;

namespace Escalation.History.Relay;

/// <summary>
/// Case id → reference (<c>ESC-…</c>) for the relay's <see cref="CaseTelemetry.ReferenceHeader"/>: learned from each
/// <see cref="TicketOpened"/> the relay passes, and read from the events table, one query per page, for cases opened
/// before this instance started relaying.
/// </summary>
public sealed class CaseReferences(NpgsqlDataSource dataSource)
{
    /// <summary>Past this many cases the memory starts over (a case's later events are usually close to its opening).</summary>
    public const int Capacity = 200_000;

    private readonly ConcurrentDictionary<Guid, string> _references = new();

    public string? Of(Guid caseId) => _references.GetValueOrDefault(caseId);

    public async Task LearnAsync(IReadOnlyList<IEvent> events, CancellationToken cancellationToken)
    {
        if (_references.Count > Capacity)
        {
            _references.Clear();
        }

        foreach (var @event in events)
        {
            if (@event.Data is TicketOpened opened)
            {
                _references[opened.CaseId] = opened.Reference;
            }
        }

        var unknown = events.Select(e => e.StreamId).Distinct().Where(id => !_references.ContainsKey(id)).ToArray();
        if (unknown.Length == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand(
            $"SELECT stream_id, data ->> 'reference' FROM {EventStore.EventsSchema}.mt_events WHERE stream_id = ANY($1) AND version = 1");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = unknown });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!await reader.IsDBNullAsync(1, cancellationToken))
            {
                _references[reader.GetGuid(0)] = reader.GetString(1);
            }
        }
    }
}
