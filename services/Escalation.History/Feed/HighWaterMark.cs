namespace Escalation.History.Feed;

public sealed record FeedOptions
{
    /// <summary>How often the high-water mark is read (one query for all subscriptions of this instance).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Events read per page; also the most a slow subscriber makes the server hold.</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary>A checkpoint is sent when nothing matched for this long (while events are scanned)…</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>…or after this many positions were scanned without a match.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>Cases whose facts one subscription remembers before it forgets them all (and reloads on demand).</summary>
    public int MaxCachedCases { get; init; } = 100_000;
}

/// <summary>
/// The event store's high-water mark, read once per poll for every subscription of this instance, with a wait that
/// ends when it moves. Marten's daemon (on the History instance that leads) maintains the mark.
/// </summary>
public sealed partial class HighWaterMark(EventProgression progression, FeedOptions options, TimeProvider time, ILogger<HighWaterMark> logger)
    : BackgroundService
{
    private readonly TaskCompletionSource _firstRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _moved = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _current;

    public long Current => Interlocked.Read(ref _current);

    /// <summary>Completes once the mark has been read: before that, <see cref="Current"/> is 0, not the mark.</summary>
    public Task FirstRead => _firstRead.Task;

    /// <summary>Waits until the mark is above <paramref name="position"/>, at most <paramref name="timeout"/>.</summary>
    public async Task WaitBeyondAsync(long position, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var moved = Volatile.Read(ref _moved).Task;
        if (Current > position)
        {
            return;
        }

        await moved.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var mark = await progression.HighWaterMarkAsync(stoppingToken);
                if (mark != Current)
                {
                    Interlocked.Exchange(ref _current, mark);
                    Interlocked.Exchange(ref _moved, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                }

                _firstRead.TrySetResult();
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogReadFailed(exception);
            }

            await Task.Delay(options.PollInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the high-water mark failed; subscriptions wait")]
    private partial void LogReadFailed(Exception exception);
}
