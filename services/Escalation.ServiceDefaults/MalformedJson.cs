using System.Text.Json;
using System.Text.RegularExpressions;

namespace Escalation.ServiceDefaults;

/// <summary>Turns a JSON deserialization failure into the field at fault and a one-line reason.</summary>
public static partial class MalformedJson
{
    public static (string Field, string Reason) Describe(JsonException malformed)
    {
        var path = string.IsNullOrEmpty(malformed.Path) || malformed.Path == "$" ? "" : malformed.Path.TrimStart('$', '.');
        var message = malformed.Message.Split('\n', 2)[0].Trim();

        // "... was missing required properties including: 'matched'." names the field in the text, not the path.
        var missing = MissingProperty().Match(message);
        if (missing.Success)
        {
            var field = path.Length == 0 ? missing.Groups[1].Value : $"{path}.{missing.Groups[1].Value}";
            return (field, $"{field} is required.");
        }

        return (path.Length == 0 ? "body" : path, $"Malformed JSON or wrong type: {message}");
    }

    [GeneratedRegex("missing required properties including: '([^']+)'")]
    private static partial Regex MissingProperty();
}
