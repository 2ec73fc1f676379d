using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Escalation.Notification.Channels;

public sealed record SmtpOptions
{
    public string Host { get; init; } = "localhost";
    public int Port { get; init; } = 25;
    public bool UseStartTls { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }
    public string From { get; init; } = "support@escalation.example";
    public string FromName { get; init; } = "Customer Support";
}

/// <summary>An email to send; <see cref="NotificationId"/> becomes the Message-Id so receivers can drop repeats.</summary>
public sealed record Email(Guid NotificationId, string To, string Subject, string Body, string Language);

/// <summary>Sends email over SMTP with MailKit.</summary>
public sealed class EmailSender(SmtpOptions options)
{
    public async Task SendAsync(Email email, CancellationToken cancellationToken)
    {
        var message = new MimeMessage
        {
            MessageId = $"{email.NotificationId:N}@escalation.platform",
            Subject = email.Subject,
            Body = new TextPart("plain") { Text = email.Body },
        };
        message.From.Add(new MailboxAddress(options.FromName, options.From));
        message.To.Add(MailboxAddress.Parse(email.To));
        message.Headers.Add("Content-Language", email.Language);

        using var client = new SmtpClient();
        await client.ConnectAsync(options.Host, options.Port, options.UseStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, cancellationToken);
        if (options.Username is not null)
        {
            await client.AuthenticateAsync(options.Username, options.Password ?? "", cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
