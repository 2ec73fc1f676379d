using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Escalation.UnitTests.Notification;

/// <summary>
/// A minimal SMTP server on loopback for the sender's session handling: it counts sessions, messages and QUITs, and
/// can drop a session right after accepting a message (as a relay closing an idle client does) or refuse a recipient.
/// Postfix's smtp-sink, which the end-to-end tests send to, cannot be told to do either at a given moment.
/// </summary>
internal sealed class ScriptedSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _sessions, _messages, _quits;

    public ScriptedSmtpServer()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Sessions => Volatile.Read(ref _sessions);
    public int Messages => Volatile.Read(ref _messages);
    public int Quits => Volatile.Read(ref _quits);

    /// <summary>Close the connection right after accepting each message, without waiting for QUIT.</summary>
    public bool DropAfterEachMessage { get; set; }

    /// <summary>RCPT TO this address is answered 550.</summary>
    public string? RefusedRecipient { get; set; }

    /// <summary>Waits until the server has seen <paramref name="count"/> QUITs (a client closes a session after its send returns).</summary>
    public async Task WaitForQuitsAsync(int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Quits < count)
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    private async Task AcceptAsync()
    {
        var sessions = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _sessions);
                sessions.Add(ServeAsync(client));
            }
        }
        catch (OperationCanceledException)
        {
            await Task.WhenAll(sessions);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            try
            {
                await writer.WriteLineAsync("220 scripted ESMTP");
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    var command = line.Split(' ', ':')[0].ToUpperInvariant();
                    switch (command)
                    {
                        case "EHLO" or "HELO":
                            await writer.WriteLineAsync("250 scripted");
                            break;
                        case "RCPT" when RefusedRecipient is { } refused && line.Contains(refused, StringComparison.OrdinalIgnoreCase):
                            await writer.WriteLineAsync("550 5.1.1 no such user");
                            break;
                        case "DATA":
                            await writer.WriteLineAsync("354 go ahead");
                            while (await reader.ReadLineAsync(_stop.Token) is { } body && body != ".")
                            {
                            }

                            var queued = Interlocked.Increment(ref _messages);
                            await writer.WriteLineAsync($"250 2.0.0 Ok: queued as Q{queued}");
                            if (DropAfterEachMessage)
                            {
                                return;
                            }

                            break;
                        case "QUIT":
                            Interlocked.Increment(ref _quits);
                            await writer.WriteLineAsync("221 bye");
                            return;
                        default: // MAIL, RCPT, RSET, NOOP
                            await writer.WriteLineAsync("250 ok");
                            break;
                    }
                }
            }
            catch (Exception failure) when (failure is IOException or OperationCanceledException)
            {
                // the client went away, or the server is stopping
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
    }
}
