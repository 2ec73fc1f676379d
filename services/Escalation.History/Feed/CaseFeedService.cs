using Escalation.Contracts;
using Grpc.Core;
using V1 = Escalation.Contracts.History.V1;

namespace Escalation.History.Feed;

/// <summary>
/// gRPC <c>CaseFeed.Subscribe</c>: every case event in global position order, only up to the high-water mark, so
/// one call has no gaps and no duplicates. Reads a page, writes it while reading the next (each write waits for HTTP/2
/// flow control: a slow client holds at most two pages here), and repeats; once drained, waits for the mark to move.
/// </summary>
public sealed partial class CaseFeedService(StoredEventReader reader, HighWaterMark highWaterMark, EventTypeNames names, FeedOptions options,
    TimeProvider time, ILogger<CaseFeedService> logger) : V1.CaseFeed.CaseFeedBase
{
    public override async Task Subscribe(V1.SubscribeRequest request, IServerStreamWriter<V1.FeedMessage> responseStream, ServerCallContext context)
    {
        var filter = ParseFilter(request);
        // Types are filtered in SQL; with case filters, the types that change a case's facts must be read too.
        var aliases = filter.Types.Count == 0
            ? null
            : filter.Types.Union(filter.NeedsCaseFacts ? CaseFacts.FactTypes : []).Select(t => names.AliasOf(t)!).ToList();
        var cancellation = context.CancellationToken;
        using var attached = await highWaterMark.AttachAsync(cancellation);
        var position = request.StartCase switch
        {
            V1.SubscribeRequest.StartOneofCase.FromNow when request.FromNow => highWaterMark.Current,
            V1.SubscribeRequest.StartOneofCase.AfterPosition when request.AfterPosition >= 0 => request.AfterPosition,
            V1.SubscribeRequest.StartOneofCase.AfterPosition => throw GrpcErrors.Invalid("after_position", "after_position must not be negative."),
            _ => 0,
        };
        LogSubscribed(position, context.Peer);

        var facts = new Dictionary<Guid, CaseFacts>();
        var caughtUp = false;
        var lastMessageAt = time.GetUtcNow();
        long scannedSinceMessage = 0;
        // A page's events are written without a flush each and flushed once at the end of the page: one HTTP/2
        // write per page instead of one per event, and still at most a page held for a slow client.
        async Task SendAsync(V1.FeedMessage message, bool buffered = false)
        {
            responseStream.WriteOptions = buffered ? BufferedWrite : null;
            await responseStream.WriteAsync(message, cancellation);
            lastMessageAt = time.GetUtcNow();
            scannedSinceMessage = 0;
        }

        (long From, long UpTo, Task<List<StoredEvent>> Page)? next = null;
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                var mark = highWaterMark.Current;
                if (position >= mark)
                {
                    if (!caughtUp)
                    {
                        caughtUp = true;
                        await SendAsync(new V1.FeedMessage { CaughtUp = new V1.CaughtUp { Position = position } });
                    }

                    await highWaterMark.WaitBeyondAsync(position, options.CheckpointInterval, cancellation);
                    if (scannedSinceMessage > 0 && time.GetUtcNow() - lastMessageAt >= options.CheckpointInterval)
                    {
                        await SendAsync(Checkpoint(position));
                    }

                    continue;
                }

                // A full page means more may follow: the next page is read while this one is written, so the database's
                // time and the serialization's overlap. It starts where this page ends, which is where `position` will be.
                List<StoredEvent> page;
                (page, mark) = next is { } prefetched && prefetched.From == position
                    ? (await prefetched.Page, prefetched.UpTo)
                    : (await reader.ReadRangeAsync(position, mark, aliases, options.PageSize, cancellation), mark);
                next = page.Count == options.PageSize
                    ? (page[^1].Position, mark, reader.ReadRangeAsync(page[^1].Position, mark, aliases, options.PageSize, cancellation))
                    : null;
                if (filter.NeedsCaseFacts)
                {
                    await LearnCasesAsync(page, facts, cancellation);
                }

                foreach (var stored in page)
                {
                    var matches = true;
                    if (filter.NeedsCaseFacts)
                    {
                        var known = facts[stored.CaseId] = facts[stored.CaseId].Apply(stored.Type, stored.DataJson);
                        matches = filter.Matches(stored.Type, known);
                    }

                    scannedSinceMessage += stored.Position - position;
                    position = stored.Position;
                    if (matches)
                    {
                        await SendAsync(new V1.FeedMessage { Event = stored.ToMessage() }, buffered: true);
                    }
                }

                await context.GetHttpContext().Response.BodyWriter.FlushAsync(cancellation);

                // A short page means nothing else up to the mark matched the type filter in SQL.
                var scannedTo = page.Count < options.PageSize ? mark : position;
                scannedSinceMessage += scannedTo - position;
                position = scannedTo;
                if (scannedSinceMessage >= options.CheckpointEvery
                    || (scannedSinceMessage > 0 && time.GetUtcNow() - lastMessageAt >= options.CheckpointInterval))
                {
                    await SendAsync(Checkpoint(position));
                }
            }
        }
        finally
        {
            // A subscriber that leaves mid-page leaves a read behind; its outcome (cancelled, most likely) is moot.
            _ = next?.Page.ContinueWith(static read => read.Exception, TaskContinuationOptions.OnlyOnFaulted);
        }
    }

    private static readonly WriteOptions BufferedWrite = new(WriteFlags.BufferHint);

    private static V1.FeedMessage Checkpoint(long position) => new() { Checkpoint = new V1.Checkpoint { Position = position } };

    /// <summary>Folds the facts of cases this subscription meets for the first time from their earlier events.</summary>
    private async Task LearnCasesAsync(IReadOnlyList<StoredEvent> page, Dictionary<Guid, CaseFacts> facts, CancellationToken cancellation)
    {
        if (facts.Count > options.MaxCachedCases)
        {
            facts.Clear();
        }

        var unknown = page.Select(e => e.CaseId).Where(id => !facts.ContainsKey(id)).Distinct().ToList();
        if (unknown.Count == 0)
        {
            return;
        }

        foreach (var caseId in unknown)
        {
            facts[caseId] = CaseFacts.Unknown;
        }

        var factAliases = CaseFacts.FactTypes.Select(t => names.AliasOf(t)!).ToList();
        foreach (var earlier in await reader.ReadCasesBeforeAsync(unknown, page[0].Position, factAliases, cancellation))
        {
            facts[earlier.CaseId] = facts[earlier.CaseId].Apply(earlier.Type, earlier.DataJson);
        }
    }

    private FeedFilter ParseFilter(V1.SubscribeRequest request)
    {
        var unknownType = request.EventTypes.FirstOrDefault(t => names.AliasOf(t) is null);
        if (unknownType is not null)
        {
            throw GrpcErrors.Invalid("event_types", $"Unknown event type '{unknownType}'. Known: {string.Join(", ", names.Names.Order())}.");
        }

        var unknownPriority = request.Priorities.FirstOrDefault(p => !Enum.TryParse<Priority>(p, ignoreCase: false, out _) || int.TryParse(p, out _));
        if (unknownPriority is not null)
        {
            throw GrpcErrors.Invalid("priorities", $"Unknown priority '{unknownPriority}'; use P1, P2, P3 or P4.");
        }

        return new FeedFilter(
            request.EventTypes.ToHashSet(StringComparer.Ordinal),
            request.Priorities.ToHashSet(StringComparer.Ordinal),
            request.Teams.ToHashSet(StringComparer.OrdinalIgnoreCase),
            request.Categories.ToHashSet(StringComparer.OrdinalIgnoreCase));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Feed subscription after position {Position} from {Peer}")]
    private partial void LogSubscribed(long position, string peer);
}
