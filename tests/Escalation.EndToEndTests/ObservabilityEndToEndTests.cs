using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Escalation.Contracts.History.V1;

namespace Escalation.EndToEndTests;

/// <summary>
/// Traces, logs and metrics as the services' real OpenTelemetry exporters send them over OTLP, received by an in-test
/// OTLP endpoint that stands in for Jaeger. The fixture samples only traces a caller marked sampled, so each test
/// starts its own trace with a sampled <c>traceparent</c>, as an instrumented upstream channel would.
/// </summary>
public sealed class ObservabilityEndToEndTests(PlatformFixture platform, ITestOutputHelper output)
{
    private const string Intake = "Escalation.Intake";
    private const string History = "Escalation.History";
    private const string Triage = "Escalation.Triage";
    private const string Routing = "Escalation.Routing";
    private const string SlaWatch = "Escalation.SlaWatch";
    private const string Notification = "Escalation.Notification";

    private readonly PlatformDriver _driver = new(platform);

    [Fact]
    public async Task The_demo_contact_is_one_trace_through_all_six_services_in_causal_order()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (trace, upstreamSpan) = (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
        var run = Guid.NewGuid().ToString("N")[..8];
        var contact = PlatformDriver.Contact($"trace-{run}", "Chatbot", "ja", $"trace-{run}@example.jp", "請求が二重になっています。人と話したいです");

        using var request = new HttpRequestMessage(HttpMethod.Post, "api/contacts") { Content = JsonContent.Create(contact) };
        request.Headers.Add("traceparent", $"00-{trace}-{upstreamSpan}-01");
        using var response = await platform.Intake.SendAsync(request, cancellation);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<PlatformDriver.Accepted>(cancellation))!;

