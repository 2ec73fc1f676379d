using System.Diagnostics;
using System.Net.Http.Json;
using Escalation.Bench.Limits;
using Escalation.Bench.Load;
using Escalation.Bench.Measuring;
using Escalation.Bench.Report;
using Escalation.Contracts;
using Escalation.Contracts.History.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;

namespace Escalation.Bench;

public sealed record BenchOptions(
    Uri Intake, Uri Broker, Uri BrokerManagement, string Postgres, Uri History, string ApiKey,
    int IntakeContacts, double? SustainedContactRate, TimeSpan SustainedFor, TimeSpan LatencyFor, TimeSpan LimitsFor,
    double EscalatingShare, bool SkipLimits, IReadOnlySet<string>? Only = null, double? LatencyContactRate = null, int IntakeWarmupContacts = 0,
    int LatencyRepeats = 1)
{
    /// <summary>The groups of phases <c>--only</c> may name.</summary>
    public static readonly IReadOnlyList<string> PhaseGroups = ["intake", "pipeline", "feed", "history"];

    public bool Runs(string group) => Only is null || Only.Count == 0 || Only.Contains(group);
}

/// <summary>
/// One benchmark run against a platform running on this machine: the raw limits first, then intake, the sustained
/// pipeline, latency at half of the sustained rate, the feed and a long case's history, with memory sampled and CPU
/// accounted per phase throughout.
/// </summary>
public sealed partial class BenchmarkRun(BenchOptions options, TimeProvider time) : IAsyncDisposable
{
    private const double StatementNoiseMilliseconds = 1;
    private readonly NpgsqlDataSource _database = NpgsqlDataSource.Create(options.Postgres);
    private readonly List<PhaseCpu> _cpu = [];
    private readonly List<Figure> _figures = [];
    private readonly List<LatencyFigure> _latencies = [];
    private readonly List<LimitResult> _limits = [];
    private readonly List<string> _failures = [];
    private readonly List<StatementCost> _statements = [];
    private EventStore Store => field ??= new(_database);
    private Platform Platform => field ??= new(Store, options.BrokerManagement);

    /// <summary>Between phases: the previous phase's backlog must not count against the next.</summary>
    private Task SettleAsync(CancellationToken cancellationToken) => Platform.WaitUntilSettledAsync(TimeSpan.FromMinutes(10), cancellationToken);

    public async Task<BenchReport> RunAsync(RunInfo run, CancellationToken cancellationToken)
    {
        await using var memory = new MemorySampler(TimeSpan.FromMilliseconds(500), pssEvery: 20);

        if (!options.SkipLimits)
        {
            await Phase("raw limits at the start", () => MeasureLimitsAsync("start", cancellationToken));
        }

        var postgresLimit = _limits.FirstOrDefault(l => l.Name.StartsWith("PostgreSQL", StringComparison.Ordinal));
        Task Settle() => SettleAsync(cancellationToken);

        await Settle();
        if (options.Runs("intake"))
        {
            await Phase("intake alone over AMQP", () => MeasureIntakeAsync("amqp", alone: true, postgresLimit, cancellationToken));
            await Settle();
            await Phase("intake alone over HTTP", () => MeasureIntakeAsync("http", alone: true, postgresLimit, cancellationToken));
            await Settle();
        }

        if (options.Runs("pipeline"))
        {
            var amqpRate = await Phase("intake with the pipeline", () => MeasureIntakeAsync("amqp", alone: false, postgresLimit, cancellationToken));
            await Settle();
            var offered = options.SustainedContactRate ?? (amqpRate > 0 ? amqpRate : 50);
            var sustained = await Phase("sustained pipeline", () => MeasureSustainedAsync(offered, postgresLimit, cancellationToken));
            if (sustained == 0) sustained = offered; // the sustained run failed: measure latency at half the offered rate
            await Settle();
            var latencyRate = options.LatencyContactRate ?? sustained / 2;
            var tails = new List<double>();
            for (var repeat = 1; repeat <= options.LatencyRepeats; repeat++)
            {
                var suffix = options.LatencyRepeats > 1 ? $" ({repeat} of {options.LatencyRepeats})" : "";
                var toRouted = await Phase($"latency at half rate{suffix}", () => MeasureLatencyAsync(latencyRate, suffix, cancellationToken));
                if (toRouted is { Count: > 0 }) tails.Add(toRouted.P99);
                await Settle();
            }

            if (options.LatencyRepeats > 1 && tails.Count > 0)
            {
                _latencies.Add(LatencyRepeats.Summarize(tails));
            }
        }

        if (options.Runs("feed"))
        {
            await Phase("feed catch-up", () => MeasureFeedAsync(cancellationToken));
        }

        if (options.Runs("history"))
        {
            await Phase("1,000-event history", () => MeasureHistoryReadAsync(cancellationToken));
        }

        if (!options.SkipLimits)
        {
            // Measured again because other load on a shared machine moves them: a run whose two measurements
            // differ much was not on a quiet machine.
            await Settle();
            await Phase("raw limits at the end", () => MeasureLimitsAsync("end", cancellationToken));
        }

        return new BenchReport(run, _limits, _figures, _latencies, memory.Peak, _cpu, _statements, _failures);
    }

