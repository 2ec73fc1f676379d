using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Escalation.Notification.Planning;

/// <summary>A message after rendering: a one-line subject, a plain-text body and the same body as HTML.</summary>
public sealed record RenderedMessage(string Subject, string Text, string Html);

/// <summary>
/// One template in one language, read from <c>Templates/{id}.{language}.txt</c>: a first line <c>Subject: …</c>, a
/// blank line, then the body. <c>{{name}}</c> inserts a value; the names a template may use are
/// <see cref="Placeholders"/>.
/// </summary>
public sealed partial record MessageTemplate(string Id, string Language, string Subject, string Body)
{
    public const int MaxSubjectLength = 200;

    /// <summary>Every value the planner supplies; a template naming anything else is refused at start-up.</summary>
    public static readonly IReadOnlySet<string> Placeholders = new HashSet<string>(StringComparer.Ordinal)
    {
        "reference", "customerName", "caseSubject", "channel", "category", "expectedBy", "team", "agent", "priority", "previousPriority",
        "escalationType", "fromTier", "toTier", "capability", "triggers", "summary", "triggerReason", "intents", "entities",
        "sentiment", "attemptedSolutions", "transcript", "queue", "reason", "acknowledgeBy", "chainLevel", "metric",
        "thresholdPercent", "remaining", "dueAt", "resolution",
    };

    public static MessageTemplate Parse(string id, string language, string content, string source)
    {
        var lines = content.ReplaceLineEndings("\n").Split('\n');
        if (lines.Length < 3 || !lines[0].StartsWith("Subject: ", StringComparison.Ordinal) || lines[1].Length != 0)
        {
            throw new InvalidOperationException($"Template {source}: the first line must be 'Subject: …' followed by a blank line.");
        }

        var template = new MessageTemplate(id, language, lines[0]["Subject: ".Length..], string.Join('\n', lines.Skip(2)).TrimEnd() + "\n");
        var unknown = PlaceholderPattern().Matches(template.Subject + template.Body).Select(m => m.Groups[1].Value).Where(n => !Placeholders.Contains(n)).Distinct().ToList();
        return unknown.Count == 0
            ? template
            : throw new InvalidOperationException($"Template {source} uses unknown placeholder(s) {string.Join(", ", unknown)}; known: {string.Join(", ", Placeholders)}.");
    }

    /// <summary>
    /// Fills the template. Values are customer- and agent-written text, so each output encodes them for where they
    /// land: the subject loses line breaks and control characters (no header injection) and is cut to
    /// <see cref="MaxSubjectLength"/>; the text keeps line breaks only; the HTML encodes everything.
    /// </summary>
    public RenderedMessage Render(IReadOnlyDictionary<string, string> values)
    {
        string Value(Match m) => values.TryGetValue(m.Groups[1].Value, out var v) ? v : "";

        var subject = OneLine(PlaceholderPattern().Replace(Subject, m => OneLine(Value(m))));
        if (subject.Length > MaxSubjectLength)
        {
            subject = subject[..(MaxSubjectLength - 1)] + "…";
        }

        var text = PlaceholderPattern().Replace(Body, m => Printable(Value(m)));
        var html = new StringBuilder($"<!DOCTYPE html>\n<html lang=\"{WebUtility.HtmlEncode(Language)}\"><body>\n<p>");
        var escaped = PlaceholderPattern().Replace(WebUtility.HtmlEncode(Body), m => WebUtility.HtmlEncode(Printable(Value(m))));
        html.Append(escaped.TrimEnd('\n').Replace("\n\n", "</p>\n<p>").Replace("\n", "<br>\n"));
        html.Append("</p>\n</body></html>\n");
        return new RenderedMessage(subject, text, html.ToString());
    }

    /// <summary>Line breaks and tabs become spaces, other control characters go, runs of spaces collapse.</summary>
    private static string OneLine(string value) => Spaces().Replace(new string(value.Select(c => char.IsControl(c) ? ' ' : c).ToArray()), " ").Trim();

    /// <summary>Keeps line breaks (normalised to \n) and tabs; drops other control characters.</summary>
    private static string Printable(string value) => new(value.ReplaceLineEndings("\n").Where(c => c is '\n' or '\t' || !char.IsControl(c)).ToArray());

    // HtmlEncode leaves braces alone, so the same pattern finds placeholders in the encoded body.
    [GeneratedRegex(@"\{\{([A-Za-z]+)\}\}")]
    private static partial Regex PlaceholderPattern();

    [GeneratedRegex(@" {2,}")]
    private static partial Regex Spaces();
}

/// <summary>The templates of a folder, by id and language; a language without its own file falls back to English.</summary>
public sealed class TemplateSet
{
    public const string Fallback = "en";
    private readonly IReadOnlyDictionary<(string Id, string Language), MessageTemplate> _templates;

    private TemplateSet(string directory, IReadOnlyDictionary<(string, string), MessageTemplate> templates) =>
        (Directory, _templates) = (directory, templates);

    public string Directory { get; }

    public static TemplateSet Load(string directory)
    {
        var templates = new Dictionary<(string, string), MessageTemplate>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*.txt"))
        {
            var parts = Path.GetFileNameWithoutExtension(path).Split('.');
            if (parts.Length != 2)
            {
                throw new InvalidOperationException($"Template file {path} must be named <id>.<language>.txt.");
            }

            templates[(parts[0], parts[1])] = MessageTemplate.Parse(parts[0], parts[1], File.ReadAllText(path), path);
        }

        return new TemplateSet(directory, templates);
    }

    public bool Has(string id) => _templates.ContainsKey((id, Fallback));

    /// <summary>The template in the language's primary subtag (<c>ja-JP</c> → <c>ja</c>), else in English.</summary>
    public MessageTemplate Find(string id, string language)
    {
        var primary = language.Split('-', 2)[0].ToLowerInvariant();
        return _templates.TryGetValue((id, primary), out var own) ? own : _templates[(id, Fallback)];
    }
}
