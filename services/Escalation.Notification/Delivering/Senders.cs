using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Escalation.Notification.Delivering;

/// <summary>How one send went: delivered (with the receiver's id for it), or failed and whether trying again may help.</summary>
public sealed record SendOutcome(bool Delivered, string? ProviderMessageId, string? Error, bool Transient)
{
    public static SendOutcome Success(string? providerMessageId) => new(true, providerMessageId, null, false);
    public static SendOutcome Retryable(string error) => new(false, null, error, true);
    public static SendOutcome Permanent(string error) => new(false, null, error, false);
}

public sealed record SmtpOptions
{
    public string Host { get; init; } = "localhost";
    public int Port { get; init; } = 25;
    public bool UseStartTls { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }
    public string From { get; init; } = "support@escalation.example";
    public string FromName { get; init; } = "Customer Support";
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Connected sessions kept open between sends, for the next ones to reuse; 0 opens one per email.</summary>
    public int PooledConnections { get; init; } = 8;

    /// <summary>A kept session idle longer than this is closed instead of reused (servers drop idle clients).</summary>
    public TimeSpan ConnectionIdleTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Emails one session sends before it is closed and a new one opened (some relays cap this).</summary>
    public int MessagesPerConnection { get; init; } = 100;
}

/// <summary>
/// Sends a delivery as one multipart (text + HTML) email over SMTP with MailKit, on a session from
/// <see cref="SmtpConnections"/>. The delivery id is the Message-Id, so a repeat after an interrupted attempt carries
/// the same id. SMTP 4xx replies, refused or dropped connections and timeouts are transient; 5xx replies are permanent.
/// A kept session the server has closed meanwhile is not a failure: the email goes out once more on a new session.
/// </summary>
public sealed partial class EmailSender(SmtpOptions options, SmtpConnections connections)
{
    public static string MessageIdFor(Guid deliveryId) => $"{deliveryId:N}@escalation.platform";

    public async Task<SendOutcome> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var content = delivery.Content ?? throw new InvalidOperationException($"Delivery {delivery.Id} has no content.");
        var message = new MimeMessage
        {
            MessageId = MessageIdFor(delivery.Id),
            Subject = content.Subject,
            Body = new MultipartAlternative
            {
                new TextPart("plain") { Text = content.Text },
                new TextPart("html") { Text = content.Html },
            },
        };
        message.From.Add(new MailboxAddress(options.FromName, options.From));
        message.To.AddRange(delivery.Recipients.Select(MailboxAddress.Parse));
        message.Headers.Add("Content-Language", delivery.Language);
        message.Headers.Add("X-Escalation-Template", delivery.Template);

        while (true)
        {
            SmtpConnections.Session? session = null;
            try
            {
                session = await connections.TakeAsync(cancellationToken);
                var reply = await session.Client.SendAsync(message, cancellationToken);
                await connections.ReturnAsync(session);
                return SendOutcome.Success(QueueId(reply) ?? message.MessageId);
            }
            catch (SmtpCommandException refused)
            {
                SmtpConnections.Discard(session);
                var error = $"SMTP {(int)refused.StatusCode}: {refused.Message}";
                return (int)refused.StatusCode >= 500 ? SendOutcome.Permanent(error) : SendOutcome.Retryable(error);
            }
            catch (Exception failure) when (IsConnectionFailure(failure, cancellationToken))
            {
                SmtpConnections.Discard(session);
                if (session is { Reused: true } && IsDropped(failure))
                {
                    continue; // the server closed the kept session while it sat idle: a new session, not a failed send
                }

                return SendOutcome.Retryable($"SMTP {failure.GetType().Name}: {failure.Message}");
            }
            catch
            {
                SmtpConnections.Discard(session);
                throw;
            }
        }
    }

    private static bool IsConnectionFailure(Exception failure, CancellationToken cancellationToken) =>
        IsDropped(failure) || failure is TimeoutException || failure is OperationCanceledException && !cancellationToken.IsCancellationRequested;

    /// <summary>The connection is gone. Not a timeout: a server that stopped answering is not retried at once.</summary>
    private static bool IsDropped(Exception failure) =>
        failure is SmtpProtocolException or SocketException or IOException or ServiceNotConnectedException;

    /// <summary>The server's id for the message from its final reply, e.g. Postfix's "Ok: queued as 4XyZ".</summary>
    private static string? QueueId(string reply) => QueuedAs().Match(reply) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex(@"queued as ([A-Za-z0-9]+)", RegexOptions.IgnoreCase)]
    private static partial Regex QueuedAs();
}

public sealed record WebhookOptions
{
    /// <summary>Secrets to sign with; every one signs, so receivers can rotate: add the new one first, drop the old one later.</summary>
    public IReadOnlyList<string> SigningSecrets { get; init; } = [];

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Posts a delivery's JSON, signed: <c>Escalation-Signature: v1=hex(HMAC-SHA256(secret, "{timestamp}.{body}"))</c>
/// with <c>Escalation-Timestamp</c> in Unix seconds, and <c>Escalation-Delivery-Id</c> for the receiver to drop
/// repeats. 2xx is delivered; 408, 429, 5xx, timeouts and refused connections are transient; other 4xx are permanent.
/// </summary>
public sealed class WebhookSender(HttpClient http, WebhookOptions options, TimeProvider time)
{
    public const string SignatureHeader = "Escalation-Signature";
    public const string TimestampHeader = "Escalation-Timestamp";
    public const string DeliveryIdHeader = "Escalation-Delivery-Id";

    public async Task<SendOutcome> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var json = delivery.Content?.Json ?? throw new InvalidOperationException($"Delivery {delivery.Id} has no content.");
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Recipients.Single())
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(DeliveryIdHeader, delivery.Id.ToString());
        request.Headers.Add(TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(SignatureHeader, Sign(options.SigningSecrets, timestamp, json));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                var id = response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.FirstOrDefault() : null;
                return SendOutcome.Success(id ?? $"HTTP {status}");
            }

            var error = $"HTTP {status} {response.ReasonPhrase}";
            return status is 408 or 429 or >= 500 ? SendOutcome.Retryable(error) : SendOutcome.Permanent(error);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return SendOutcome.Retryable($"no answer within {options.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException failure)
        {
            return SendOutcome.Retryable($"{failure.HttpRequestError}: {failure.Message}");
        }
    }

    /// <summary>The signature header value: one <c>v1=</c> entry per secret, comma-separated.</summary>
    public static string Sign(IReadOnlyList<string> secrets, long timestamp, string body)
    {
        var signed = Encoding.UTF8.GetBytes($"{timestamp}.{body}");
        return string.Join(",", secrets.Select(secret => "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed))));
    }

    /// <summary>What a receiver does (documented in the README): recompute, compare in constant time, reject old timestamps.</summary>
    public static bool Verify(string secret, string signatureHeader, string timestampHeader, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestampHeader, out var timestamp) || (now - DateTimeOffset.FromUnixTimeSeconds(timestamp)).Duration() > tolerance)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign([secret], timestamp, body));
        return signatureHeader.Split(',').Any(candidate => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate.Trim()), expected));
    }
}
