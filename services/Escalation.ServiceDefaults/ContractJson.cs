using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Escalation.ServiceDefaults;

/// <summary>JSON of contracts on the wire: camelCase properties, enums as their names.</summary>
public static class ContractJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        options.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
        return options;
    }
}