    /// <summary>Runs one phase, accounting its CPU; a phase that fails is reported as such and the run goes on.</summary>
    private async Task<T?> Phase<T>(string name, Func<Task<T>> measure)
    {
        var fixedWork = MachineSpeed.ProbeMilliseconds();
        Console.WriteLine($"== {name} (fixed work {fixedWork:N1} ms)");
        var before = CpuSnapshot.Take();
        var clock = Stopwatch.StartNew();
        T? result = default;
        try
        {
            result = await measure();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Console.Error.WriteLine($"   {name} failed: {exception.Message}");
            _failures.Add($"{name}: {exception.Message}");
        }

        _cpu.Add(CpuSnapshot.Take().Since(before, name, clock.Elapsed.TotalSeconds) with { FixedWorkMilliseconds = fixedWork });
        return result;
    }

    private Task Phase(string name, Func<Task> measure) => Phase(name, async () => { await measure(); return true; });

    /// <summary>The results' ratios are to the limits measured at the start.</summary>
    private async Task MeasureLimitsAsync(string when, CancellationToken cancellationToken)
    {
        var postgres = await PostgresCommitLimit.MeasureAsync(options.Postgres, clients: 8, options.LimitsFor, cancellationToken);
        var (publish, consume) = await RabbitMqConfirmLimit.MeasureAsync(options.Broker, publishers: 4, options.LimitsFor, cancellationToken);
        foreach (var limit in new[] { postgres, publish, consume })
        {
            _limits.Add(limit with { Name = $"{limit.Name} ({when})" });
            Console.WriteLine($"   {limit.Name} ({when}): {limit.PerSecond:N0}/s ({limit.Method})");
        }
    }

    private async Task<IContactSender> SenderAsync(string transport, CancellationToken cancellationToken) => transport == "http"
        ? new HttpContactSender(options.Intake, options.ApiKey, connections: 64)
        : await AmqpContactSender.ConnectAsync(options.Broker, channels: 4, cancellationToken);

    private static readonly string[] DownstreamServices = ["Triage", "Routing", "SlaWatch", "Notification", "History"];

