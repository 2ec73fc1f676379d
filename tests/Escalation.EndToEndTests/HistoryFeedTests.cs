using System.Diagnostics;
using System.Globalization;
using System.Text;
using Escalation.Contracts.History.V1;
using Grpc.Core;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Escalation.EndToEndTests;

/// <summary>History's global feed (CaseFeed.Subscribe) over the real platform (issue 8).</summary>
public sealed class HistoryFeedTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);

    [Fact]
    public async Task A_subscriber_that_keeps_disconnecting_gets_every_event_once_in_order_while_20_writers_append()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var start = await HighWaterMarkAsync();
        var target = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var follower = Task.Run(() => FollowAsync(start, target.Task, disconnectAfterEvents: 150, cancellation), cancellation);
        var writing = Stopwatch.StartNew();
        var lags = await MeasureRelayLagWhileAsync(async () =>
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(writer => Task.Run(async () =>
            {
                for (var i = 0; i < 10; i++)
                {
                    var contact = PlatformDriver.CustomerContact($"feed-{writer}-{i}-{Guid.NewGuid():N}", "billing", "請求書の再発行をお願いします", channel: "Email");
                    await _driver.PostAsync(contact, null);
                }
            }, cancellation)));
            writing.Stop();
            await _driver.WaitUntilSettledAsync(cancellation);
        });

        var end = await HighWaterMarkAsync();
        target.SetResult(end);
        var (received, sessions) = await follower;

        var expected = await PositionsAsync(start, end);
        Assert.True(expected.Count >= 200 * 3, $"only {expected.Count} events were written");
        Assert.Equal(received.Distinct().Count(), received.Count);
        Assert.Equal(received.Order(), received);
        Assert.Equal(expected, received.Where(p => p <= end));
        Assert.True(sessions >= 3, $"the subscriber resumed only {sessions - 1} times");

        var report = $"relay lag under 20 writers (commit → delivered to a RabbitMQ consumer), {lags.Count} ContactReceived: " +
            $"p50 {Percentile(lags, 0.5):0} ms, p99 {Percentile(lags, 0.99):0} ms, max {lags.Max():0} ms; 200 contacts posted in {writing.ElapsedMilliseconds} ms; " +
            $"feed: {expected.Count} events ({end - start - expected.Count} sequence gaps) over {sessions} sessions";
        TestContext.Current.TestOutputHelper!.WriteLine(report);
        await File.AppendAllTextAsync(Path.Combine(AppContext.BaseDirectory, "history-measurements.md"), $"- {DateTime.UtcNow:O} {report}\n", cancellation);
    }

    [Fact]
    public async Task Filters_select_by_type_category_priority_and_team_as_the_case_stood_at_each_event()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var start = await HighWaterMarkAsync();
        var category = $"feed-{Guid.NewGuid():N}"[..20];
        var escalated = (await _driver.PostAsync(PlatformDriver.CustomerContact($"{category}-a", category, "人と話したいです"), null)).Body;
        var plain = (await _driver.PostAsync(PlatformDriver.CustomerContact($"{category}-b", "billing", "請求書の再発行をお願いします", channel: "Email"), null)).Body;
        var routed = await _driver.WaitForEventAsync(escalated.CaseId, "escalation_routed");
        await _driver.WaitForEventAsync(plain.CaseId, "sla_clock_started");
        await _driver.WaitUntilSettledAsync(cancellation);
        var history = (await platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = escalated.CaseId.ToString(), PageSize = 1000 }, cancellationToken: cancellation)).Events;
        var priority = System.Text.Json.JsonDocument.Parse(history.First(e => e.Type == "EscalationRequested").Json).RootElement.GetProperty("priority").GetString()!;
        var team = routed.GetProperty("team").GetString()!;

        var ofCategory = await CatchUpAsync(new SubscribeRequest { AfterPosition = start, Categories = { category } });
        Assert.Equal(history.Select(e => e.GlobalPosition), ofCategory.Events.Select(e => e.GlobalPosition));

        var typed = await CatchUpAsync(new SubscribeRequest { AfterPosition = start, Categories = { category }, EventTypes = { "EscalationRequested", "EscalationRouted" } });
        Assert.Equal(history.Where(e => e.Type is "EscalationRequested" or "EscalationRouted").Select(e => e.EventId), typed.Events.Select(e => e.EventId));

        var byPriority = await CatchUpAsync(new SubscribeRequest { AfterPosition = start, Priorities = { priority }, EventTypes = { "EscalationRouted" } });
        Assert.Contains(byPriority.Events, e => e.CaseId == escalated.CaseId.ToString());
        Assert.All(byPriority.Events, e => Assert.Equal("EscalationRouted", e.Type));
        Assert.DoesNotContain(byPriority.Events, e => e.CaseId == plain.CaseId.ToString());

        var byTeam = await CatchUpAsync(new SubscribeRequest { AfterPosition = start, Teams = { team } });
        // The case's events before routing had no team yet; from the routing on, they are the team's.
        Assert.Equal(history.Where(e => e.Version >= history.First(h => h.Type == "EscalationRouted").Version).Select(e => e.EventId),
            byTeam.Events.Where(e => e.CaseId == escalated.CaseId.ToString()).Select(e => e.EventId));

        var nothing = await CatchUpAsync(new SubscribeRequest { AfterPosition = start, Categories = { "no-such-category" } });
        Assert.Empty(nothing.Events);
        Assert.True(nothing.CaughtUpAt >= history[^1].GlobalPosition);
    }

    [Fact]
    public async Task A_subscription_whose_filters_match_nothing_still_receives_checkpoints_as_events_pass()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var call = platform.Feed.Subscribe(new SubscribeRequest { FromNow = true, Categories = { "no-such-category" } }, cancellationToken: cancellation);
        Assert.True(await call.ResponseStream.MoveNext(cancellation));
        var caughtUp = call.ResponseStream.Current.CaughtUp.Position;

        var accepted = (await _driver.PostAsync(PlatformDriver.CustomerContact($"checkpoint-{Guid.NewGuid():N}", "billing", "住所変更", channel: "Email"), null)).Body;
        var contactPosition = (await platform.History.GetHistoryAsync(new GetHistoryRequest { CaseId = accepted.CaseId.ToString() }, cancellationToken: cancellation))
            .Events.Single(e => e.Type == "ContactReceived").GlobalPosition;
        Assert.True(await call.ResponseStream.MoveNext(cancellation));
        var checkpoint = call.ResponseStream.Current;
        Assert.Equal(FeedMessage.MessageOneofCase.Checkpoint, checkpoint.MessageCase);
        Assert.True(checkpoint.Checkpoint.Position > caughtUp);
        while (checkpoint.Checkpoint.Position < contactPosition)
        {
            Assert.True(await call.ResponseStream.MoveNext(cancellation));
            checkpoint = call.ResponseStream.Current;
            Assert.Equal(FeedMessage.MessageOneofCase.Checkpoint, checkpoint.MessageCase);
        }
    }

    [Fact]
    public async Task Bad_subscriptions_are_refused_with_the_field_at_fault()
    {
        var cancellation = TestContext.Current.CancellationToken;
        async Task<RpcException> RefusedAsync(SubscribeRequest request)
        {
            using var call = platform.Feed.Subscribe(request, cancellationToken: cancellation);
            return await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(cancellation));
        }

        var type = await RefusedAsync(new SubscribeRequest { EventTypes = { "TicketOpend" } });
        Assert.Equal((StatusCode.InvalidArgument, "event_types"), (type.StatusCode, type.Trailers.GetValue("field")));
        Assert.Contains("TicketOpened", type.Status.Detail);
        var position = await RefusedAsync(new SubscribeRequest { AfterPosition = -1 });
        Assert.Equal((StatusCode.InvalidArgument, "after_position"), (position.StatusCode, position.Trailers.GetValue("field")));
        var priority = await RefusedAsync(new SubscribeRequest { Priorities = { "urgent" } });
        Assert.Equal((StatusCode.InvalidArgument, "priorities"), (priority.StatusCode, priority.Trailers.GetValue("field")));
    }

    [Fact]
    public async Task Catching_up_through_the_feed_is_measured_against_a_raw_keyset_select_of_the_same_range()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var end = await HighWaterMarkAsync();

        var feedClock = Stopwatch.StartNew();
        var fed = 0L;
        using (var call = platform.Feed.Subscribe(new SubscribeRequest { AfterPosition = 0 }, cancellationToken: cancellation))
        {
            while (await call.ResponseStream.MoveNext(cancellation))
            {
                var message = call.ResponseStream.Current;
                if (message.Event is { } e && e.GlobalPosition <= end)
                {
                    fed++;
                }

                if ((message.Event?.GlobalPosition ?? message.CaughtUp?.Position ?? message.Checkpoint?.Position ?? 0) >= end)
                {
                    break;
                }
            }
        }

        feedClock.Stop();
        var rawClock = Stopwatch.StartNew();
        var raw = await RawKeysetReadAsync(end, cancellation);
        rawClock.Stop();

        Assert.Equal(raw, fed);
        var feedRate = fed / feedClock.Elapsed.TotalSeconds;
        var rawRate = raw / rawClock.Elapsed.TotalSeconds;
        var report = $"feed catch-up: {fed} events in {feedClock.ElapsedMilliseconds} ms = {feedRate:0} events/s; raw keyset SELECT (pages of 1000, same columns): " +
            $"{raw} events in {rawClock.ElapsedMilliseconds} ms = {rawRate:0} events/s; feed/raw = {feedRate / rawRate:P0}";
        TestContext.Current.TestOutputHelper!.WriteLine(report);
        await File.AppendAllTextAsync(Path.Combine(AppContext.BaseDirectory, "history-measurements.md"), $"- {DateTime.UtcNow:O} {report}\n", cancellation);
    }

    /// <summary>
    /// Follows the feed from <paramref name="start"/> until <paramref name="target"/> is known and reached, dropping
    /// the connection after every <paramref name="disconnectAfterEvents"/> events (and every 2 s) and resuming from the
    /// last position received.
    /// </summary>
    private async Task<(List<long> Received, int Sessions)> FollowAsync(long start, Task<long> target, int disconnectAfterEvents, CancellationToken cancellation)
    {
        var received = new List<long>();
        var position = start;
        var sessions = 0;
        bool Done() => target.IsCompletedSuccessfully && position >= target.Result;
        while (!Done())
        {
            sessions++;
            using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            session.CancelAfter(TimeSpan.FromSeconds(2));
            using var call = platform.Feed.Subscribe(new SubscribeRequest { AfterPosition = position }, cancellationToken: session.Token);
            var inSession = 0;
            try
            {
                while (!Done() && inSession < disconnectAfterEvents && await call.ResponseStream.MoveNext(session.Token))
                {
                    var message = call.ResponseStream.Current;
                    switch (message.MessageCase)
                    {
                        case FeedMessage.MessageOneofCase.Event:
                            received.Add(message.Event.GlobalPosition);
                            position = message.Event.GlobalPosition;
                            inSession++;
                            break;
                        case FeedMessage.MessageOneofCase.Checkpoint:
                            position = message.Checkpoint.Position;
                            break;
                        case FeedMessage.MessageOneofCase.CaughtUp:
                            position = message.CaughtUp.Position;
                            break;
                    }
                }
            }
            catch (Exception ended) when (ended is RpcException { StatusCode: StatusCode.Cancelled } or OperationCanceledException && !cancellation.IsCancellationRequested)
            {
                // This session's two seconds are up: resume.
            }
        }

        return (received, sessions);
    }

    private sealed record CaughtUpFeed(List<CaseEvent> Events, long CaughtUpAt);

    private async Task<CaughtUpFeed> CatchUpAsync(SubscribeRequest request)
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var call = platform.Feed.Subscribe(request, cancellationToken: cancellation);
        var events = new List<CaseEvent>();
        while (await call.ResponseStream.MoveNext(cancellation))
        {
            var message = call.ResponseStream.Current;
            if (message.CaughtUp is { } caughtUp)
            {
                return new CaughtUpFeed(events, caughtUp.Position);
            }

            if (message.Event is { } e)
            {
                events.Add(e);
            }
        }

        throw new InvalidOperationException("The feed ended before catching up.");
    }

    private async Task<long> HighWaterMarkAsync() =>
        (await platform.HistoryAdmin.ListProjectionsAsync(new ListProjectionsRequest(), cancellationToken: TestContext.Current.CancellationToken)).HighWaterMark;

    private async Task<List<long>> PositionsAsync(long after, long upTo)
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var query = new NpgsqlCommand("SELECT seq_id FROM events.mt_events WHERE seq_id > @after AND seq_id <= @upTo ORDER BY seq_id", connection);
        query.Parameters.AddWithValue("after", after);
        query.Parameters.AddWithValue("upTo", upTo);
        var positions = new List<long>();
        await using var reader = await query.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            positions.Add(reader.GetInt64(0));
        }

        return positions;
    }

    /// <summary>What a client reading the events table itself would do: keyset pages of 1000 rows of the same columns.</summary>
    private async Task<long> RawKeysetReadAsync(long upTo, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(platform.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync(cancellation);
        long position = 0, count = 0;
        while (true)
        {
            await using var page = new NpgsqlCommand(
                "SELECT seq_id, id, stream_id, version, type, timestamp, correlation_id, causation_id, headers::text, data::text " +
                "FROM events.mt_events WHERE seq_id > @after AND seq_id <= @upTo ORDER BY seq_id LIMIT 1000", connection);
            page.Parameters.AddWithValue("after", position);
            page.Parameters.AddWithValue("upTo", upTo);
            var rows = 0;
            await using (var reader = await page.ExecuteReaderAsync(cancellation))
            {
                while (await reader.ReadAsync(cancellation))
                {
                    position = reader.GetInt64(0);
                    _ = (reader.GetGuid(1), reader.GetGuid(2), reader.GetInt64(3), reader.GetString(4), reader.GetDateTime(5), reader.GetValue(6), reader.GetValue(7),
                        reader.GetValue(8), reader.GetString(9));
                    rows++;
                }
            }

            count += rows;
            if (rows < 1000)
            {
                return count;
            }
        }
    }

    /// <summary>Receive time minus the relay's recorded-at header, for every ContactReceived delivered while <paramref name="load"/> runs.</summary>
    private async Task<List<double>> MeasureRelayLagWhileAsync(Func<Task> load)
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var connection = await _driver.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellation);
        var queue = await PlatformDriver.BindQueueAsync(channel, "Cases:ContactReceived", cancellation);
        var lags = new List<double>();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            var now = DateTimeOffset.UtcNow;
            if (delivery.BasicProperties.Headers?.TryGetValue("escalation-recorded-at", out var recorded) == true && recorded is byte[] text)
            {
                lock (lags)
                {
                    lags.Add((now - DateTimeOffset.Parse(Encoding.UTF8.GetString(text), CultureInfo.InvariantCulture)).TotalMilliseconds);
                }
            }

            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer, cancellation);
        await load();
        lock (lags)
        {
            return lags.ToList();
        }
    }

    private static double Percentile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
