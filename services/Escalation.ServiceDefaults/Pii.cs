using System.Text.RegularExpressions;

namespace Escalation.ServiceDefaults;

/// <summary>
/// Masks personal data in free text bound for logs and traces (a mail server's error names the mailbox it refused).
/// Structured log fields and span attributes carry ids, never a customer's name, email or phone; free text from
/// outside (error messages) goes through <see cref="Redact"/> first.
/// </summary>
public static partial class Pii
{
    /// <summary>Emails keep their domain (<c>***@example.jp</c>); phone numbers keep their last two digits.</summary>
    public static string Redact(string? text) => text is null ? "" :
        PhoneNumber().Replace(Email().Replace(text, match => $"***@{match.Groups["domain"].Value}"),
            match => new string('*', match.Length - 2) + match.Value[^2..]);

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@(?<domain>[A-Za-z0-9.\-]+\.[A-Za-z]{2,})")]
    private static partial Regex Email();

    // A + or digit, then at least 9 more digits with optional separators: long enough to spare dates, ports and counts.
    [GeneratedRegex(@"(?<![\w+])\+?\d(?:[\s\-().]?\d){9,14}(?!\w)")]
    private static partial Regex PhoneNumber();
}