    /// <summary>
    /// Contacts sent flat out; the rate is from the first send to the last contact's commit on its stream. Alone: the
    /// other services are paused meanwhile, as if they ran on machines of their own. A warm-up burst the same way
    /// comes first and is not measured: a fresh process spends its first seconds compiling code and opening
    /// connections, and a platform in production runs warm.
    /// </summary>
    private async Task<double> MeasureIntakeAsync(string transport, bool alone, LimitResult? postgresLimit, CancellationToken cancellationToken)
    {
        await using var sender = await SenderAsync(transport, cancellationToken);
        LoadResult load;
        (long Count, DateTimeOffset? LastAt) recorded;
        using (alone ? ServiceProcesses.Pause(DownstreamServices) : null)
        {
            if (options.IntakeWarmupContacts > 0)
            {
                await BurstAsync($"wu{transport}", options.IntakeWarmupContacts);
            }

            (load, recorded) = await BurstAsync($"in{transport}", options.IntakeContacts);
        }

        var seconds = (recorded.LastAt!.Value - load.StartedAt).TotalSeconds;
        var rate = recorded.Count / seconds;
        Console.WriteLine($"   {recorded.Count} contacts recorded in {seconds:N1} s = {rate:N0}/s (sent in {load.SendingTook.TotalSeconds:N1} s, {load.Failed} failed)");
        var setting = alone ? "the other five services paused" : "the whole pipeline running on the same two cores";
        var warmup = options.IntakeWarmupContacts > 0 ? $", after {options.IntakeWarmupContacts:N0} unmeasured" : "";
        _figures.Add(new Figure($"Intake over {transport.ToUpperInvariant()}{(alone ? " alone" : ", with the pipeline")}: contacts into case streams",
            rate, "/s", "≥ 5,000/s and ≥ 25 % of raw commits", rate >= 5000 && Ratio(rate, postgresLimit) is null or >= 0.25,
            postgresLimit?.Name, Ratio(rate, postgresLimit), $"{recorded.Count} contacts flat out{warmup}, {setting}"));
        return rate;

        async Task<(LoadResult Load, (long Count, DateTimeOffset? LastAt) Recorded)> BurstAsync(string phase, int count)
        {
            var runId = RunId(phase);
            var from = await Store.HighestPositionAsync(cancellationToken);
            var load = await new LoadDriver(sender, new ContactMix(runId, options.EscalatingShare), inFlight: transport == "http" ? 64 : 2000, time)
                .RunAsync(count, ratePerSecond: null, cancellationToken);
            (long Count, DateTimeOffset? LastAt) recorded = default;
            await WaitForAsync(async () => (recorded = await Store.ContactsRecordedAsync(from, runId, cancellationToken)).Count >= load.Sent.Count - load.Failed,
                TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(10), $"{count} contacts recorded", cancellationToken);
            return (load, recorded);
        }
    }

    /// <summary>
    /// The realistic mix at a fixed rate for the sustained window. Escalations complete when routed and the customer
    /// notified. When all complete within 5 s of the window, the rate offered is a lower bound of the capacity; when the
    /// platform falls behind, the capacity is all the escalations over the time from the first send to the last completion.
    /// </summary>
    private async Task<double> MeasureSustainedAsync(double contactRate, LimitResult? postgresLimit, CancellationToken cancellationToken)
    {
        await ResetStatementStatisticsAsync(cancellationToken);
        var (load, timelines, eventsInWindow, _, _) = await DriveMixAsync("sustain", contactRate, options.SustainedFor, seed: 2, TimeSpan.FromMinutes(10), cancellationToken);
        await ReadStatementStatisticsAsync("sustained run", cancellationToken);
        var windowEnd = load.StartedAt + load.SendingTook;
        var escalating = load.Escalating;

        var window = load.SendingTook.TotalSeconds;
        var completedInWindow = timelines.Count(t => t.CompletedAt <= windowEnd);
        var lastCompleted = timelines.Where(t => t.CompletedAt is not null).Max(t => t.CompletedAt!.Value);
        var drain = Math.Max(0, (lastCompleted - windowEnd).TotalSeconds);
        var keptUp = drain <= 5;
        // Behind, the queues are FIFO and shared with routine contacts, so few escalations finish inside the window
        // however fast the platform works; what it worked off from the first send to the last completion is its capacity.
        var capacity = escalating / (lastCompleted - load.StartedAt).TotalSeconds;
        var escalationRate = keptUp ? escalating / window : capacity;
        var eventRate = eventsInWindow / window;
        Console.WriteLine($"   {escalating} escalations; {completedInWindow} completed inside the {window:N0} s window, the last {drain:N1} s after it; " +
                          $"{eventRate:N0} events appended/s");
        var note = $"{contactRate:N0} contacts/s offered for {window:N0} s; " + (keptUp
            ? $"kept up (all done {drain:N1} s after the window), so this is a lower bound"
            : $"fell behind: {escalating - completedInWindow} finished up to {drain:N0} s late; all {escalating} over the {window + drain:N0} s from the first send to the last completion is the capacity");
        _figures.Add(new Figure("End to end: escalations routed + notified, sustained", escalationRate, "/s", "≥ 1,000/s", escalationRate >= 1000, Note: note));
        _figures.Add(new Figure("End to end: case events appended during the sustained run", eventRate, "/s", "", null,
            postgresLimit?.Name, Ratio(eventRate, postgresLimit), "every service's appends together"));
        return keptUp ? contactRate : capacity / options.EscalatingShare;
    }

