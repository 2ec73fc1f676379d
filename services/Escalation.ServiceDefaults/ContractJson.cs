using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Escalation.ServiceDefaults;

/// <summary>
/// JSON of contracts on the wire, read strictly: camelCase properties, enums by name only, numbers as numbers,
/// timestamps with an explicit offset, and required value-type fields (a missing <c>matched</c> or <c>score</c>
/// must not silently read as false or 0).
/// </summary>
public static class ContractJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        options.Converters.Add(new OffsetRequiredConverter());
        options.NumberHandling = JsonNumberHandling.Strict;
        options.TypeInfoResolver = (options.TypeInfoResolver as DefaultJsonTypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(RequireValueFields);
        return options;
    }

    /// <summary>Contract value-type fields (bool, numbers) are required unless nullable; enums are checked by intake.</summary>
    private static void RequireValueFields(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object || type.Type.Namespace?.StartsWith("Escalation.Contracts", StringComparison.Ordinal) != true)
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            var propertyType = property.PropertyType;
            if (propertyType.IsValueType && !propertyType.IsEnum && Nullable.GetUnderlyingType(propertyType) is null
                && propertyType != typeof(DateTimeOffset) && propertyType != typeof(Guid) && propertyType != typeof(TimeSpan))
            {
                property.IsRequired = true;
            }
        }
    }

    /// <summary>Reads ISO 8601 timestamps only with Z or ±hh:mm; without one, .NET would assume the server's zone.</summary>
    private sealed class OffsetRequiredConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString();
            if (text is null || !HasOffset(text) || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            {
                throw new JsonException("Expected an ISO 8601 timestamp with an offset, e.g. 2026-11-23T10:00:00+09:00 or 2026-11-23T01:00:00Z.");
            }

            return value;
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString("O", CultureInfo.InvariantCulture));

        private static bool HasOffset(string text) =>
            text.Length > 10 && (text.EndsWith('Z') || text.EndsWith('z') || text[^6] is '+' or '-' && text[^3] == ':');
    }
}