        var requested = await _driver.WaitForEventAsync(accepted.CaseId, "escalation_requested");
        var routed = await _driver.WaitForEventAsync(accepted.CaseId, "escalation_routed");
        var spans = await WaitForSpansAsync(trace, upstreamSpan, spans =>
            spans.Count(span => span.Service == Notification && span.Name.StartsWith("notify ", StringComparison.Ordinal)) == 2
            && spans.Any(span => span.Service == SlaWatch && span[CaseTags.EventType] == "EscalationRouted")
            && Orphans(spans, upstreamSpan).Count == 0);
        var tree = Tree(spans, upstreamSpan);
        output.WriteLine(tree);
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "observed-trace.txt"), tree, cancellation);

        // One trace, all six services, nothing orphaned: every span's parent is in the trace or is the caller's span.
        Assert.Superset(new HashSet<string> { Intake, History, Triage, Routing, SlaWatch, Notification }, spans.Select(span => span.Service).ToHashSet());
        Assert.Empty(Orphans(spans, upstreamSpan));
        var byId = spans.ToDictionary(span => span.SpanId);
        Assert.All(spans.Where(span => span.ParentSpanId != upstreamSpan), span => Assert.True(byId[span.ParentSpanId!].Start <= span.Start,
            $"{span} starts before its parent {byId[span.ParentSpanId!]}"));

        // Causal order, hop by hop: contact → intake → relay → triage → relay → routing → relay → notification's sends,
        // and the SLA clocks from the relayed TicketOpened.
        foreach (var send in spans.Where(span => span.Service == Notification && span.Name.StartsWith("notify ", StringComparison.Ordinal)))
        {
            Assert.Equal([Intake, History, Triage, History, Routing, History, Notification], ServicePath(send, byId));
        }

        // (MassTransit's receive span carries the consumed event's attributes; its process span is the child.)
        var clocksStarted = Assert.Single(spans, span => span.Service == SlaWatch && span[CaseTags.EventType] == "TicketOpened");
        Assert.Equal(Otlp.SpanKind.Consumer, clocksStarted.Kind);
        Assert.Equal([Intake, History, SlaWatch], ServicePath(clocksStarted, byId));

        // The trace id is the one on every stored event of the case.
        var history = await platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = accepted.CaseId.ToString(), PageSize = 100 }, cancellationToken: cancellation);
        Assert.All(history.Events, e => Assert.Equal(trace, e.TraceId));

        // Searchable attributes: the intake request names the case; the relay's spans carry each event's facts.
        var post = Assert.Single(spans, span => span.Service == Intake && span.Kind == Otlp.SpanKind.Server);
        Assert.Equal(accepted.Reference, post[CaseTags.Reference]);
        Assert.Equal(accepted.CaseId.ToString(), post[CaseTags.CaseId]);
        var relayedRequest = Assert.Single(spans, span => span.Service == History && span.Name == "relay EscalationRequested");
        Assert.Equal(accepted.Reference, relayedRequest[CaseTags.Reference]);
        Assert.Equal(requested.GetProperty("escalationId").GetString(), relayedRequest[CaseTags.EscalationId]);
        Assert.Equal(requested.GetProperty("priority").GetString(), relayedRequest[CaseTags.Priority]);
        Assert.Equal(requested.GetProperty("type").GetString(), relayedRequest["escalation.type"]);
        Assert.Equal(string.Join(",", requested.GetProperty("triggers").EnumerateArray().Select(t => t.GetProperty("rule").GetString()).Distinct()),
            relayedRequest["escalation.triggers"]);
        var relayedRouting = Assert.Single(spans, span => span.Service == History && span.Name == "relay EscalationRouted");
        Assert.Equal(routed.GetProperty("team").GetString(), relayedRouting[CaseTags.Team]);
        // Consumers' spans carry the case and the reference the relay put in the message headers.
        var routingConsumer = Assert.Single(spans, span => span.Service == Routing && span[CaseTags.EventType] == "EscalationRequested");
        Assert.Equal(accepted.Reference, routingConsumer[CaseTags.Reference]);
        Assert.Equal(accepted.CaseId.ToString(), routingConsumer[CaseTags.CaseId]);
        // Bus spans follow the OpenTelemetry messaging conventions.
        Assert.All(spans.Where(span => span.Service == History && span.Kind == Otlp.SpanKind.Producer), span =>
        {
            Assert.Equal("rabbitmq", span["messaging.system"]);
            Assert.False(string.IsNullOrEmpty(span["messaging.destination.name"]));
        });

        // Logs written while a service handled this contact carry the trace, and the case and reference in scope.
        var logs = await _driver.PollAsync(() =>
        {
            var logs = platform.Otlp.LogsOf(trace);
            return logs.Any(log => log.Service == Triage) && logs.Any(log => log.Service == Routing) ? logs : null;
        }, () => "no logs of triage and routing arrived with the contact's trace id");
        Assert.Contains(logs, log => log.Service == Routing && log.Attributes.GetValueOrDefault("CaseId") == accepted.CaseId.ToString()
            && log.Attributes.GetValueOrDefault("Reference") == accepted.Reference);
        Assert.Contains(logs, log => log.Service == Intake && log.Body.Contains(accepted.Reference, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Contacts_from_other_publishers_continue_their_trace_over_AMQP()
    {
        var run = Guid.NewGuid().ToString("N")[..8];

        // A non-.NET channel: plain JSON with a W3C traceparent AMQP header.
        var (plainTrace, plainParent) = (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
        await _driver.PublishRawAsync(PlatformDriver.Contact($"w3c-{run}", "Chat", "en", $"w3c-{run}@example.com", "Hello, my invoice is wrong"),
            traceParent: $"00-{plainTrace}-{plainParent}-01");
        // A MassTransit publisher: its envelope with MassTransit's own MT-Activity-Id header.
        var (massTransitTrace, massTransitParent) = (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
        await _driver.SendEnvelopeAsync("Escalation.Contracts.Intake:InboundContact",
            PlatformDriver.Contact($"mt-{run}", "Email", "en", $"mt-{run}@example.com", "Hello, my invoice is wrong"),
            transportHeaders: new Dictionary<string, object?> { ["MT-Activity-Id"] = $"00-{massTransitTrace}-{massTransitParent}-01" });

        foreach (var (trace, parent, contactId, channel) in new[] { (plainTrace, plainParent, $"w3c-{run}", "Chat"), (massTransitTrace, massTransitParent, $"mt-{run}", "Email") })
        {
            var caseId = await _driver.WaitForCaseOfContactAsync(channel, contactId, TestContext.Current.CancellationToken);
            // Each service exports in its own batches: wait for intake's span as well as the relay's.
            var spans = await WaitForSpansAsync(trace, parent, spans => spans.Any(span => span.Service == History && span.Name == "relay ContactReceived")
                && spans.Any(span => span.Service == Intake && span.ParentSpanId == parent) && spans.Any(span => span.Service == Intake && span[CaseTags.CaseId] is not null));
            output.WriteLine(Tree(spans, parent));
            var received = Assert.Single(spans, span => span.Service == Intake && span.ParentSpanId == parent);
            Assert.Equal(Otlp.SpanKind.Consumer, received.Kind);
            Assert.Contains(spans, span => span.Service == Intake && span[CaseTags.CaseId] == caseId.ToString());
            var history = await platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = caseId.ToString(), PageSize = 10 }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.All(history.Events, e => Assert.Equal(trace, e.TraceId));
        }
    }

    [Fact]
    public async Task Every_service_exports_its_metrics_over_OTLP()
    {
        // Some traffic of this test's own, so the counters below have moved whatever ran before.
        var run = Guid.NewGuid().ToString("N")[..8];
        var accepted = await _driver.PostAsync(PlatformDriver.Contact($"metrics-{run}", "Chatbot", "en", $"metrics-{run}@example.com",
            "This is not helping. I want to talk to a human, please."), idempotencyKey: null);
        await _driver.WaitForEventAsync(accepted.Body.CaseId, "notification_sent");

        var appended = await WaitForMetricAsync("escalation.case_events.appended", metrics =>
            HasPoint(metrics, Triage, point => point.Attributes.GetValueOrDefault(CaseTags.EventType) == "EscalationRequested"
                && point.Attributes.ContainsKey(CaseTags.Priority) && point.Attributes.ContainsKey("escalation.type"))
            && HasPoint(metrics, Routing, point => point.Attributes.GetValueOrDefault(CaseTags.EventType) == "EscalationRouted" && point.Attributes.ContainsKey(CaseTags.Team))
            && HasPoint(metrics, Intake, point => point.Attributes.GetValueOrDefault(CaseTags.EventType) == "TicketOpened")
            && HasPoint(metrics, SlaWatch, point => point.Attributes.GetValueOrDefault(CaseTags.EventType) == "SlaClockStarted")
            && HasPoint(metrics, Notification, point => point.Attributes.GetValueOrDefault(CaseTags.EventType) == "NotificationSent"));
        Assert.All(appended.SelectMany(metric => metric.Points), point => Assert.DoesNotContain(CaseTags.CaseId, point.Attributes.Keys)); // no ids as dimensions

        // Relay lag, SLA clocks by state, KPIs, the HTTP API and every consumer's processing.
        await WaitForMetricAsync("escalation.relay.lag", metrics => HasPoint(metrics, History, point => point.Value > 0));
        await WaitForMetricAsync("escalation.relay.backlog", metrics => HasPoint(metrics, History, point => point.Value >= 0));
        await WaitForMetricAsync("escalation.sla.clocks", metrics =>
            HasPoint(metrics, SlaWatch, point => point.Attributes.GetValueOrDefault("escalation.sla_clock_state") == "on_track" && point.Value > 0));
        await WaitForMetricAsync("escalation.kpi.cases", metrics => HasPoint(metrics, History, _ => true));
        await WaitForMetricAsync("http.server.request.duration", metrics => HasPoint(metrics, Intake, point => point.Value > 0));
        var consumed = await WaitForMetricAsync("messaging.masstransit.consume", metrics =>
            new[] { Triage, Routing, SlaWatch, Notification }.All(service => HasPoint(metrics, service, point => point.Value > 0)));
        output.WriteLine(string.Join("\n", consumed.Select(metric => $"{metric.Service}: {metric.Points.Sum(p => p.Value)} consumed")));
    }

    [Fact]
    public async Task A_gRPC_call_to_History_continues_the_callers_trace()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var run = Guid.NewGuid().ToString("N")[..8];
        var accepted = await _driver.PostAsync(PlatformDriver.Contact($"grpc-{run}", "Chat", "en", $"grpc-{run}@example.com", "Where is my refund?"), idempotencyKey: null);
        var (trace, caller) = (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());

        await platform.History.GetCaseAsync(new GetCaseRequest { Case = new CaseRef { Reference = accepted.Body.Reference } },
            new Grpc.Core.Metadata { { "traceparent", $"00-{trace}-{caller}-01" } }, cancellationToken: cancellation);

        var spans = await WaitForSpansAsync(trace, caller, spans => spans.Any(span => span.Service == History && span.ParentSpanId == caller));
        var served = Assert.Single(spans, span => span.ParentSpanId == caller);
        Assert.Equal(Otlp.SpanKind.Server, served.Kind);
        Assert.Contains("GetCase", served.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_a_timer_appends_get_a_trace_of_their_own()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var run = Guid.NewGuid().ToString("N")[..8];
        var accepted = await _driver.PostAsync(PlatformDriver.CustomerContact($"timer-{run}", PlatformFixture.SlaDrillCategory, "注文の状況を教えてください", botConfidence: 0.95),
            idempotencyKey: null);

        await _driver.WaitForEventAsync(accepted.Body.CaseId, "sla_breach_imminent"); // first response warns at 75 % of 6 s
        var history = await platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = accepted.Body.CaseId.ToString(), PageSize = 100 }, cancellationToken: cancellation);

        var contactTrace = history.Events.First(e => e.Type == "TicketOpened").TraceId;
        var warning = history.Events.First(e => e.Type == "SlaBreachImminent");
        Assert.Matches("^[0-9a-f]{32}$", warning.TraceId);
        Assert.NotEqual(contactTrace, warning.TraceId); // caused by the clock, not by the contact
        Assert.All(history.Events, e => Assert.Matches("^[0-9a-f]{32}$", e.TraceId));
    }

    private static class CaseTags
    {
        public const string CaseId = "escalation.case_id";
        public const string Reference = "escalation.case_reference";
        public const string EventType = "escalation.event_type";
        public const string EscalationId = "escalation.escalation_id";
        public const string Priority = "escalation.priority";
        public const string Team = "escalation.team";
    }

    private Task<IReadOnlyList<ReceivedSpan>> WaitForSpansAsync(string trace, string upstreamSpan, Func<IReadOnlyList<ReceivedSpan>, bool> complete) =>
        _driver.PollAsync(() =>
        {
            var spans = platform.Otlp.SpansOf(trace);
            return complete(spans) ? spans : null;
        }, () => $"trace {trace} is not complete yet:\n{Tree(platform.Otlp.SpansOf(trace), upstreamSpan)}");

    private Task<IReadOnlyList<ReceivedMetric>> WaitForMetricAsync(string name, Func<IReadOnlyList<ReceivedMetric>, bool> complete) =>
        _driver.PollAsync(() =>
        {
            var metrics = platform.Otlp.MetricsNamed(name);
            return complete(metrics) ? metrics : null;
        }, () => $"metric {name} is not exported as expected: {JsonSerializer.Serialize(platform.Otlp.MetricsNamed(name))}\n"
            + $"exported: {string.Join(", ", platform.Otlp.MetricNames)} ({platform.Otlp.Exports})");

    private static bool HasPoint(IReadOnlyList<ReceivedMetric> metrics, string service, Func<ReceivedPoint, bool> match) =>
        metrics.Where(metric => metric.Service == service).SelectMany(metric => metric.Points).Any(match);

    /// <summary>Spans whose parent is neither in the trace nor the caller's span.</summary>
    private static List<ReceivedSpan> Orphans(IReadOnlyList<ReceivedSpan> spans, string upstreamSpan)
    {
        var known = spans.Select(span => span.SpanId).ToHashSet();
        return spans.Where(span => span.ParentSpanId != upstreamSpan && (span.ParentSpanId is null || !known.Contains(span.ParentSpanId))).ToList();
    }

    /// <summary>The services from the trace's first span down to <paramref name="span"/>, each run of one service once.</summary>
    private static List<string> ServicePath(ReceivedSpan span, IReadOnlyDictionary<string, ReceivedSpan> byId)
    {
        var path = new List<string>();
        for (var current = span; current is not null; current = current.ParentSpanId is { } parent ? byId.GetValueOrDefault(parent) : null)
        {
            if (path.Count == 0 || path[^1] != current.Service)
            {
                path.Add(current.Service);
            }
        }

        path.Reverse();
        return path;
    }

    /// <summary>The trace as an indented tree, services and the searchable attributes, for failure messages and the report.</summary>
    private static string Tree(IReadOnlyList<ReceivedSpan> spans, string upstreamSpan)
    {
        var children = spans.ToLookup(span => span.ParentSpanId ?? "");
        var start = spans.Count == 0 ? default : spans.Min(span => span.Start);
        var text = new StringBuilder();
        void Write(ReceivedSpan span, int depth)
        {
            var attributes = span.Attributes.Where(a => a.Key.StartsWith("escalation.", StringComparison.Ordinal) && a.Key != "escalation.sequence")
                .Select(a => $"{a.Key["escalation.".Length..]}={a.Value}");
            text.Append(new string(' ', depth * 2))
                .Append($"{span.Service.Replace("Escalation.", "")}: {span.Name} [{span.Kind}] +{(span.Start - start).TotalMilliseconds:0} ms, {(span.End - span.Start).TotalMilliseconds:0} ms  ")
                .AppendLine(string.Join(" ", attributes));
            foreach (var child in children[span.SpanId].OrderBy(child => child.Start))
            {
                Write(child, depth + 1);
            }
        }

        var known = spans.Select(span => span.SpanId).ToHashSet();
        foreach (var root in spans.Where(span => span.ParentSpanId == upstreamSpan || span.ParentSpanId is null || !known.Contains(span.ParentSpanId)).OrderBy(span => span.Start))
        {
            Write(root, 0);
        }

        return text.ToString();
    }
}
