namespace Escalation.History.Feed;

public sealed record FeedOptions
{
    /// <summary>How often the high-water mark is read while a subscription is open (one query for all of them).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often it is read with no subscription open: enough for the relay's backlog gauge.</summary>
    public TimeSpan IdlePollInterval { get; init; } = TimeSpan.FromSeconds(1);

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
/// ends when it moves. Marten's daemon (on the History instance that leads) maintains the mark. Polled fast only while
/// a subscription is attached: an idle History does not query the database fifty times a second.
/// </summary>
public sealed partial class HighWaterMark(EventProgression progression, FeedOptions options, TimeProvider time, ILogger<HighWaterMark> logger)
    : BackgroundService
{
    private TaskCompletionSource _moved = NewSignal();
    private TaskCompletionSource _readSucceeded = NewSignal();
    private TaskCompletionSource _wake = NewSignal();
    private long _current;
    private long _readsStarted;
    private long _freshThrough; // the number of the last read that succeeded
    private int _attached;

    public long Current => Interlocked.Read(ref _current);

    /// <summary>
    /// Attaches a subscription until the result is disposed: the mark is then read every <see cref="FeedOptions.PollInterval"/>.
    /// Returns once a read that began after this call has succeeded, so <see cref="Current"/> is the mark as of now.
    /// </summary>
    public async Task<IDisposable> AttachAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attached);
        var attachment = new Attachment(this);
        try
        {
            var startedBefore = Interlocked.Read(ref _readsStarted);
            Volatile.Read(ref _wake).TrySetResult();
            while (true)
            {
                var succeeded = Volatile.Read(ref _readSucceeded).Task;
                if (Interlocked.Read(ref _freshThrough) > startedBefore)
                {
                    return attachment;
                }

                await succeeded.WaitAsync(cancellationToken);
            }
        }
        catch
        {
            attachment.Dispose();
            throw;
        }
    }

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
            var read = Interlocked.Increment(ref _readsStarted);
            try
            {
                var mark = await progression.HighWaterMarkAsync(stoppingToken);
                if (mark != Current)
                {
                    Interlocked.Exchange(ref _current, mark);
                    Interlocked.Exchange(ref _moved, NewSignal()).TrySetResult();
                }

                Interlocked.Exchange(ref _freshThrough, read);
                Interlocked.Exchange(ref _readSucceeded, NewSignal()).TrySetResult();
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogReadFailed(exception);
            }

            var wake = Volatile.Read(ref _wake);
            var interval = Volatile.Read(ref _attached) > 0 ? options.PollInterval : options.IdlePollInterval;
            await Task.WhenAny(Task.Delay(interval, time, stoppingToken), wake.Task);
            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, NewSignal(), wake);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Attachment(HighWaterMark mark) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref mark._attached);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the high-water mark failed; subscriptions wait")]
    private partial void LogReadFailed(Exception exception);
}
