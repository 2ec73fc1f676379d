using System.Text.Json;
using Escalation.History.Feed;
using Escalation.History.Kpis;
using Escalation.ServiceDefaults;
using Marten;
using Npgsql;
using V1 = Escalation.Contracts.History.V1;

namespace Escalation.History.Cases;

/// <summary>Finds a case by id or reference, or fails with the gRPC error the caller should see.</summary>
public sealed class CaseLookup(IDocumentStore store, NpgsqlDataSource dataSource, StoredEventReader reader)
{
    public sealed record Found(Guid CaseId, string Reference);

    /// <summary>The case's id: parsed from a case id (no query; the caller reads the stream anyway), or looked up by reference.</summary>
    public async Task<Guid> IdOfAsync(V1.CaseRef? reference, CancellationToken cancellationToken) => reference?.CaseCase switch
    {
        V1.CaseRef.CaseOneofCase.CaseId => ParseId(reference.CaseId),
        V1.CaseRef.CaseOneofCase.Reference => (await ByReferenceAsync(reference.Reference, cancellationToken)).CaseId,
        _ => throw GrpcErrors.Invalid("case", "Give the case: case_id or reference."),
    };

    /// <summary>The case's id and reference, checking that it exists, for callers that read only part of the stream.</summary>
    public async Task<Found> FindAsync(string? caseId, string? reference, CancellationToken cancellationToken)
    {
        if (caseId is null)
        {
            return await ByReferenceAsync(reference, cancellationToken);
        }

        var id = ParseId(caseId);
        return FromFirstEvents(id, await reader.ReadCaseAsync(id, 0, 1, cancellationToken));
    }

    /// <summary>The case named by its first events (read from version 1), which a case that exists always has.</summary>
    public static Found FromFirstEvents(Guid caseId, IReadOnlyList<StoredEvent> fromVersionOne) => fromVersionOne.Count > 0
        ? new Found(caseId, ReferenceIn(fromVersionOne[0].DataJson))
        : throw GrpcErrors.NotFound($"Case {caseId} does not exist.");

    public static Guid ParseId(string caseId) =>
        Guid.TryParse(caseId, out var id) ? id : throw GrpcErrors.Invalid("case_id", "case_id is not a UUID.");

    private async Task<Found> ByReferenceAsync(string? reference, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            throw GrpcErrors.Invalid("reference", "reference is empty.");
        }

        reference = reference.Trim();
        await using var session = store.QuerySession();
        var record = await session.Query<CaseRecord>().Where(r => r.Reference == reference).Select(r => r.Id).ToListAsync(cancellationToken);
        if (record.Count > 0)
        {
            return new Found(record[0], reference);
        }

        // The case-records projection may not have reached a case opened a moment ago: ask the events themselves.
        await using var command = dataSource.CreateCommand(
            $"SELECT stream_id FROM {EventStore.EventsSchema}.mt_events WHERE version = 1 AND data ->> 'reference' = $1 LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reference });
        return await command.ExecuteScalarAsync(cancellationToken) is Guid found
            ? new Found(found, reference)
            : throw GrpcErrors.NotFound($"No case has reference {reference}.");
    }

    private static string ReferenceIn(string ticketOpenedJson)
    {
        using var document = JsonDocument.Parse(ticketOpenedJson);
        return document.RootElement.TryGetProperty("reference", out var value) ? value.GetString() ?? "" : "";
    }
}