    /// <summary>
    /// The mix over AMQP at a fixed rate for <paramref name="length"/>, then waits until every escalating contact's
    /// case is routed and notified. Also returns how many events the whole platform appended while sending.
    /// </summary>
    private async Task<(LoadResult Load, IReadOnlyList<CaseTimeline> Timelines, long EventsWhileSending, string RunId, long From)> DriveMixAsync(
        string phase, double contactRate, TimeSpan length, int seed, TimeSpan completionTimeout, CancellationToken cancellationToken)
    {
        var runId = RunId(phase);
        var from = await Store.HighestPositionAsync(cancellationToken);
        var count = (int)(contactRate * length.TotalSeconds);
        Console.WriteLine($"   {count} contacts at {contactRate:N0}/s for {length.TotalSeconds:0} s");
        await using var sender = await SenderAsync("amqp", cancellationToken);
        var load = await new LoadDriver(sender, new ContactMix(runId, options.EscalatingShare, seed), inFlight: 2000, time)
            .RunAsync(count, contactRate, cancellationToken);
        var eventsWhileSending = await Store.HighestPositionAsync(cancellationToken) - from;

        var escalating = load.Escalating;
        IReadOnlyList<CaseTimeline> timelines = [];
        var notified = new NotifiedCases(Store, from);
        // Every 2 s, and the timeline query (it joins all the run's events: half a second of the database's time in a
        // 40,000-contact run) only once enough cases were notified: the database is what is being measured.
        await WaitForAsync(async () =>
        {
            if (await notified.CountAsync(cancellationToken) < escalating)
            {
                return false;
            }

            timelines = await Store.TimelinesAsync(from, runId, cancellationToken);
            return timelines.Count(t => t.CompletedAt is not null) >= escalating;
        }, TimeSpan.FromSeconds(2), completionTimeout, $"{escalating} escalations routed and notified", cancellationToken);
        return (load, timelines, eventsWhileSending, runId, from);
    }

