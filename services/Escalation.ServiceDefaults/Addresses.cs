using System.Net.Mail;
using Escalation.Contracts.Intake;

namespace Escalation.ServiceDefaults;

/// <summary>The address forms the platform accepts for notification recipients.</summary>
public static class Addresses
{
    /// <summary>A bare address (<c>taro@example.jp</c>): no display name, no comments, no list.</summary>
    public static bool IsPlainEmail(string value) =>
        value.Length <= ContactLimits.MaxEmailLength && MailAddress.TryCreate(value, out var parsed) && parsed.Address == value;

    /// <summary>An absolute http(s) URL without credentials in it.</summary>
    public static bool IsWebhookUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && string.IsNullOrEmpty(uri.UserInfo);
}
