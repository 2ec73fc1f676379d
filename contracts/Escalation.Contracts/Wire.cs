namespace Escalation.Contracts;

/// <summary>Names on the broker that publishers and subscribers outside the platform's code rely on.</summary>
public static class Wire
{
    /// <summary>Fanout exchange for channels that publish contacts as plain JSON (no MassTransit envelope).</summary>
    public const string InboundContactsExchange = "escalation.inbound-contacts";

    /// <summary>Headers the relay puts on every case event it publishes.</summary>
    public static class CaseEventHeaders
    {
        /// <summary>The event's global position in the event store.</summary>
        public const string Sequence = "escalation-sequence";

        /// <summary>The event's version within its case stream.</summary>
        public const string StreamVersion = "escalation-stream-version";

        /// <summary>When the event was recorded (ISO 8601): a consumer's receive time minus this is the relay lag.</summary>
        public const string RecordedAt = "escalation-recorded-at";
    }
}
