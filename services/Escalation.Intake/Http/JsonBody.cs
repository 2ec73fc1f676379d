using System.Text.Json;
using Escalation.ServiceDefaults;

namespace Escalation.Intake.Http;

/// <summary>Reads a JSON body itself, so that malformed JSON is reported against the field at fault.</summary>
public static class JsonBody
{
    public static async Task<(T? Value, Dictionary<string, string[]> Errors)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return (default, new() { ["body"] = ["Content-Type must be application/json."] });
        }

        try
        {
            return (await JsonSerializer.DeserializeAsync<T>(request.Body, ContractJson.Options, cancellationToken), []);
        }
        catch (JsonException malformed)
        {
            var (field, reason) = MalformedJson.Describe(malformed);
            return (default, new() { [field] = [reason] });
        }
    }
}
