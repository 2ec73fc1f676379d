using System.Net.Http.Json;
using Escalation.Contracts.History.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Escalation.EndToEndTests;

/// <summary>KPIs from the case-records projection, and rebuilding it, over the real platform (issue 8).</summary>
public sealed class HistoryKpiTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);

    [Fact]
    public async Task KPIs_of_a_category_count_escalations_resolutions_and_first_contact_resolution_and_survive_a_rebuild()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var category = $"kpi-{Guid.NewGuid():N}"[..16];
        var escalated = (await _driver.PostAsync(PlatformDriver.CustomerContact($"{category}-esc", category, "人と話したいです"), null)).Body;
        var solved = (await _driver.PostAsync(PlatformDriver.CustomerContact($"{category}-fcr", category, "請求書の再発行をお願いします", channel: "Email"), null)).Body;
        await _driver.WaitForEventAsync(escalated.CaseId, "escalation_routed");
        await _driver.WaitForEventAsync(solved.CaseId, "sla_clock_started");
        using (var resolve = await platform.Intake.PostAsJsonAsync($"api/cases/{solved.CaseId}/resolve",
                   new { commandId = Guid.NewGuid(), resolution = "Reissued the invoice", resolvedBy = "agent-1" }, cancellation))
        {
            resolve.EnsureSuccessStatusCode();
        }

        var request = new GetKpisRequest
        {
            From = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
            To = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)),
            GroupBy = "category",
        };
        // Once every event of both cases is recorded and the projection has read up to them, the row is final.
        await _driver.WaitUntilSettledAsync(cancellation);
        var settled = (await platform.HistoryAdmin.ListProjectionsAsync(new ListProjectionsRequest(), cancellationToken: cancellation)).HighWaterMark;
        var row = await _driver.PollAsync(async () =>
        {
            var kpis = await platform.Kpis.GetKpisAsync(request, cancellationToken: cancellation);
            return kpis.ProjectionPosition >= settled ? kpis.Rows.Single(r => r.Key == category) : null;
        }, "the case-records projection never caught up");
        Assert.Equal((2, 1), (row.Cases, row.ResolvedCases));
        Assert.True(row.TimeToEscalationMean.ToTimeSpan() > TimeSpan.Zero);
        Assert.Contains(row.SlaCompliance, c => c.Metric == "FirstResponse" && c.Met >= 1);
        Assert.Equal(1, row.EscalatedCases);
        Assert.Equal(0.5, row.EscalationRate);
        Assert.Equal(1.0, row.FirstContactResolutionRate);
        Assert.Equal(0.0, row.RepeatEscalationRate);
        Assert.Equal(row.TimeToEscalationMean, row.TimeToEscalationP90);

        var projections = await platform.HistoryAdmin.ListProjectionsAsync(new ListProjectionsRequest(), cancellationToken: cancellation);
        Assert.Contains(projections.Projections, p => p.Name == "case-records" && p.Position > 0);

        // Only the instance that leads the relay runs projections; other tests start and stop History instances, so
        // the fixture's instance may be standing by for a moment, as any client may find it.
        var progress = await _driver.PollAsync(async () =>
        {
            var received = new List<RebuildProgress>();
            try
            {
                using var rebuild = platform.HistoryAdmin.RebuildProjection(new RebuildProjectionRequest { Name = "case-records" }, cancellationToken: cancellation);
                while (await rebuild.ResponseStream.MoveNext(cancellation))
                {
                    received.Add(rebuild.ResponseStream.Current);
                }

                return received;
            }
            catch (RpcException standby) when (standby.StatusCode == StatusCode.FailedPrecondition)
            {
                return null;
            }
        }, "the History instance never led the relay");

        var done = Assert.Single(progress, p => p.Done);
        Assert.Same(done, progress[^1]);
        Assert.True(done.Position >= done.Target && done.Target > 0);
        var rebuilt = (await platform.Kpis.GetKpisAsync(request, cancellationToken: cancellation)).Rows.Single(r => r.Key == category);
        Assert.Equal(row, rebuilt);

        // The projection keeps running after the rebuild: a new case is counted.
        await _driver.PostAsync(PlatformDriver.CustomerContact($"{category}-later", category, "領収書をください", channel: "Email"), null);
        await _driver.PollAsync(async () =>
            (await platform.Kpis.GetKpisAsync(request, cancellationToken: cancellation)).Rows.FirstOrDefault(r => r.Key == category && r.Cases == 3),
            "a case opened after the rebuild was never counted");
    }

    [Fact]
    public async Task Bad_KPI_requests_and_unknown_projections_are_refused()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var now = DateTimeOffset.UtcNow;
        var group = await Assert.ThrowsAsync<RpcException>(() => platform.Kpis.GetKpisAsync(new GetKpisRequest
        {
            From = Timestamp.FromDateTimeOffset(now.AddDays(-1)), To = Timestamp.FromDateTimeOffset(now), GroupBy = "weekday",
        }, cancellationToken: cancellation).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "group_by"), (group.StatusCode, group.Trailers.GetValue("field")));
        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            platform.Kpis.GetKpisAsync(new GetKpisRequest { To = Timestamp.FromDateTimeOffset(now) }, cancellationToken: cancellation).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "from"), (missing.StatusCode, missing.Trailers.GetValue("field")));
        var backwards = await Assert.ThrowsAsync<RpcException>(() => platform.Kpis.GetKpisAsync(new GetKpisRequest
        {
            From = Timestamp.FromDateTimeOffset(now), To = Timestamp.FromDateTimeOffset(now.AddDays(-1)),
        }, cancellationToken: cancellation).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "to"), (backwards.StatusCode, backwards.Trailers.GetValue("field")));

        using var rebuild = platform.HistoryAdmin.RebuildProjection(new RebuildProjectionRequest { Name = "nope" }, cancellationToken: cancellation);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => rebuild.ResponseStream.MoveNext(cancellation));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }
}
