using System.Text.Json;
using Escalation.Contracts.History.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Escalation.EndToEndTests;

/// <summary>History's gRPC case API over the real platform: history, summary, as-of, replay (issue 8).</summary>
public sealed class HistoryEndToEndTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);

    [Fact]
    public async Task A_case_escalated_twice_has_its_whole_history_in_pages_and_a_summary_that_matches_it()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (caseId, reference) = await EscalatedTwiceAsync();

        var events = new List<CaseEvent>();
        var pages = 0;
        var request = new GetHistoryRequest { Reference = reference, PageSize = 3 };
        while (true)
        {
            var page = await platform.History.GetHistoryAsync(request, cancellationToken: cancellation);
            pages++;
            Assert.Equal(caseId.ToString(), page.CaseId);
            Assert.Equal(reference, page.Reference);
            events.AddRange(page.Events);
            if (page.EndOfStream)
            {
                break;
            }

            Assert.Equal(3, page.Events.Count);
            request.AfterVersion = page.NextAfterVersion;
        }

        Assert.Equal(Enumerable.Range(1, events.Count).Select(v => (long)v), events.Select(e => e.Version));
        Assert.Equal((events.Count + 2) / 3, pages);
        Assert.True(events.Zip(events.Skip(1)).All(pair => pair.First.GlobalPosition < pair.Second.GlobalPosition));
        Assert.Equal(2, events.Count(e => e.Type == "EscalationRequested"));
        Assert.All(events, e =>
        {
            Assert.Equal(caseId.ToString(), e.CaseId);
            Assert.Equal(caseId.ToString(), e.CorrelationId);
            Assert.StartsWith("service:", e.Actor);
            Assert.Matches("^[0-9a-f]{32}$", e.TraceId);
            Assert.NotEmpty(e.CausationId);
            using var json = JsonDocument.Parse(e.Json);
            Assert.Equal(caseId.ToString(), json.RootElement.GetProperty("caseId").GetString());
        });

        var summary = await platform.History.GetCaseAsync(new GetCaseRequest { Case = new CaseRef { Reference = reference } }, cancellationToken: cancellation);
        var lastRequest = JsonDocument.Parse(events.Last(e => e.Type == "EscalationRequested").Json).RootElement;
        var lastOwner = JsonDocument.Parse(events.Last(e => e.Type is "EscalationRouted" or "EscalationQueued").Json).RootElement;
        Assert.Equal("Escalated", summary.Status);
        Assert.Equal(2, summary.EscalationCount);
        Assert.Equal(lastRequest.GetProperty("toTier").GetString(), summary.Tier);
        Assert.Equal(lastRequest.GetProperty("escalationId").GetString(), summary.CurrentEscalationId);
        Assert.Equal((lastOwner.TryGetProperty("team", out var team) ? team : lastOwner.GetProperty("queue")).GetString(), summary.OwnerTeam);
        Assert.Equal("Chatbot", summary.Channel);
        Assert.Equal(2, summary.ContactCount);
        Assert.True(summary.Version >= events.Count);
        Assert.Contains(summary.SlaClocks, c => c.Metric == "FirstResponse");

        var byId = await platform.History.GetCaseAsync(new GetCaseRequest { Case = new CaseRef { CaseId = caseId.ToString() } }, cancellationToken: cancellation);
        Assert.Equal(reference, byId.Reference);

        // Replaying the rules version that decided both escalations decides the same.
        var replay = await platform.History.ReplayCaseAsync(new ReplayCaseRequest
        {
            Case = new CaseRef { CaseId = caseId.ToString() },
            RulesVersion = lastRequest.GetProperty("rulesVersion").GetString(),
        }, cancellationToken: cancellation);
        Assert.Equal(2, replay.Recorded.Count);
        Assert.Equal(2, replay.Replayed.Count);
        Assert.Empty(replay.Differences);
    }

    [Fact]
    public async Task As_of_a_version_or_a_moment_the_case_is_what_its_stream_said_then()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (caseId, reference) = await EscalatedTwiceAsync();
        var history = await platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = caseId.ToString(), PageSize = 1000 }, cancellationToken: cancellation);
        var caseRef = new CaseRef { Reference = reference };
        Task<CaseAsOf> AtVersionAsync(long version) =>
            platform.History.GetCaseAsOfAsync(new GetCaseAsOfRequest { Case = caseRef, Version = version }, cancellationToken: cancellation).ResponseAsync;

        var opened = (await AtVersionAsync(1)).Summary;
        Assert.Equal(("Open", "L0", 0, "", 0), (opened.Status, opened.Tier, opened.EscalationCount, opened.OwnerTeam, opened.ContactCount));
        Assert.Empty(opened.SlaClocks);

        var firstRequest = history.Events.First(e => e.Type == "EscalationRequested");
        var atFirstRequest = await AtVersionAsync(firstRequest.Version);
        Assert.Equal(("Escalated", 1, "Requested"), (atFirstRequest.Summary.Status, atFirstRequest.Summary.EscalationCount, atFirstRequest.Summary.EscalationState));
        Assert.Equal(JsonDocument.Parse(firstRequest.Json).RootElement.GetProperty("toTier").GetString(), atFirstRequest.Summary.Tier);
        Assert.Equal(firstRequest.Timestamp, atFirstRequest.MeasuredAt);

        var firstOwner = history.Events.First(e => e.Type is "EscalationRouted" or "EscalationQueued");
        var owned = (await AtVersionAsync(firstOwner.Version)).Summary;
        Assert.NotEmpty(owned.OwnerTeam);
        Assert.Equal(1, owned.EscalationCount);

        var byMoment = await platform.History.GetCaseAsOfAsync(new GetCaseAsOfRequest { Case = caseRef, At = firstRequest.Timestamp }, cancellationToken: cancellation);
        Assert.True(byMoment.Summary.EscalationCount >= 1);
        Assert.True(byMoment.Summary.Version >= firstRequest.Version);
        Assert.True(byMoment.Summary.Version < history.Events.Last(e => e.Type == "EscalationRequested").Version);

        var last = await AtVersionAsync(history.Events[^1].Version);
        Assert.Equal(2, last.Summary.EscalationCount);

        var beforeOpening = Timestamp.FromDateTimeOffset(history.Events[0].Timestamp.ToDateTimeOffset().AddMinutes(-1));
        var early = await Assert.ThrowsAsync<RpcException>(() =>
            platform.History.GetCaseAsOfAsync(new GetCaseAsOfRequest { Case = caseRef, At = beforeOpening }, cancellationToken: cancellation).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, early.StatusCode);
        var zero = await Assert.ThrowsAsync<RpcException>(() => AtVersionAsync(0));
        Assert.Equal((StatusCode.InvalidArgument, "version"), (zero.StatusCode, zero.Trailers.GetValue("field")));
        var beyond = await Assert.ThrowsAsync<RpcException>(() => AtVersionAsync(10_000));
        Assert.Equal(StatusCode.NotFound, beyond.StatusCode);
    }

    [Fact]
    public async Task As_of_a_moment_an_SLA_clock_shows_the_business_time_elapsed_up_to_it()
    {
        var cancellation = TestContext.Current.CancellationToken;
        // The drill category counts 24×7 with a 6 s first-response target: elapsed time is wall-clock time.
        var contact = PlatformDriver.CustomerContact($"asof-sla-{Guid.NewGuid():N}", PlatformFixture.SlaDrillCategory, "請求書の送付先を教えてください", channel: "Email");
        var accepted = (await _driver.PostAsync(contact, null)).Body;
        var started = await _driver.WaitForEventAsync(accepted.CaseId, "sla_clock_started", e => e.GetProperty("metric").GetString() == "FirstResponse");
        var startedAt = started.GetProperty("startedAt").GetDateTimeOffset();
        await _driver.WaitForEventAsync(accepted.CaseId, "sla_breached");

        async Task<SlaClockState> ClockAtAsync(TimeSpan sinceStart)
        {
            var asOf = await platform.History.GetCaseAsOfAsync(new GetCaseAsOfRequest
            {
                Case = new CaseRef { CaseId = accepted.CaseId.ToString() },
                At = Timestamp.FromDateTimeOffset(startedAt + sinceStart),
            }, cancellationToken: cancellation);
            return asOf.Summary.SlaClocks.Single(c => c.Metric == "FirstResponse");
        }

        var early = await ClockAtAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(("Running", false), (early.Status, early.Breached));
        Assert.Equal(TimeSpan.FromSeconds(2), early.Elapsed.ToTimeSpan());
        Assert.Equal(TimeSpan.FromSeconds(4), early.Remaining.ToTimeSpan());
        Assert.Equal(TimeSpan.FromSeconds(6), early.Target.ToTimeSpan());
        Assert.Equal(startedAt.AddSeconds(6), early.DueAt.ToDateTimeOffset());

        var late = await ClockAtAsync(TimeSpan.FromSeconds(9));
        Assert.True(late.Breached);
        Assert.Equal(TimeSpan.Zero, late.Remaining.ToTimeSpan());
        Assert.Equal(TimeSpan.FromSeconds(9), late.Elapsed.ToTimeSpan());
    }

    [Fact]
    public async Task Replaying_a_rules_version_with_another_threshold_shows_the_decision_it_would_have_taken_and_appends_nothing()
    {
        var cancellation = TestContext.Current.CancellationToken;
        // A bot understood this turn with confidence 0.7: above the shipped threshold (0.4), below the variant's (0.8).
        var contact = PlatformDriver.CustomerContact($"replay-{Guid.NewGuid():N}", "billing", "請求書の送付先を変更したいです", botConfidence: 0.7);
        var accepted = (await _driver.PostAsync(contact, null)).Body;
        await _driver.WaitForEventAsync(accepted.CaseId, "sla_clock_started");
        await _driver.WaitUntilSettledAsync(cancellation);
        var caseRef = new CaseRef { Reference = accepted.Reference };
        var versionBefore = (await platform.History.GetCaseAsync(new GetCaseRequest { Case = caseRef }, cancellationToken: cancellation)).Version;
        var contactVersion = (await platform.History.GetHistoryAsync(new GetHistoryRequest { Reference = accepted.Reference }, cancellationToken: cancellation))
            .Events.Single(e => e.Type == "ContactReceived").Version;

        var shippedVersion = JsonDocument.Parse(File.ReadAllText(PlatformFixture.ShippedTriageRulesPath))
            .RootElement.GetProperty("version").GetString();
        var asShipped = await platform.History.ReplayCaseAsync(new ReplayCaseRequest { Case = caseRef, RulesVersion = shippedVersion }, cancellationToken: cancellation);
        Assert.Equal((0, 0, 0), (asShipped.Recorded.Count, asShipped.Replayed.Count, asShipped.Differences.Count));

        var variant = await platform.History.ReplayCaseAsync(new ReplayCaseRequest { Case = caseRef, RulesVersion = PlatformFixture.ConfidentBotRulesVersion },
            cancellationToken: cancellation);
        var difference = Assert.Single(variant.Differences);
        Assert.Null(difference.Recorded);
        Assert.Equal(contactVersion, difference.StimulusVersion);
        Assert.Equal(("escalation", "L0", PlatformFixture.ConfidentBotRulesVersion), (difference.Replayed.Kind, difference.Replayed.FromTier, difference.Replayed.RulesVersion));
        Assert.Contains("low-bot-confidence", difference.Replayed.Rules);

        var draftJson = PlatformFixture.ConfidentBotRules(File.ReadAllText(PlatformFixture.ShippedTriageRulesPath)).Replace(PlatformFixture.ConfidentBotRulesVersion, "draft-1");
        var draft = await platform.History.ReplayCaseAsync(new ReplayCaseRequest { Case = caseRef, RulesJson = draftJson }, cancellationToken: cancellation);
        Assert.Equal("draft-1", draft.RulesVersion);
        Assert.Equal(difference.Replayed.Rules, Assert.Single(draft.Differences).Replayed.Rules);

        var unknown = await Assert.ThrowsAsync<RpcException>(() =>
            platform.History.ReplayCaseAsync(new ReplayCaseRequest { Case = caseRef, RulesVersion = "1999.1.1" }, cancellationToken: cancellation).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains(PlatformFixture.ConfidentBotRulesVersion, unknown.Status.Detail);
        var broken = await Assert.ThrowsAsync<RpcException>(() =>
            platform.History.ReplayCaseAsync(new ReplayCaseRequest { Case = caseRef, RulesJson = """{"version":"x"}""" }, cancellationToken: cancellation).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "rules_json"), (broken.StatusCode, broken.Trailers.GetValue("field")));

        var versionAfter = (await platform.History.GetCaseAsync(new GetCaseRequest { Case = caseRef }, cancellationToken: cancellation)).Version;
        Assert.Equal(versionBefore, versionAfter);
    }

    [Fact]
    public async Task Bad_case_references_get_clear_errors()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var notUuid = await Assert.ThrowsAsync<RpcException>(() =>
            platform.History.GetCaseAsync(new GetCaseRequest { Case = new CaseRef { CaseId = "nope" } }, cancellationToken: cancellation).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "case_id"), (notUuid.StatusCode, notUuid.Trailers.GetValue("field")));
        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            platform.History.GetCaseAsync(new GetCaseRequest(), cancellationToken: cancellation).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "case"), (missing.StatusCode, missing.Trailers.GetValue("field")));
        var unknown = await Assert.ThrowsAsync<RpcException>(() =>
            platform.History.GetCaseAsync(new GetCaseRequest { Case = new CaseRef { Reference = "ESC-0" } }, cancellationToken: cancellation).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        var page = await Assert.ThrowsAsync<RpcException>(() =>
            platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = Guid.NewGuid().ToString(), PageSize = 5000 }, cancellationToken: cancellation).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "page_size"), (page.StatusCode, page.Trailers.GetValue("field")));
        foreach (var afterVersion in new long[] { 0, 5 }) // the first page is read in one query, a later one after a lookup
        {
            var nowhere = await Assert.ThrowsAsync<RpcException>(() => platform.History.GetHistoryAsync(
                new GetHistoryRequest { CaseId = Guid.NewGuid().ToString(), AfterVersion = afterVersion }, cancellationToken: cancellation).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, nowhere.StatusCode);
        }
    }

    /// <summary>A chatbot conversation: a request for a person (L0 → L1), then for a superior (→ L2).</summary>
    private async Task<(Guid CaseId, string Reference)> EscalatedTwiceAsync()
    {
        var conversation = $"twice-{Guid.NewGuid():N}";
        var first = (await _driver.PostAsync(PlatformDriver.CustomerContact($"{conversation}-1", "billing", "人と話したいです", conversationId: conversation), null)).Body;
        await _driver.PollAsync(async () => (await _driver.EventsAsync(first.CaseId)).Any(e => e.Type is "escalation_routed" or "escalation_queued") ? "owned" : null,
            "the first escalation was never routed");
        await _driver.PostAsync(PlatformDriver.CustomerContact($"{conversation}-2", "billing", "上司を出してください。責任者と話したい。", conversationId: conversation), null);
        await _driver.PollAsync(async () =>
        {
            var events = await _driver.EventsAsync(first.CaseId);
            return events.Count(e => e.Type == "escalation_requested") == 2 && events.Count(e => e.Type is "escalation_routed" or "escalation_queued") >= 2
                ? "twice"
                : null;
        }, "the case was not escalated and owned twice");
        return (first.CaseId, first.Reference);
    }
}
