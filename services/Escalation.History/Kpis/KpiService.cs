using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;
using V1 = Escalation.Contracts.History.V1;

namespace Escalation.History.Kpis;

/// <summary>gRPC <c>Kpis</c>: the seeds' escalation KPIs over the case-records projection.</summary>
public sealed class KpiService(NpgsqlDataSource dataSource, EventProgression progression) : V1.Kpis.KpisBase
{
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);

    public override async Task<V1.GetKpisResponse> GetKpis(V1.GetKpisRequest request, ServerCallContext context)
    {
        var from = request.From?.ToDateTimeOffset() ?? throw GrpcErrors.Invalid("from", "from is required.");
        var to = request.To?.ToDateTimeOffset() ?? throw GrpcErrors.Invalid("to", "to is required.");
        if (to <= from || to - from > MaxRange)
        {
            throw GrpcErrors.Invalid("to", $"to must be after from and at most {MaxRange.TotalDays:0} days later.");
        }

        var grouping = ParseGrouping(request.GroupBy);
        // Read the position first: the records read next are at least that fresh.
        var position = await progression.ProjectionPositionAsync(CaseRecordProjection.ProjectionName, context.CancellationToken);
        var rows = await KpiReport.ComputeAsync(dataSource, from, to, grouping, KpiWork.OnDemand, context.CancellationToken);
        var response = new V1.GetKpisResponse { ProjectionPosition = position };
        response.Rows.AddRange(rows.Select(ToMessage));
        return response;
    }

    public static KpiGrouping ParseGrouping(string groupBy) => groupBy.Trim().ToLowerInvariant() switch
    {
        "" => KpiGrouping.All,
        "day" => KpiGrouping.Day,
        "team" => KpiGrouping.Team,
        "category" => KpiGrouping.Category,
        "channel" => KpiGrouping.Channel,
        _ => throw GrpcErrors.Invalid("group_by", "group_by must be one of day, team, category, channel (or empty)."),
    };

    private static V1.KpiRow ToMessage(KpiRow row)
    {
        var message = new V1.KpiRow
        {
            Key = row.Key,
            Cases = row.Cases,
            EscalatedCases = row.EscalatedCases,
            EscalationRate = row.EscalationRate,
            TimeToEscalationMean = Duration.FromTimeSpan(row.TimeToEscalationMean),
            TimeToEscalationP90 = Duration.FromTimeSpan(row.TimeToEscalationP90),
            ResolutionAfterEscalationMean = Duration.FromTimeSpan(row.ResolutionAfterEscalationMean),
            ResolutionAfterEscalationP90 = Duration.FromTimeSpan(row.ResolutionAfterEscalationP90),
            ResolvedCases = row.ResolvedCases,
            FirstContactResolutionRate = row.FirstContactResolutionRate,
            RepeatEscalationRate = row.RepeatEscalationRate,
        };
        message.SlaCompliance.AddRange(row.SlaCompliance.Select(m => new V1.SlaCompliance
        {
            Metric = m.Metric.ToString(), Met = m.Met, Breached = m.Breached, Rate = m.Rate,
        }));
        return message;
    }
}
