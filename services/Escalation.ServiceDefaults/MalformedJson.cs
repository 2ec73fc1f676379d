using System.Text.Json;

namespace Escalation.ServiceDefaults;

/// <summary>Turns a JSON deserialization failure into the field at fault and a one-line reason.</summary>
public static class MalformedJson
{
    public static (string Field, string Reason) Describe(JsonException malformed)
    {
        var field = string.IsNullOrEmpty(malformed.Path) || malformed.Path == "$" ? "body" : malformed.Path.TrimStart('$', '.');
        return (field, $"Malformed JSON or wrong type: {malformed.Message.Split('\n', 2)[0].Trim()}");
    }
}
