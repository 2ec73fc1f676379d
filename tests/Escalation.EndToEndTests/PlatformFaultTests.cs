using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Escalation.EndToEndTests;

/// <summary>
/// Faults injected under a steady stream of contacts (issue 11): a RabbitMQ restart, PostgreSQL refusing and dropping
/// every service connection, a consumer killed with SIGKILL, and the relay killed while it publishes. After each, the
/// same checks: every contact is in its case exactly once, every escalation was routed, no stream has a duplicated
/// event, the relay delivered every committed event at least once, SLA clocks that fell due during the fault fired
/// exactly once, and the services came back by themselves with /health/ready saying so while the fault lasted.
/// </summary>
[Collection(nameof(ServiceFaults))]
public sealed class PlatformFaultTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_RabbitMQ_restart_under_load_loses_and_duplicates_nothing()
    {
        var rabbitmqctl = Executable("rabbitmqctl");
        await RunDrillAsync("rabbitmq", watched: ["Intake", "Triage", "History"], inject: async () =>
        {
            await RunAsync(rabbitmqctl, "stop_app");
            return async () =>
            {
                await RunAsync(rabbitmqctl, "start_app");
                await RunAsync(rabbitmqctl, "await_startup");
            };
        });
    }

    [Fact]
    public async Task PostgreSQL_refusing_and_dropping_every_connection_loses_and_duplicates_nothing()
    {
        await using var admin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(platform.Infrastructure.PostgresConnectionString)
        {
            Database = "postgres", Pooling = false,
        }.ConnectionString);
        var database = platform.Infrastructure.DatabaseName;
        await RunDrillAsync("postgres", watched: ["Intake", "Routing", "SlaWatch"], inject: async () =>
        {
            await ExecuteAsync(admin, $"ALTER DATABASE {database} ALLOW_CONNECTIONS false");
            await ExecuteAsync(admin, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()");
            return async () =>
            {
                await ExecuteAsync(admin, $"ALTER DATABASE {database} ALLOW_CONNECTIONS true");
                NpgsqlConnection.ClearAllPools(); // this test's own idle connections were terminated too
            };
        });
    }

    [Fact]
    public async Task A_consumer_killed_with_SIGKILL_and_started_again_loses_and_duplicates_nothing()
    {
        await RunDrillAsync("kill-triage", watched: ["Triage"], inject: async () =>
        {
            await platform.StopInstanceAsync("Triage"); // SIGKILL: no graceful shutdown, messages in hand are redelivered
            return () => platform.RestartInstanceAsync("Triage");
        });
    }

    [Fact]
    public async Task The_relay_killed_mid_publish_loses_and_duplicates_nothing()
    {
        await RunDrillAsync("kill-relay", watched: ["History"], inject: async () =>
        {
            await WaitForRelayBacklogAsync();
            await platform.StopInstanceAsync("History");
            return () => platform.RestartInstanceAsync("History");
        });
    }

    /// <summary>
    /// Sends contacts for a few seconds, injects the fault (which returns how to end it), waits until every watched
    /// service reports not ready and the clocks started before the fault have fallen due, ends the fault, waits until
    /// they are ready again, resends what was refused meanwhile (as a channel retries), lets the pipeline settle and
    /// checks that nothing was lost or duplicated.
    /// </summary>
    private async Task RunDrillAsync(string name, string[] watched, Func<Task<Func<Task>>> inject)
    {
        var run = $"fault-{name}-{Guid.NewGuid():N}"[..30];
        await using var tap = await RelayTap.StartAsync(_driver, run, Cancellation);
        await using var load = new SteadyContacts(platform.CreateClient("Intake"), run);

        await load.WaitUntilAcceptedAsync(20, _driver);
        var faultBegan = DateTimeOffset.UtcNow;
        var restore = await inject();
        var faultStarted = Stopwatch.StartNew();
        try
        {
            await _driver.PollAsync(async () => (await NotReadyAsync(watched)).Count == watched.Length ? "down" : null,
                () => $"{name}: /health/ready of {string.Join(", ", watched)} never reported the fault");
            // Held until the first-response clocks of the contacts accepted before the fault have fallen due, so
            // that SLA alerts come due while it lasts.
            var due = faultBegan + PlatformFixture.SlaDrillFirstResponse + TimeSpan.FromSeconds(1);
            await _driver.PollAsync(() => DateTimeOffset.UtcNow > due ? "due" : null, () => "the drill's clocks never fell due");
        }
        finally
        {
            await restore();
        }

        List<string> stillDown = [];
        await _driver.PollAsync(async () => (stillDown = await NotReadyAsync(PlatformFixture.Services)).Count == 0 ? "ready" : null,
            () => $"{name}: {string.Join(", ", stillDown)} did not become ready again by themselves");
        var recoveredAfter = faultStarted.Elapsed;
        await load.WaitUntilAcceptedAsync(load.Accepted + 20, _driver);
        var sent = await load.StopAndResendRefusedAsync(_driver);

        await _driver.WaitUntilSettledAsync(Cancellation);
        await AssertNothingLostOrDuplicatedAsync(run, sent, tap, (lost, duplicated) => Report(name, sent.Count, load.Refused, lost, duplicated, recoveredAfter));
    }

    /// <summary>One row per drill in <c>TestResults/fault-drills.md</c> (CI prints it), written before the assertions judge it.</summary>
    private static void Report(string fault, int sent, int refused, int lost, long duplicated, TimeSpan recoveredAfter)
    {
        var path = Path.Combine(PlatformFixture.RepositoryRoot, "TestResults", "fault-drills.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, "| fault | contacts sent | refused during the fault (resent) | lost | duplicated | all ready again after the fault began |\n|---|---:|---:|---:|---:|---:|\n");
        }

        File.AppendAllText(path, $"| {fault} | {sent} | {refused} | {lost} | {duplicated} | {recoveredAfter.TotalSeconds:0.0} s |\n");
    }

    private async Task AssertNothingLostOrDuplicatedAsync(string run, IReadOnlyCollection<string> sent, RelayTap tap, Action<int, long> report)
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(Cancellation);
        var cases = $"SELECT DISTINCT stream_id FROM events.mt_events WHERE type = 'contact_received' AND data->>'contactId' LIKE '{run}-%'";

        var received = await QueryAsync(connection,
            $"SELECT data->>'contactId', count(*), array_agg(id) FROM events.mt_events WHERE type = 'contact_received' AND data->>'contactId' LIKE '{run}-%' GROUP BY 1",
            reader => (Contact: reader.GetString(0), Count: reader.GetInt64(1), Ids: reader.GetFieldValue<Guid[]>(2)));
        // A consumer that applied a delivery twice would have appended the same event for the same cause twice.
        var duplicated = await QueryAsync(connection,
            $"SELECT type || ' on ' || stream_id || ' caused by ' || coalesce(causation_id, '?'), count(*) FROM events.mt_events WHERE stream_id IN ({cases}) " +
            "GROUP BY stream_id, type, causation_id, data HAVING count(*) > 1", reader => (Event: reader.GetString(0), Count: reader.GetInt64(1)));
        report(sent.Except(received.Select(r => r.Contact)).Count(), duplicated.Sum(d => d.Count - 1) + received.Sum(r => r.Count - 1));
        Assert.Equal(sent.Order(), received.Select(r => r.Contact).Order());
        Assert.All(received, r => Assert.True(r.Count == 1, $"{r.Contact} recorded {r.Count} times"));

        // Every escalation routed: to an agent (EscalationRouted) or, with no agent free, to the team's queue
        // (EscalationQueued), caused by the request either way.
        var unrouted = $"SELECT count(*) FROM events.mt_events q WHERE q.type = 'escalation_requested' AND q.stream_id IN ({cases}) " +
            "AND NOT EXISTS (SELECT 1 FROM events.mt_events r WHERE r.stream_id = q.stream_id AND r.type IN ('escalation_routed', 'escalation_queued') " +
            "AND r.causation_id = q.id::text)";
        var left = -1L;
        await _driver.PollAsync(async () => (left = await CountAsync(connection, unrouted)) == 0 ? "routed" : null,
            () => $"{left} escalation(s) requested around the fault were never routed; in flight: {platform.Infrastructure.MessagesInFlightAsync().Result}, " +
                $"dead-lettered: {string.Join(", ", platform.Infrastructure.ErrorQueuesAsync().Result.Where(q => q.Value > 0))}; first: " +
                string.Join(" | ", QueryAsync(connection, unrouted.Replace("SELECT count(*)", "SELECT q.seq_id || ' ' || q.data::text || ' then ' || " +
                    "(SELECT string_agg(n.type, ',' ORDER BY n.seq_id) FROM events.mt_events n WHERE n.stream_id = q.stream_id AND n.seq_id > q.seq_id)") + " LIMIT 2",
                    reader => reader.GetString(0)).Result));
        Assert.True(await CountAsync(connection, $"SELECT count(*) FROM events.mt_events WHERE type = 'escalation_requested' AND stream_id IN ({cases})") > 0,
            "the drill escalated nothing");
        Assert.Equal(0, await CountAsync(connection, $"SELECT count(*) FROM (SELECT causation_id FROM events.mt_events " +
            $"WHERE type IN ('escalation_routed', 'escalation_queued') AND stream_id IN ({cases}) GROUP BY stream_id, type, causation_id HAVING count(*) > 1) twice"));

        Assert.True(duplicated.Count == 0, $"duplicated: {string.Join("; ", duplicated.Take(5).Select(d => d.Event))}");

        // SLA: every first-response clock of the drill's routine cases fell due (6 s); each breached exactly once.
        var breaches = await _driver.PollAsync(async () =>
        {
            var counts = await QueryAsync(connection,
                $"SELECT s.stream_id::text, (SELECT count(*) FROM events.mt_events b WHERE b.stream_id = s.stream_id AND b.type = 'sla_breached' " +
                $"AND b.data->>'clockId' = s.data->>'clockId') FROM events.mt_events s WHERE s.type = 'sla_clock_started' " +
                $"AND s.data->>'metric' = 'FirstResponse' AND s.stream_id IN ({cases}) AND s.stream_id IN " +
                "(SELECT stream_id FROM events.mt_events WHERE type = 'ticket_opened' AND data->>'category' = 'sla-drill')",
                reader => (Case: reader.GetString(0), Breaches: reader.GetInt64(1)));
            return counts.Count > 0 && counts.All(c => c.Breaches >= 1) ? counts : null;
        }, () => "a first-response clock that fell due never breached");
        Assert.All(breaches, b => Assert.True(b.Breaches == 1, $"case {b.Case} breached {b.Breaches} times"));

        // The relay delivered every committed ContactReceived of the drill at least once (deduplicated by MessageId).
        var committed = received.SelectMany(r => r.Ids).ToList();
        await _driver.PollAsync(() => committed.Except(tap.MessageIds).Any() ? null : "delivered",
            () => $"{committed.Except(tap.MessageIds).Count()} committed ContactReceived events were never delivered");
    }

    private async Task<List<string>> NotReadyAsync(IEnumerable<string> services)
    {
        var down = new List<string>();
        foreach (var service in services)
        {
            if (!await platform.IsReadyAsync(service)) down.Add(service);
        }

        return down;
    }

    /// <summary>Waits until committed events are waiting for the relay, so that the kill lands while it publishes.</summary>
    private async Task WaitForRelayBacklogAsync()
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(Cancellation);
        await _driver.PollAsync(async () => await PlatformDriver.UnpublishedAsync(connection, Cancellation) > 0 ? "behind" : null,
            () => "the relay was never behind the store");
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(Cancellation));
    }

    private static async Task<List<T>> QueryAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        var rows = new List<T>();
        while (await reader.ReadAsync(Cancellation)) rows.Add(read(reader));
        return rows;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Cancellation);
    }

    private static string Executable(string name) =>
        new[] { $"/usr/sbin/{name}", $"/usr/bin/{name}", $"/usr/lib/rabbitmq/bin/{name}" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is required to restart the broker: run infra/start-dependencies.sh.");

    private static async Task RunAsync(string executable, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(executable, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync(Cancellation);
        var error = process.StandardError.ReadToEndAsync(Cancellation);
        await process.WaitForExitAsync(Cancellation);
        Assert.True(process.ExitCode == 0, $"{executable} {string.Join(' ', arguments)}: {await output}{await error}");
    }

    /// <summary>
    /// Contacts posted every 100 ms until stopped, half routine SLA-drill contacts (first response due in 6 s) and half
    /// requests for a human (escalations). What intake refuses during a fault is kept and resent afterwards.
    /// </summary>
    private sealed class SteadyContacts : IAsyncDisposable
    {
        private readonly HttpClient _intake;
        private readonly string _run;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<string, object> _accepted = new();
        private readonly ConcurrentDictionary<string, object> _refused = new();
        private readonly ConcurrentBag<Task> _posts = [];
        private readonly Task _sending;
        private int _refusals;

        public SteadyContacts(HttpClient intake, string run)
        {
            _intake = intake;
            _run = run;
            _sending = SendAsync();
        }

        public int Accepted => _accepted.Count;
        public int Refused => _refusals;

        private async Task SendAsync()
        {
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            var sequence = 0;
            while (await pace.WaitForNextTickAsync(_stop.Token).AsTask().ContinueWith(t => !t.IsCanceled && t.Result))
            {
                var id = $"{_run}-{sequence++}";
                var contact = sequence % 2 == 0
                    ? PlatformDriver.CustomerContact(id, PlatformFixture.SlaDrillCategory, "注文の状況を教えてください", botConfidence: 0.95)
                    : PlatformDriver.CustomerContact(id, "billing", "人と話したいです");
                _posts.Add(TrySendAsync(id, contact));
            }
        }

        private async Task TrySendAsync(string id, object contact)
        {
            try
            {
                using var response = await _intake.PostAsJsonAsync("api/contacts", contact);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    _accepted[id] = contact;
                    _refused.TryRemove(id, out _);
                    return;
                }
            }
            catch (Exception failed) when (failed is HttpRequestException or TaskCanceledException)
            {
                // Refused while the fault lasts; resent afterwards.
            }

            if (_refused.TryAdd(id, contact)) Interlocked.Increment(ref _refusals);
        }

        public Task WaitUntilAcceptedAsync(int count, PlatformDriver driver) =>
            driver.PollAsync(() => Accepted >= count ? "sent" : null, () => $"only {Accepted} contacts accepted, waiting for {count}");

        /// <returns>Every contact id sent, all accepted in the end.</returns>
        public async Task<IReadOnlyCollection<string>> StopAndResendRefusedAsync(PlatformDriver driver)
        {
            await StopSendingAsync();
            await driver.PollAsync(async () =>
            {
                foreach (var (id, contact) in _refused) await TrySendAsync(id, contact);
                return _refused.IsEmpty ? "all accepted" : null;
            }, () => $"{_refused.Count} refused contacts were still refused after the fault");
            return _accepted.Keys.ToList();
        }

        /// <summary>Stops the stream; every post under way ends accepted or refused.</summary>
        private async Task StopSendingAsync()
        {
            await _stop.CancelAsync();
            await _sending;
            await Task.WhenAll(_posts);
        }

        public async ValueTask DisposeAsync()
        {
            await StopSendingAsync();
            _intake.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>
    /// A consumer of a durable queue bound to ContactReceived's exchange, as another service would subscribe. The queue
    /// outlives a broker restart and the client's automatic recovery reconnects the consumer, so what the relay
    /// delivered around the fault reaches it.
    /// </summary>
    private sealed class RelayTap : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<Guid, byte> _messageIds = new();
        private IConnection _connection = null!;
        private IChannel _channel = null!;
        private string _queue = null!;

        public static async Task<RelayTap> StartAsync(PlatformDriver driver, string run, CancellationToken cancellation)
        {
            var tap = new RelayTap { _queue = $"{run}-tap", _connection = await driver.ConnectAsync() };
            tap._channel = await tap._connection.CreateChannelAsync(cancellationToken: cancellation);
            await tap._channel.QueueDeclareAsync(tap._queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellation);
            await tap._channel.QueueBindAsync(tap._queue, "Escalation.Contracts.Cases:ContactReceived", "", cancellationToken: cancellation);
            var consumer = new AsyncEventingBasicConsumer(tap._channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                using var envelope = System.Text.Json.JsonDocument.Parse(delivery.Body);
                tap._messageIds.TryAdd(Guid.Parse(envelope.RootElement.GetProperty("messageId").GetString()!), 0);
                return Task.CompletedTask;
            };
            await tap._channel.BasicConsumeAsync(tap._queue, autoAck: true, consumer, cancellation);
            return tap;
        }

        /// <summary>The message ids (the stored events' ids) delivered so far.</summary>
        public IReadOnlyCollection<Guid> MessageIds => _messageIds.Keys.ToList();

        public async ValueTask DisposeAsync()
        {
            if (_channel.IsOpen) await _channel.QueueDeleteAsync(_queue);
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
