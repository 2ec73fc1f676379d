using MailKit.Net.Smtp;
using MailKit.Security;

namespace Escalation.Notification.Delivering;

/// <summary>
/// Connected (and authenticated) SMTP sessions kept between sends. Connecting costs a TCP handshake, the greeting,
/// EHLO, STARTTLS and AUTH — more round trips than the email itself — and relays throttle clients that reconnect for
/// every message. A session goes back to the pool only after a successful send; one idle past
/// <see cref="SmtpOptions.ConnectionIdleTimeout"/> or past <see cref="SmtpOptions.MessagesPerConnection"/> is closed.
/// </summary>
public sealed partial class SmtpConnections(SmtpOptions options, TimeProvider time, ILogger<SmtpConnections> logger) : IAsyncDisposable
{
    /// <summary>A session lent to one send. <see cref="Reused"/>: it sent before, so the server may have closed it since.</summary>
    public sealed class Session(SmtpClient client)
    {
        public SmtpClient Client { get; } = client;
        public int Sent { get; set; }
        public DateTimeOffset IdleSince { get; set; }
        public bool Reused => Sent > 0;
    }

    /// <summary>A QUIT is a courtesy: a send that first closes an expired session waits this long for it at most.</summary>
    private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(2);

    private readonly Stack<Session> _idle = new(); // newest on top: the sessions least likely to have been dropped
    private readonly Lock _gate = new();
    private long _opened;

    /// <summary>Sessions opened since start: with <see cref="SmtpOptions.PooledConnections"/> 0, one per send.</summary>
    public long Opened => Interlocked.Read(ref _opened);

    public async Task<Session> TakeAsync(CancellationToken cancellationToken)
    {
        while (TakeIdle() is { } kept)
        {
            if (kept.Client.IsConnected && time.GetUtcNow() - kept.IdleSince < options.ConnectionIdleTimeout)
            {
                return kept;
            }

            await CloseAsync(kept);
        }

        var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(options.Host, options.Port, options.UseStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, cancellationToken);
            if (options.Username is not null)
            {
                await client.AuthenticateAsync(options.Username, options.Password ?? "", cancellationToken);
            }
        }
        catch
        {
            client.Dispose();
            throw;
        }

        Interlocked.Increment(ref _opened);
        return new Session(client);
    }

    /// <summary>After a successful send: kept for the next one, or closed when the pool is full or the session has sent its share.</summary>
    public async Task ReturnAsync(Session session)
    {
        session.Sent++;
        session.IdleSince = time.GetUtcNow();
        if (session.Sent < options.MessagesPerConnection)
        {
            lock (_gate)
            {
                if (_idle.Count < options.PooledConnections)
                {
                    _idle.Push(session);
                    return;
                }
            }
        }

        await CloseAsync(session);
    }

    /// <summary>After a failed send the session's state is unknown: dropped without a QUIT.</summary>
    public static void Discard(Session? session) => session?.Client.Dispose();

    public async ValueTask DisposeAsync()
    {
        while (TakeIdle() is { } kept)
        {
            await CloseAsync(kept);
        }
    }

    private Session? TakeIdle()
    {
        lock (_gate)
        {
            return _idle.TryPop(out var session) ? session : null;
        }
    }

    private async Task CloseAsync(Session session)
    {
        try
        {
            if (session.Client.IsConnected)
            {
                using var quitWithin = new CancellationTokenSource(QuitTimeout, time);
                await session.Client.DisconnectAsync(quit: true, quitWithin.Token);
            }
        }
        catch (Exception failure)
        {
            LogCloseFailed(failure.Message); // the server may already have dropped it; nothing is lost either way
        }
        finally
        {
            session.Client.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Closing a kept SMTP session failed: {Error}")]
    private partial void LogCloseFailed(string error);
}
