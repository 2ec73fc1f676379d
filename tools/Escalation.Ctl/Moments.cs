using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Escalation.Ctl;

/// <summary>Parses the points in time options take: a date (midnight UTC) or an ISO-8601 timestamp with an offset.</summary>
internal static partial class Moments
{
    // A timestamp without an offset would silently mean the local time zone of whoever runs the command.
    [GeneratedRegex(@"T.*(Z|[+-]\d{2}:\d{2})$", RegexOptions.IgnoreCase)]
    private static partial Regex TimestampWithOffset();

    public static DateTimeOffset? Parse(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        if (TimestampWithOffset().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var moment))
        {
            return moment;
        }

        result.AddError($"'{text}' is neither a date (2026-11-24) nor a timestamp with an offset (2026-11-24T09:30:00Z).");
        return null;
    }
}
