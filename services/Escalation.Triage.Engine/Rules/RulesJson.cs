using System.Text.Json;
using System.Text.Json.Serialization;

namespace Escalation.Triage.Engine;

/// <summary>Strict JSON for rule files: a misspelt field or an unknown enum name fails at start-up, not at 3 a.m.</summary>
internal static class RulesJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
    };
}
