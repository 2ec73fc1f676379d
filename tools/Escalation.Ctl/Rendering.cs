using System.Globalization;
using Escalation.Contracts.History.V1;
using Google.Protobuf.WellKnownTypes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Escalation.Ctl;

/// <summary>How values and tables look in the readable (non-JSON) output.</summary>
internal static class Rendering
{
    public const string None = "—";

    public static Table CreateTable(params TableColumn[] columns) =>
        new Table().Border(TableBorder.Simple).AddColumns(columns);

    public static TableColumn Column(string header) => new(header);

    public static TableColumn NumberColumn(string header) => new TableColumn(header).RightAligned();

    /// <summary>Adds cells as plain text, so values such as "[rule-a]" are not read as Spectre markup.</summary>
    public static Table AddTextRow(this Table table, params string[] cells) =>
        table.AddRow(cells.Select(cell => (IRenderable)new Text(cell)).ToArray());

    public static string OrNone(string value) => value.Length == 0 ? None : value;

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Time(Timestamp? timestamp) =>
        timestamp is null
            ? None
            : timestamp.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Percent(double rate) => (rate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Duration(Duration? duration)
    {
        if (duration is null)
        {
            return None;
        }

        var span = duration.ToTimeSpan();
        var sign = span < TimeSpan.Zero ? "-" : "";
        span = span.Duration();
        return sign + span switch
        {
            { TotalSeconds: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0} ms"),
            { TotalMinutes: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s"),
            { TotalHours: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m {span.Seconds:00}s"),
            { TotalDays: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.Hours}h {span.Minutes:00}m"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{(long)span.TotalDays}d {span.Hours:00}h"),
        };
    }

    /// <summary>E.g. "escalation Hierarchical P2 L0→L2 [rule-a, rule-b]"; "—" when there is no decision.</summary>
    public static string Decision(TriageDecision? decision)
    {
        if (decision is null)
        {
            return None;
        }

        var parts = new List<string> { decision.Kind };
        if (decision.Type.Length > 0)
        {
            parts.Add(decision.Type);
        }

        if (decision.Priority.Length > 0)
        {
            parts.Add(decision.Priority);
        }

        if (decision.FromTier.Length > 0 || decision.ToTier.Length > 0)
        {
            parts.Add($"{OrNone(decision.FromTier)}→{OrNone(decision.ToTier)}");
        }

        if (decision.Capability.Length > 0)
        {
            parts.Add($"capability:{decision.Capability}");
        }

        if (decision.Rules.Count > 0)
        {
            parts.Add($"[{string.Join(", ", decision.Rules)}]");
        }

        return string.Join(' ', parts);
    }
}
