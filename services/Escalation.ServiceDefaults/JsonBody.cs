using Microsoft.AspNetCore.Http;
using System.Buffers;
using System.Text.Json;

namespace Escalation.ServiceDefaults;

/// <summary>Reads a JSON body itself, so that malformed JSON is reported against the field at fault.</summary>
public static class JsonBody
{
    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    public static async Task<(T? Value, Dictionary<string, string[]> Errors)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return (default, new() { ["body"] = ["Content-Type must be application/json."] });
        }

        // RFC 8259 §8.1: no byte order mark. A stream deserializer would skip one; the AMQP transport cannot, so
        // both refuse it and the two transports accept the same bodies.
        var start = await request.BodyReader.ReadAtLeastAsync(ByteOrderMark.Length, cancellationToken);
        var startsWithMark = start.Buffer.Length >= ByteOrderMark.Length && start.Buffer.Slice(0, ByteOrderMark.Length).ToArray().AsSpan().SequenceEqual(ByteOrderMark);
        request.BodyReader.AdvanceTo(start.Buffer.Start);
        if (startsWithMark)
        {
            return (default, new() { ["body"] = ["A UTF-8 byte order mark is not allowed (RFC 8259, section 8.1)."] });
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

    /// <summary>
    /// Reads the body and, when it is well-formed and present, validates it: the errors name the field at fault
    /// (<c>body</c> when there is none).
    /// </summary>
    public static async Task<(T? Value, Dictionary<string, string[]> Errors)> ReadValidAsync<T>(HttpRequest request,
        Func<T, IReadOnlyDictionary<string, string[]>> validate, CancellationToken cancellationToken) where T : class
    {
        var (body, errors) = await ReadAsync<T>(request, cancellationToken);
        return errors.Count > 0 ? (body, errors)
            : body is null ? (null, new() { ["body"] = ["A body is required."] })
            : (body, new Dictionary<string, string[]>(validate(body)));
    }
}