    private async Task<Distribution> MeasureLatencyAsync(double contactRate, string suffix, CancellationToken cancellationToken)
    {
        await using var tap = await RelayLagTap.StartAsync(options.Broker, cancellationToken);
        await ResetStatementStatisticsAsync(cancellationToken);
        tap.Record(true);
        var (load, timelines, _, _, _) = await DriveMixAsync("latency", contactRate, options.LatencyFor, seed: 3, TimeSpan.FromMinutes(5), cancellationToken);
        tap.Record(false);
        await ReadStatementStatisticsAsync($"latency run{suffix}", cancellationToken);
        var escalating = load.Escalating;

        var sentAt = load.Sent.ToDictionary(s => s.ContactId, s => s.SentAt);
        var routed = timelines.Where(t => t.RoutedAt is not null).ToList();
        var toRouted = Distribution.Of(routed.Select(t => (t.RoutedAt!.Value - sentAt[t.ContactId]).TotalMilliseconds));
        var note = $"{contactRate:N0} contacts/s, {escalating} escalations; from the send to the routing's commit";
        _latencies.Add(new LatencyFigure($"Contact → EscalationRouted{suffix}", toRouted, $"p99 ≤ {LatencyRepeats.GoalMilliseconds:N0} ms",
            toRouted.P99 <= LatencyRepeats.GoalMilliseconds, note));
        _latencies.Add(new LatencyFigure($"Contact → NotificationSent{suffix}", Distribution.Of(routed.Where(t => t.NotifiedAt is not null)
            .Select(t => (t.NotifiedAt!.Value - sentAt[t.ContactId]).TotalMilliseconds)), "", null, "customer told"));
        _latencies.Add(new LatencyFigure($"Contact → ContactReceived committed{suffix}", Distribution.Of(timelines
            .Select(t => (t.ReceivedAt - sentAt[t.ContactId]).TotalMilliseconds)), "", null, "AMQP intake"));
        foreach (var hop in LatencyHops.Of(routed, sentAt))
        {
            _latencies.Add(new LatencyFigure(hop.Name + suffix, hop.Milliseconds, "", null,
                $"{hop.Covers}; median {hop.InTailMedian:N0} ms in the slowest 1 % of contact → routed"));
            Console.WriteLine($"   {hop.Name}: p50 {hop.Milliseconds.P50:N0} ms, p99 {hop.Milliseconds.P99:N0} ms, in the tail {hop.InTailMedian:N0} ms");
        }

        var relayLag = tap.Lag();
        _latencies.Add(new LatencyFigure($"Relay: commit → delivered to a consumer{suffix}", relayLag, "", null, "five case event types, at half rate"));
        Console.WriteLine($"   contact → routed p50 {toRouted.P50:N0} ms, p99 {toRouted.P99:N0} ms; relay lag p99 {relayLag.P99:N0} ms");
        return toRouted;
    }

    /// <summary>The gRPC feed from a position to the head, against a raw keyset SELECT over the same range.</summary>
    private async Task MeasureFeedAsync(CancellationToken cancellationToken)
    {
        var head = await Store.HighestPositionAsync(cancellationToken);
        var from = Math.Max(0, head - 100_000);
        using var channel = PlatformClients.Grpc(options.History, options.ApiKey);
        var feed = new CaseFeed.CaseFeedClient(channel);

        // Each twice: the first warms the page cache and the connections; the second is reported.
        (long Events, TimeSpan Took) grpc = default, raw = default;
        for (var round = 0; round < 2; round++)
        {
            var clock = Stopwatch.StartNew();
            long served = 0;
            using var call = feed.Subscribe(new SubscribeRequest { AfterPosition = from }, cancellationToken: cancellationToken);
            await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                if (message.MessageCase == FeedMessage.MessageOneofCase.Event) served++;
                else if (message.MessageCase == FeedMessage.MessageOneofCase.CaughtUp) break;
            }

            grpc = (served, clock.Elapsed);
            clock.Restart();
            raw = (await Store.ReadKeysetAsync(from, head, pageSize: 1000, cancellationToken), clock.Elapsed);
        }

