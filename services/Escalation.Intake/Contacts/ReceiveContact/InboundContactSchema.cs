using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Escalation.Contracts;
using Escalation.Contracts.Intake;
using Escalation.ServiceDefaults;
using static Escalation.Contracts.Intake.ContactLimits;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>
/// The JSON Schema of <see cref="InboundContact"/>, generated from the contract and <see cref="ContactLimits"/>.
/// The committed copy (contracts/Escalation.Contracts/Intake/inbound-contact.schema.json) is compared with this
/// in a test, so the two cannot drift; Intake also serves it at <c>GET /api/contacts/schema</c>.
/// </summary>
public static class InboundContactSchema
{
    private const string TraceParentPattern = "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$";

    private static readonly Dictionary<(Type, string), Action<JsonObject>> Limits = new()
    {
        [(typeof(InboundContact), "contactId")] = Text(MaxIdLength, "The channel's id of this message; with channel, the idempotency key."),
        [(typeof(InboundContact), "conversationId")] = Text(MaxIdLength, "The channel's conversation id; one open case per conversation and customer."),
        [(typeof(InboundContact), "text")] = Text(MaxTextLength, "The message text."),
        [(typeof(InboundContact), "subject")] = s => s["maxLength"] = MaxSubjectLength,
        [(typeof(InboundContact), "category")] = s => { s["maxLength"] = MaxCategoryLength; s["pattern"] = CategoryPattern; },
        [(typeof(InboundContact), "botConfidence")] = s => { s["minimum"] = 0; s["maximum"] = 1; },
        [(typeof(InboundContact), "occurredAt")] = s => s["description"] = $"When it happened at the channel, with offset; at most {MaxClockSkew.TotalMinutes} minutes ahead of the platform's clock.",
        [(typeof(InboundContact), "traceParent")] = s => s["pattern"] = TraceParentPattern,
        [(typeof(CustomerInfo), "id")] = Text(MaxIdLength, "The customer's id upstream."),
        [(typeof(CustomerInfo), "name")] = s => s["maxLength"] = MaxNameLength,
        [(typeof(CustomerInfo), "language")] = s => s["pattern"] = LanguagePattern,
        [(typeof(CustomerInfo), "email")] = s => { s["maxLength"] = MaxEmailLength; s["format"] = "email"; },
        [(typeof(IntentMatch), "name")] = Text(MaxIdLength, "Intent name."),
        [(typeof(SentimentScore), "score")] = s => { s["minimum"] = -1; s["maximum"] = 1; },
        [(typeof(SentimentScore), "source")] = Text(MaxSourceLength, "Who scored it."),
        [(typeof(ContactEntities), "orderId")] = s => s["maxLength"] = MaxIdLength,
        [(typeof(ContactEntities), "product")] = s => s["maxLength"] = MaxNameLength,
        [(typeof(MoneyAmount), "amount")] = s => { s["minimum"] = 0; s["maximum"] = MaxAmount; },
        [(typeof(MoneyAmount), "currency")] = s => s["pattern"] = CurrencyPattern,
    };

    public static string Generate()
    {
        var options = new JsonSerializerOptions(ContractJson.Options)
        {
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
        };
        var schema = options.GetJsonSchemaAsNode(typeof(InboundContact), new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, node) =>
            {
                // ContractJson reads timestamps with its own converter (offset required), which the exporter cannot see into.
                if (context.TypeInfo.Type == typeof(DateTimeOffset))
                {
                    node = new JsonObject { ["type"] = "string", ["format"] = "date-time" };
                }

                if (node is JsonObject property && context.PropertyInfo is { } info && Limits.TryGetValue((info.DeclaringType, info.Name), out var limit))
                {
                    limit(property);
                }

                // Unspecified is what a missing enum field reads as; it is never a valid value.
                if (node is JsonObject { } withEnum && withEnum["enum"] is JsonArray values)
                {
                    foreach (var unspecified in values.Where(v => v?.GetValue<string>() == "Unspecified").ToList())
                    {
                        values.Remove(unspecified);
                    }
                }

                return node;
            },
        }).AsObject();

        DropNullableFromRequired(schema);
        var document = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "https://escalation.platform/schemas/inbound-contact.schema.json",
            ["title"] = "InboundContact",
            ["description"] = "One message of a conversation, as a channel sends it to Intake: raw JSON to the AMQP fanout exchange " +
                "'escalation.inbound-contacts' (content type application/json) or POST /api/contacts. Generated from " +
                "Escalation.Contracts.Intake.InboundContact and ContactLimits; do not edit by hand.",
        };
        foreach (var (key, value) in schema.ToList())
        {
            schema.Remove(key);
            document[key] = value;
        }

        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    /// <summary>A nullable record parameter may be omitted: the exporter lists it as required, publishers need not send it.</summary>
    private static void DropNullableFromRequired(JsonNode? node)
    {
        if (node is JsonObject schema)
        {
            if (schema["required"] is JsonArray required && schema["properties"] is JsonObject properties)
            {
                foreach (var name in required.ToList().Where(n => properties[n!.GetValue<string>()] is JsonObject { } property
                    && property["type"] is JsonArray types && types.Any(t => t?.GetValue<string>() == "null")))
                {
                    required.Remove(name);
                }
            }

            foreach (var (_, child) in schema.ToList())
            {
                DropNullableFromRequired(child);
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array.ToList())
            {
                DropNullableFromRequired(child);
            }
        }
    }

    private static Action<JsonObject> Text(int maxLength, string description) => schema =>
    {
        schema["minLength"] = 1;
        schema["maxLength"] = maxLength;
        schema["description"] = description;
    };
}
