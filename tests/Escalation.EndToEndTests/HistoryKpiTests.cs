using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Escalation.Contracts.History.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;

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
        var progress = await _driver.PollAsync(() => RebuildCaseRecordsAsync(cancellation), "the History instance never led the relay");

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

    /// <summary>
    /// Two operators rebuilding case-records at once: both rebuilds finish, and afterwards the projection is running
    /// and every case's record is there.
    /// </summary>
    [Fact]
    public async Task Two_rebuilds_at_once_both_finish_and_leave_every_record_in_place()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (conversation, caseId) = await OpenEmailCaseAsync("rebuilds", "領収書をください");
        await _driver.WaitUntilSettledAsync(cancellation);

        var both = await _driver.PollAsync(async () => await Task.WhenAll(RebuildCaseRecordsAsync(cancellation), RebuildCaseRecordsAsync(cancellation))
            is var runs && runs.All(r => r is not null) ? runs : null, "the History instance never led the relay");
        Assert.All(both, progress => Assert.True(progress!.Single(p => p.Done) is var done && done.Position >= done.Target));

        // New events still reach the projection, and the case opened before the rebuilds has its record.
        var later = (await _driver.PostAsync(PlatformDriver.CustomerContact($"{conversation}-later", "billing", "追加です", channel: "Email"), null)).Body.CaseId;
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(cancellation);
        await _driver.PollAsync(async () =>
        {
            await using var count = new NpgsqlCommand("SELECT count(*) FROM history.mt_doc_caserecord WHERE id = ANY(@ids)", connection);
            count.Parameters.AddWithValue("ids", new[] { caseId, later });
            return (long)(await count.ExecuteScalarAsync(cancellation))! == 2 ? "both" : null;
        }, "a case's record was missing after two rebuilds at once");
    }

    /// <summary>
    /// The projection reads only the event types a case record folds: a case's later contact (not folded) leaves its
    /// record as it was, while its resolution (folded) rewrites it.
    /// </summary>
    [Fact]
    public async Task A_case_record_is_rewritten_only_by_events_it_folds()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (conversation, caseId) = await OpenEmailCaseAsync("records", "請求書の再発行をお願いします");
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(cancellation);

        async Task<(long Version, string Data)> RecordOnceCaughtUpAsync()
        {
            await _driver.WaitUntilSettledAsync(cancellation);
            var settled = (await platform.HistoryAdmin.ListProjectionsAsync(new ListProjectionsRequest(), cancellationToken: cancellation)).HighWaterMark;

            // Other test classes rebuild case-records, which empties the records for a moment: read once caught up and present.
            var record = await _driver.PollAsync(async () =>
            {
                var caughtUp = (await platform.HistoryAdmin.ListProjectionsAsync(new ListProjectionsRequest(), cancellationToken: cancellation)).Projections
                    .Any(p => p.Name == "case-records" && p.Position >= settled);
                await using var read = new NpgsqlCommand("SELECT mt_version, data::text FROM history.mt_doc_caserecord WHERE id = @id", connection);
                read.Parameters.AddWithValue("id", caseId);
                await using var reader = await read.ExecuteReaderAsync(cancellation);
                return caughtUp && await reader.ReadAsync(cancellation) ? Tuple.Create(reader.GetInt64(0), reader.GetString(1)) : null;
            }, "the case-records projection never caught up with the case");
            return (record.Item1, record.Item2);
        }

        var opened = await RecordOnceCaughtUpAsync();
        await _driver.PostAsync(PlatformDriver.CustomerContact($"{conversation}-2", "billing", "追加の質問です", channel: "Email", conversationId: conversation), null);
        await _driver.WaitForEventAsync(caseId, "contact_received", e => e.GetProperty("contactId").GetString() == $"{conversation}-2");
        Assert.Equal(opened, await RecordOnceCaughtUpAsync());

        using (var resolve = await platform.Intake.PostAsJsonAsync($"api/cases/{caseId}/resolve",
                   new { commandId = Guid.NewGuid(), resolution = "Reissued the invoice", resolvedBy = "agent-1" }, cancellation))
        {
            resolve.EnsureSuccessStatusCode();
        }

        var resolved = await RecordOnceCaughtUpAsync();
        Assert.NotEqual(opened.Version, resolved.Version);
        Assert.NotNull(JsonNode.Parse(resolved.Data)!["firstResolvedAt"]);
    }

    /// <summary>
    /// The database computes the KPIs: records with known times (written as the projection stores them, on a day of
    /// their own in the past) give exact means, nearest-rank p90s, rates, compliance and group keys.
    /// </summary>
    [Fact]
    public async Task KPIs_are_exact_over_records_with_known_times_in_every_grouping()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var day = new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(Random.Shared.Next(0, 9000));
        var opened = day.AddHours(10);
        var (breached, met) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString))
        {
            await connection.OpenAsync(cancellation);
            await using (var clear = new NpgsqlCommand("DELETE FROM history.mt_doc_caserecord WHERE opened_at >= @from AND opened_at < @to", connection))
            {
                clear.Parameters.AddWithValue("from", day);
                clear.Parameters.AddWithValue("to", day.AddDays(1));
                await clear.ExecuteNonQueryAsync(cancellation);
            }

            // Escalated twice (first routed after 3 minutes, resolved 60 minutes after the first request, its first-response clock
            // breached); escalated once (routed after 5 minutes, clock met); resolved without escalation; still open.
            await SeedAsync(connection, "ESC-K1", "billing", "Chat", 2, 1, 3, "team-a", 61, new() { [breached] = ("FirstResponse", false) });
            await SeedAsync(connection, "ESC-K2", "billing", "Chat", 1, 0, 5, "team-a", null, new() { [met] = ("FirstResponse", true) });
            await SeedAsync(connection, "ESC-K3", "billing", "Chat", 0, null, null, null, 2, []);
            await SeedAsync(connection, "ESC-K4", "returns", "Email", 0, null, null, null, null, []);
        }

        async Task<List<KpiRow>> Kpis(string groupBy) => [.. (await platform.Kpis.GetKpisAsync(new GetKpisRequest
        {
            From = Timestamp.FromDateTimeOffset(day), To = Timestamp.FromDateTimeOffset(day.AddDays(1)), GroupBy = groupBy,
        }, cancellationToken: cancellation)).Rows];

        var all = Assert.Single(await Kpis(""));
        Assert.Equal(("all", 4, 2, 0.5, 2, 0.5, 0.5), (all.Key, all.Cases, all.EscalatedCases, all.EscalationRate, all.ResolvedCases,
            all.FirstContactResolutionRate, all.RepeatEscalationRate));
        Assert.Equal(TimeSpan.FromMinutes(4), all.TimeToEscalationMean.ToTimeSpan()); // 3 and 5 minutes
        Assert.Equal(TimeSpan.FromMinutes(5), all.TimeToEscalationP90.ToTimeSpan());
        Assert.Equal(TimeSpan.FromMinutes(60), all.ResolutionAfterEscalationMean.ToTimeSpan());
        Assert.Equal(TimeSpan.FromMinutes(60), all.ResolutionAfterEscalationP90.ToTimeSpan());
        var compliance = Assert.Single(all.SlaCompliance);
        Assert.Equal(("FirstResponse", 1, 1, 0.5), (compliance.Metric, compliance.Met, compliance.Breached, compliance.Rate));

        var byTeam = await Kpis("team");
        Assert.Equal(["(unrouted)", "team-a"], byTeam.Select(row => row.Key));
        Assert.Equal((2, 1, 0.0, 2, 2), (byTeam[0].Cases, byTeam[0].ResolvedCases, byTeam[0].EscalationRate, byTeam[1].Cases, byTeam[1].EscalatedCases));
        Assert.Empty(byTeam[0].SlaCompliance);
        Assert.Equal(["billing", "returns"], (await Kpis("category")).Select(row => row.Key));
        Assert.Equal(["Chat", "Email"], (await Kpis("channel")).Select(row => row.Key));
        Assert.Equal([day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)], (await Kpis("day")).Select(row => row.Key));

        async Task SeedAsync(NpgsqlConnection connection, string reference, string category, string channel, int escalations, int? requestedAfter,
            int? routedAfter, string? team, int? resolvedAfter, Dictionary<Guid, (string Metric, bool Met)> clocks)
        {
            string? At(int? minutes) => minutes is { } m ? opened.AddMinutes(m).ToString("O") : null;
            var record = new JsonObject
            {
                ["id"] = Guid.NewGuid(), ["reference"] = reference, ["channel"] = channel, ["category"] = category, ["openedAt"] = opened.ToString("O"),
                ["escalations"] = escalations, ["firstEscalationRequestedAt"] = At(requestedAfter), ["firstRoutedAt"] = At(routedAfter),
                ["firstTeam"] = team, ["firstResolvedAt"] = At(resolvedAfter),
                ["clocks"] = new JsonObject(clocks.Select(c => KeyValuePair.Create(c.Key.ToString(),
                    (JsonNode?)new JsonObject { ["metric"] = c.Value.Metric, ["met"] = c.Value.Met }))),
            };
            // The columns Marten keeps beside the JSON. ESC-K1's clock count is left empty, as on a record written before
            // that column existed (Marten's migration fills new columns from the JSON, which had no clock count).
            await using var insert = new NpgsqlCommand(
                "INSERT INTO history.mt_doc_caserecord (id, data, mt_dotnet_type, opened_at, reference, escalations, first_escalation_requested_at, " +
                "first_routed_at, first_team, first_resolved_at, clock_count) VALUES (@id, @data::jsonb, @type, @opened, @reference, @escalations, " +
                "@requested, @routed, @team, @resolved, @clocks)", connection);
            insert.Parameters.AddWithValue("id", record["id"]!.GetValue<Guid>());
            insert.Parameters.AddWithValue("data", record.ToJsonString());
            insert.Parameters.AddWithValue("type", "Escalation.History.Kpis.CaseRecord");
            insert.Parameters.AddWithValue("opened", opened);
            insert.Parameters.AddWithValue("reference", reference);
            insert.Parameters.AddWithValue("escalations", escalations);
            DateTimeOffset? After(int? minutes) => minutes is { } m ? opened.AddMinutes(m) : null;
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("requested", After(requestedAfter)));
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("routed", After(routedAfter)));
            insert.Parameters.Add(new NpgsqlParameter<string?>("team", team));
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("resolved", After(resolvedAfter)));
            insert.Parameters.Add(new NpgsqlParameter<int?>("clocks", reference == "ESC-K1" ? null : clocks.Count));
            await insert.ExecuteNonQueryAsync(cancellation);
        }
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

    /// <summary>A billing case opened by one customer email, in a conversation of its own.</summary>
    private async Task<(string Conversation, Guid CaseId)> OpenEmailCaseAsync(string prefix, string text)
    {
        var conversation = $"{prefix}-{Guid.NewGuid():N}"[..20];
        var opened = await _driver.PostAsync(PlatformDriver.CustomerContact($"{conversation}-1", "billing", text, channel: "Email", conversationId: conversation), null);
        return (conversation, opened.Body.CaseId);
    }

    /// <summary>Rebuilds case-records and returns its progress messages; null while this History instance stands by.</summary>
    private async Task<List<RebuildProgress>?> RebuildCaseRecordsAsync(CancellationToken cancellation)
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
    }
}
