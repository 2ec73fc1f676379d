using System.Diagnostics;
using System.Text.Json;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.History.V1;
using Escalation.ServiceDefaults;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using JasperFx.Events;
using Marten;

namespace Escalation.History.Cases.GetHistory;

/// <summary>gRPC case history (contracts/Escalation.Contracts/Protos/history.proto).</summary>
public sealed class CaseHistoryService(IDocumentStore store) : CaseHistory.CaseHistoryBase
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public override async Task<GetHistoryResponse> GetHistory(GetHistoryRequest request, ServerCallContext context)
    {
        if (request.AfterVersion < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "after_version must not be negative."));
        }

        if (request.PageSize is < 0 or > MaxPageSize)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"page_size must be between 0 and {MaxPageSize}."));
        }

        await using var session = store.QuerySession();
        var caseId = await ResolveCaseIdAsync(session, request, context.CancellationToken);
        var stream = await session.Events.FetchStreamAsync(caseId, token: context.CancellationToken);
        if (stream.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"Case {caseId} does not exist."));
        }

        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        var page = stream.Where(e => e.Version > request.AfterVersion).Take(pageSize).ToList();
        var response = new GetHistoryResponse
        {
            CaseId = caseId.ToString(),
            Reference = stream.Select(e => e.Data).OfType<TicketOpened>().FirstOrDefault()?.Reference ?? "",
            NextAfterVersion = page.Count > 0 ? page[^1].Version : request.AfterVersion,
            EndOfStream = page.Count == 0 || page[^1].Version >= stream[^1].Version,
        };
        response.Events.AddRange(page.Select(ToMessage));
        return response;
    }

    private static async Task<Guid> ResolveCaseIdAsync(IQuerySession session, GetHistoryRequest request, CancellationToken cancellationToken)
    {
        switch (request.CaseCase)
        {
            case GetHistoryRequest.CaseOneofCase.CaseId:
                return Guid.TryParse(request.CaseId, out var caseId)
                    ? caseId
                    : throw new RpcException(new Status(StatusCode.InvalidArgument, "case_id is not a UUID."));
            case GetHistoryRequest.CaseOneofCase.Reference when !string.IsNullOrWhiteSpace(request.Reference):
                var opened = await session.Events.QueryRawEventDataOnly<TicketOpened>()
                    .Where(e => e.Reference == request.Reference.Trim())
                    .FirstOrDefaultAsync(cancellationToken);
                return opened?.CaseId
                    ?? throw new RpcException(new Status(StatusCode.NotFound, $"No case has reference {request.Reference}."));
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, "Give case_id or reference."));
        }
    }

    private static CaseEvent ToMessage(IEvent stored)
    {
        var message = new CaseEvent
        {
            EventId = stored.Id.ToString(),
            Type = stored.Data.GetType().Name,
            Version = stored.Version,
            GlobalPosition = stored.Sequence,
            Timestamp = Timestamp.FromDateTimeOffset(stored.Timestamp),
            CorrelationId = stored.CorrelationId ?? "",
            CausationId = stored.CausationId ?? "",
            Json = JsonSerializer.Serialize(stored.Data, stored.Data.GetType(), ContractJson.Options),
        };

        foreach (var (key, value) in stored.Headers ?? [])
        {
            message.Headers[key] = value?.ToString() ?? "";
        }

        message.Actor = message.Headers.GetValueOrDefault(EventHeaders.Actor, "");
        message.TraceId = ActivityContext.TryParse(message.Headers.GetValueOrDefault(EventHeaders.TraceParent), null, out var trace)
            ? trace.TraceId.ToString()
            : "";
        return message;
    }
}