        var grpcRate = grpc.Events / grpc.Took.TotalSeconds;
        var rawRate = raw.Events / raw.Took.TotalSeconds;
        var rawLimit = new LimitResult("raw keyset SELECT", rawRate, 1, raw.Took, raw.Events, "1,000-row pages by seq_id, payload read");
        _limits.Add(rawLimit);
        Console.WriteLine($"   feed {grpc.Events} events in {grpc.Took.TotalSeconds:N2} s = {grpcRate:N0}/s; raw {rawRate:N0}/s");
        _figures.Add(new Figure("gRPC catch-up feed (CaseFeed.Subscribe)", grpcRate, "events/s", "≥ 50 % of raw keyset", grpcRate >= 0.5 * rawRate,
            rawLimit.Name, grpcRate / rawRate, $"{grpc.Events:N0} events to caught-up, one client"));
    }

    /// <summary>GetHistory of one case with 1,000 events: a conversation of 1,000 contacts sent in batches of 100.</summary>
    private async Task MeasureHistoryReadAsync(CancellationToken cancellationToken)
    {
        var runId = RunId("history");
        var mix = new ContactMix(runId);
        var first = mix.Build(0, ContactKind.Routine, time.GetUtcNow()).Contact;
        using var http = PlatformClients.Http(options.Intake, options.ApiKey, TimeSpan.FromMinutes(2));
        Guid caseId = default;
        for (var batch = 0; batch < 10; batch++)
        {
            var contacts = Enumerable.Range(batch * 100, 100)
                .Select(i => mix.Build(i, ContactKind.Routine, time.GetUtcNow()).Contact with { ConversationId = runId, Customer = first.Customer })
                .ToList();
            using var response = await http.PostAsJsonAsync("api/contacts:batch", new { contacts }, ContactJson.Options, cancellationToken);
            response.EnsureSuccessStatusCode();
            var accepted = await response.Content.ReadFromJsonAsync<BatchAccepted>(ContactJson.Options, cancellationToken);
            caseId = accepted!.Results[0].CaseId;
        }

        await SettleAsync(cancellationToken);
        var events = await Store.EventCountAsync(caseId, cancellationToken);
        using var channel = PlatformClients.Grpc(options.History, options.ApiKey);
        var history = new CaseHistory.CaseHistoryClient(channel);
        var request = new GetHistoryRequest { CaseId = caseId.ToString(), PageSize = 1000 };
        var samples = new List<double>();
        for (var i = 0; i < 220; i++)
        {
            var clock = Stopwatch.StartNew();
            var page = await history.GetHistoryAsync(request, cancellationToken: cancellationToken);
            if (i >= 20) samples.Add(clock.Elapsed.TotalMilliseconds); // the first 20 warm up the path
            if (page.Events.Count < 1000) throw new InvalidOperationException($"The case has only {page.Events.Count} events in its first page.");
        }

        var read = Distribution.Of(samples);
        Console.WriteLine($"   {events} events on the case; GetHistory(1,000) p50 {read.P50:N1} ms, p99 {read.P99:N1} ms");
        _latencies.Add(new LatencyFigure("GetHistory, first 1,000 events of one case", read, "≤ 20 ms", read.P99 <= 20,
            $"gRPC, {events} events on the case, 200 reads"));
    }

    private async Task ResetStatementStatisticsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var reset = _database.CreateCommand("SELECT pg_stat_statements_reset()");
            await reset.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException)
        {
            // pg_stat_statements is not installed; the report goes without the statement table.
        }
    }

    private async Task ReadStatementStatisticsAsync(string phase, CancellationToken cancellationToken)
    {
        try
        {
            await using var top = _database.CreateCommand("""
                SELECT regexp_replace(query, '\s+', ' ', 'g'), calls, total_exec_time, mean_exec_time
                FROM pg_stat_statements WHERE total_exec_time > $1 ORDER BY total_exec_time DESC LIMIT 10
                """);
            top.Parameters.AddWithValue(StatementNoiseMilliseconds);
            await using var reader = await top.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var text = reader.GetString(0);
                _statements.Add(new StatementCost(phase, text.Length > 140 ? text[..140] + "…" : text, reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3)));
            }
        }
        catch (PostgresException)
        {
        }
    }

    private static double? Ratio(double value, LimitResult? limit) => limit is null ? null : value / limit.PerSecond;

    private static string RunId(string phase) => $"bench-{phase}-{Guid.NewGuid():N}"[..24];

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan every, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Gave up waiting for {what} after {timeout.TotalMinutes:0} min.");
            await Task.Delay(every, cancellationToken);
        }
    }

    public ValueTask DisposeAsync()
    {
        Platform.Dispose();
        return _database.DisposeAsync();
    }

    private sealed record BatchAccepted(List<AcceptedContact> Results);

    private sealed record AcceptedContact(Guid CaseId);
}
