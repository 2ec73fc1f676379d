using Escalation.Contracts.Cases;
using Escalation.History.Cases.ReplayCase;
using Escalation.History.Feed;
using Escalation.SlaWatch.Engine;
using Escalation.Triage.Engine;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using JasperFx.Events;
using Marten;
using V1 = Escalation.Contracts.History.V1;

namespace Escalation.History.Cases;

/// <summary>gRPC <c>CaseHistory</c> (contracts/Escalation.Contracts/Protos/history.proto): one case's state, events, past and replay.</summary>
public sealed class CaseHistoryService(IDocumentStore store, CaseLookup lookup, StoredEventReader reader, SlaPolicy slaPolicy,
    TriageRulesLibrary rulesLibrary, TimeProvider time) : V1.CaseHistory.CaseHistoryBase
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public override async Task<V1.CaseSummary> GetCase(V1.GetCaseRequest request, ServerCallContext context)
    {
        var stream = await FetchAsync(request.Case, context.CancellationToken);
        return Summarize(stream, time.GetUtcNow());
    }

    public override async Task<V1.GetHistoryResponse> GetHistory(V1.GetHistoryRequest request, ServerCallContext context)
    {
        if (request.AfterVersion < 0)
        {
            throw GrpcErrors.Invalid("after_version", "after_version must not be negative.");
        }

        if (request.PageSize is < 0 or > MaxPageSize)
        {
            throw GrpcErrors.Invalid("page_size", $"page_size must be between 0 and {MaxPageSize}.");
        }

        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        CaseLookup.Found found;
        List<StoredEvent> events; // one more than asked tells whether the stream goes on
        if (request.CaseCase == V1.GetHistoryRequest.CaseOneofCase.CaseId && request.AfterVersion == 0)
        {
            // The first page starts with the event that names the reference: one query, not a lookup and then a read.
            var caseId = CaseLookup.ParseId(request.CaseId);
            events = await reader.ReadCaseAsync(caseId, 0, pageSize + 1, context.CancellationToken);
            found = CaseLookup.FromFirstEvents(caseId, events);
        }
        else
        {
            found = request.CaseCase switch
            {
                V1.GetHistoryRequest.CaseOneofCase.CaseId => await lookup.FindAsync(request.CaseId, null, context.CancellationToken),
                V1.GetHistoryRequest.CaseOneofCase.Reference => await lookup.FindAsync(null, request.Reference, context.CancellationToken),
                _ => throw GrpcErrors.Invalid("case", "Give case_id or reference."),
            };
            events = await reader.ReadCaseAsync(found.CaseId, request.AfterVersion, pageSize + 1, context.CancellationToken);
        }

        var page = events.Take(pageSize).ToList();
        var response = new V1.GetHistoryResponse
        {
            CaseId = found.CaseId.ToString(),
            Reference = found.Reference,
            NextAfterVersion = page.Count > 0 ? page[^1].Version : request.AfterVersion,
            EndOfStream = events.Count <= pageSize,
        };
        response.Events.AddRange(page.Select(e => e.ToMessage()));
        return response;
    }

    public override async Task<V1.CaseAsOf> GetCaseAsOf(V1.GetCaseAsOfRequest request, ServerCallContext context)
    {
        var stream = await FetchAsync(request.Case, context.CancellationToken);
        var reference = ReferenceOf(stream);
        var (prefix, measuredAt) = request.PointCase switch
        {
            V1.GetCaseAsOfRequest.PointOneofCase.Version when request.Version < 1 => throw GrpcErrors.Invalid("version", "version must be 1 or more."),
            V1.GetCaseAsOfRequest.PointOneofCase.Version when request.Version > stream[^1].Version =>
                throw GrpcErrors.NotFound($"Case {reference} has {stream[^1].Version} events; there is no version {request.Version}."),
            V1.GetCaseAsOfRequest.PointOneofCase.Version => (stream.TakeWhile(e => e.Version <= request.Version).ToList(),
                stream.Single(e => e.Version == request.Version).Timestamp),
            V1.GetCaseAsOfRequest.PointOneofCase.At => (stream.Where(e => e.Timestamp <= request.At.ToDateTimeOffset()).ToList(),
                request.At.ToDateTimeOffset()),
            _ => throw GrpcErrors.Invalid("point", "Give version or at."),
        };

        if (prefix.Count == 0)
        {
            throw GrpcErrors.NotFound($"Case {reference} was opened at {stream[0].Timestamp:O}, after {measuredAt:O}.");
        }

        return new V1.CaseAsOf { Summary = Summarize(prefix, measuredAt), MeasuredAt = Timestamp.FromDateTimeOffset(measuredAt) };
    }

    public override async Task<V1.ReplayCaseResponse> ReplayCase(V1.ReplayCaseRequest request, ServerCallContext context)
    {
        var rules = ChooseRules(request);
        var stream = await FetchAsync(request.Case, context.CancellationToken);
        var replay = TriageReplay.Run(stream, rules);
        var response = new V1.ReplayCaseResponse { CaseId = stream[0].StreamId.ToString(), Reference = ReferenceOf(stream), RulesVersion = replay.RulesVersion };
        response.Replayed.AddRange(replay.Replayed.Select(CaseMessages.ToMessage));
        response.Recorded.AddRange(replay.Recorded.Select(CaseMessages.ToMessage));
        response.Differences.AddRange(replay.Differences.Select(d => new V1.TriageDifference
        {
            StimulusEventId = d.StimulusEventId.ToString(),
            StimulusVersion = d.StimulusVersion,
            Recorded = d.Recorded is null ? null : CaseMessages.ToMessage(d.Recorded),
            Replayed = d.Replayed is null ? null : CaseMessages.ToMessage(d.Replayed),
        }));
        return response;
    }

    private TriageRules ChooseRules(V1.ReplayCaseRequest request)
    {
        var hasVersion = !string.IsNullOrWhiteSpace(request.RulesVersion);
        var hasDraft = !string.IsNullOrWhiteSpace(request.RulesJson);
        if (hasVersion == hasDraft)
        {
            throw GrpcErrors.Invalid("rules_version", "Give exactly one of rules_version and rules_json.");
        }

        if (hasVersion)
        {
            return rulesLibrary.Find(request.RulesVersion.Trim())
                ?? throw GrpcErrors.NotFound($"No triage rules version {request.RulesVersion}; known: {string.Join(", ", rulesLibrary.Versions)}.");
        }

        try
        {
            return TriageRules.Parse(request.RulesJson, "rules_json");
        }
        catch (Exception invalid) when (invalid is InvalidOperationException or System.Text.Json.JsonException)
        {
            throw GrpcErrors.Invalid("rules_json", invalid.Message);
        }
    }

    private async Task<IReadOnlyList<IEvent>> FetchAsync(V1.CaseRef? caseRef, CancellationToken cancellationToken)
    {
        var caseId = await lookup.IdOfAsync(caseRef, cancellationToken);
        await using var session = store.QuerySession();
        var stream = await session.Events.FetchStreamAsync(caseId, token: cancellationToken);
        return stream.Count > 0 ? stream : throw GrpcErrors.NotFound($"Case {caseId} does not exist.");
    }

    private static string ReferenceOf(IReadOnlyList<IEvent> stream) => (stream[0].Data as TicketOpened)?.Reference ?? "";

    private V1.CaseSummary Summarize(IReadOnlyList<IEvent> events, DateTimeOffset measuredAt)
    {
        var view = CaseView.Fold(events) ?? throw GrpcErrors.NotFound("The stream does not start with TicketOpened.");
        return CaseMessages.ToMessage(view, SlaAsOf.At(events, slaPolicy, measuredAt));
    }
}
