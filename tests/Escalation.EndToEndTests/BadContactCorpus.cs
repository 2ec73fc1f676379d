using System.Text;
using System.Text.Json.Nodes;

namespace Escalation.EndToEndTests;

/// <summary>One bad input: its bytes, and the field a rejection must name (null: the body as a whole).</summary>
public sealed record BadContact(string Name, byte[] Body, string? Field)
{
    public override string ToString() => Name;
}

/// <summary>
/// More than a hundred ways a channel can send a bad contact: broken JSON, invalid UTF-8, missing and null required
/// fields, wrong types, unknown enums, and values outside the documented limits. Every contact id carries
/// <c>run</c>, so a test can prove that none of them was recorded.
/// </summary>
public static class BadContactCorpus
{
    public static IReadOnlyList<BadContact> Build(string run, DateTimeOffset now)
    {
        var cases = new List<BadContact>();
        void Raw(string name, string body) => cases.Add(new BadContact(name, Encoding.UTF8.GetBytes(body), null));
        void Bytes(string name, byte[] body, string? field) => cases.Add(new BadContact(name, body, field));
        void Mutate(string name, string field, Action<JsonObject> change)
        {
            var contact = Valid($"{run}-{cases.Count}", now);
            change(contact);
            cases.Add(new BadContact(name, Encoding.UTF8.GetBytes(contact.ToJsonString()), field));
        }

        // Not JSON, or not a JSON object.
        Raw("empty body", "");
        Raw("whitespace body", "   ");
        Raw("null", "null");
        Raw("array", "[]");
        Raw("number", "42");
        Raw("string", "\"hello\"");
        Raw("unclosed object", "{");
        Raw("plain text", "I want to talk to a human");
        Raw("single quotes", "{'contactId': 'x'}");
        Raw("trailing comma", Valid($"{run}-tc", now).ToJsonString().TrimEnd('}') + ",}");
        Raw("comment", "/* hi */" + Valid($"{run}-cm", now).ToJsonString());
        Raw("truncated", Valid($"{run}-tr", now).ToJsonString()[..40]);
        Raw("NaN literal", Valid($"{run}-nan", now).ToJsonString().Replace("\"botConfidence\":0.5", "\"botConfidence\":NaN"));
        Bytes("UTF-8 byte order mark", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Valid($"{run}-bom", now).ToJsonString())], null);
        Raw("two objects", Valid($"{run}-two", now).ToJsonString() + Valid($"{run}-two2", now).ToJsonString());

        // Invalid UTF-8 inside the text.
        foreach (var (name, bad) in new[] { ("invalid UTF-8 continuation", new byte[] { 0xC3, 0x28 }), ("invalid UTF-8 0xFF", new byte[] { 0xFF }),
                     ("overlong UTF-8", new byte[] { 0xC0, 0xAF }), ("truncated UTF-8", new byte[] { 0xE3, 0x81 }) })
        {
            var json = Encoding.UTF8.GetBytes(Valid($"{run}-{cases.Count}", now).ToJsonString());
            var marker = Encoding.UTF8.GetBytes("hello");
            var at = json.AsSpan().IndexOf(marker);
            Bytes(name, [.. json[..at], .. bad, .. json[(at + marker.Length)..]], null);
        }

        // Required fields missing, or null.
        foreach (var path in new[] { "contactId", "conversationId", "channel", "customer", "author", "text", "occurredAt", "customer.id", "customer.tier", "customer.language" })
        {
            Mutate($"missing {path}", path, c => Remove(c, path));
            Mutate($"null {path}", path, c => Set(c, path, null));
        }

        // Wrong JSON types.
        JsonNode?[] notString = [42, true, new JsonObject(), new JsonArray()];
        foreach (var path in new[] { "contactId", "conversationId", "text", "subject", "category", "customer.id", "customer.name", "customer.language", "customer.email", "traceParent" })
        {
            foreach (var value in notString)
            {
                Mutate($"{path} as {Kind(value)}", path, c => Set(c, path, value?.DeepClone()));
            }
        }

        JsonNode?[] notNumber = ["high", true, new JsonObject()];
        foreach (var path in new[] { "botConfidence", "sentiment.score", "entities.amount.amount" })
        {
            foreach (var value in notNumber)
            {
                Mutate($"{path} as {Kind(value)}", path, c => Set(c, path, value?.DeepClone()));
            }
        }

        Mutate("occurredAt as number", "occurredAt", c => c["occurredAt"] = 1_700_000_000);
        Mutate("occurredAt as words", "occurredAt", c => c["occurredAt"] = "yesterday");
        Mutate("occurredAt impossible date", "occurredAt", c => c["occurredAt"] = "2026-13-45T25:00:00Z");
        Mutate("intent.matched as string", "intent.matched", c => c["intent"]!["matched"] = "yes");

        // Unknown enum values.
        foreach (var path in new[] { "channel", "author", "customer.tier" })
        {
            foreach (JsonNode? value in new JsonNode?[] { "Carrier pigeon", "", 3, "Unspecified" })
            {
                Mutate($"{path} = {value?.ToJsonString()}", path, c => Set(c, path, value?.DeepClone()));
            }
        }

        // Outside the documented limits.
        Mutate("contactId too long", "contactId", c => c["contactId"] = $"{run}-" + new string('x', 200));
        Mutate("conversationId too long", "conversationId", c => c["conversationId"] = new string('c', 201));
        Mutate("contactId blank", "contactId", c => c["contactId"] = "   ");
        Mutate("contactId with control character", "contactId", c => c["contactId"] = $"{run}-a\u0001b");
        Mutate("text too long", "text", c => c["text"] = new string('t', 20_001));
        Mutate("text empty", "text", c => c["text"] = "");
        Mutate("text blank", "text", c => c["text"] = " \n\t ");
        Mutate("customer.id empty", "customer.id", c => c["customer"]!["id"] = "");
        Mutate("customer.name too long", "customer.name", c => c["customer"]!["name"] = new string('n', 201));
        Mutate("language not a tag", "customer.language", c => c["customer"]!["language"] = "english");
        Mutate("language empty", "customer.language", c => c["customer"]!["language"] = "");
        Mutate("email not an address", "customer.email", c => c["customer"]!["email"] = "not-an-address");
        Mutate("email with display name", "customer.email", c => c["customer"]!["email"] = "Taro <taro@example.jp>");
        Mutate("subject too long", "subject", c => c["subject"] = new string('s', 501));
        Mutate("category with spaces", "category", c => c["category"] = "bad category!");
        Mutate("botConfidence above 1", "botConfidence", c => c["botConfidence"] = 1.5);
        Mutate("botConfidence negative", "botConfidence", c => c["botConfidence"] = -0.1);
        Mutate("sentiment below -1", "sentiment.score", c => c["sentiment"]!["score"] = -2);
        Mutate("sentiment source missing", "sentiment.source", c => c["sentiment"]!.AsObject().Remove("source"));
        Mutate("intent name empty", "intent.name", c => c["intent"]!["name"] = "");
        Mutate("negative amount", "entities.amount.amount", c => c["entities"]!["amount"]!["amount"] = -1);
        Mutate("absurd amount", "entities.amount.amount", c => c["entities"]!["amount"]!["amount"] = 1e12);
        Mutate("currency lower case", "entities.amount.currency", c => c["entities"]!["amount"]!["currency"] = "yen");
        Mutate("currency missing", "entities.amount.currency", c => c["entities"]!["amount"]!.AsObject().Remove("currency"));
        Mutate("orderId too long", "entities.orderId", c => c["entities"]!["orderId"] = new string('o', 201));
        Mutate("occurredAt a day ahead", "occurredAt", c => c["occurredAt"] = now.AddDays(1).ToString("o"));
        Mutate("occurredAt in 1999", "occurredAt", c => c["occurredAt"] = "1999-12-31T23:59:59Z");
        Mutate("traceParent garbage", "traceParent", c => c["traceParent"] = "not-a-traceparent");
        Mutate("intent.matched missing", "intent.matched", c => c["intent"]!.AsObject().Remove("matched"));
        Mutate("sentiment.score missing", "sentiment.score", c => c["sentiment"]!.AsObject().Remove("score"));
        Mutate("amount missing", "entities.amount.amount", c => c["entities"]!["amount"]!.AsObject().Remove("amount"));
        Mutate("occurredAt without offset", "occurredAt", c => c["occurredAt"] = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss"));
        Mutate("botConfidence as numeric string", "botConfidence", c => c["botConfidence"] = "0.5");
        Mutate("language with trailing newline", "customer.language", c => c["customer"]!["language"] = "en\n");
        Mutate("currency with trailing newline", "entities.amount.currency", c => c["entities"]!["amount"]!["currency"] = "JPY\n");
        return cases;
    }

    /// <summary>A valid contact with every optional field set, so that each case breaks exactly one thing.</summary>
    public static JsonObject Valid(string contactId, DateTimeOffset now) => new()
    {
        ["contactId"] = contactId,
        ["conversationId"] = $"conv-{contactId}",
        ["channel"] = "Chat",
        ["customer"] = new JsonObject { ["id"] = $"cust-{contactId}", ["name"] = "Corpus", ["tier"] = "Standard", ["language"] = "en", ["email"] = "corpus@example.com" },
        ["author"] = "Customer",
        ["text"] = "hello",
        ["occurredAt"] = now.ToString("o"),
        ["subject"] = "Corpus",
        ["category"] = "billing",
        ["botConfidence"] = 0.5,
        ["intent"] = new JsonObject { ["name"] = "greeting", ["matched"] = true },
        ["sentiment"] = new JsonObject { ["score"] = 0.1, ["source"] = "channel" },
        ["entities"] = new JsonObject { ["orderId"] = "A-1", ["amount"] = new JsonObject { ["amount"] = 10, ["currency"] = "JPY" }, ["product"] = "router" },
        ["traceParent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    };

    private static void Set(JsonObject contact, string path, JsonNode? value)
    {
        var (parent, name) = Parent(contact, path);
        parent[name] = value;
    }

    private static void Remove(JsonObject contact, string path)
    {
        var (parent, name) = Parent(contact, path);
        parent.Remove(name);
    }

    private static (JsonObject Parent, string Name) Parent(JsonObject contact, string path)
    {
        var parts = path.Split('.');
        var parent = parts[..^1].Aggregate(contact, (node, part) => node[part]!.AsObject());
        return (parent, parts[^1]);
    }

    private static string Kind(JsonNode? value) => value switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v when v.TryGetValue<bool>(out _) => "boolean",
        JsonValue v when v.TryGetValue<string>(out _) => "string",
        _ => "number",
    };
}
