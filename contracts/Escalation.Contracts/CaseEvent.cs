namespace Escalation.Contracts;

/// <summary>
/// Marks an event of a case stream. The stream id is the case id; the relay publishes every case event
/// with CorrelationId = <see cref="CaseId"/> and MessageId = the stored event's id.
/// </summary>
public interface ICaseEvent
{
    Guid CaseId { get; }
}

/// <summary>Metadata header names written on every stored case event.</summary>
public static class EventHeaders
{
    /// <summary>W3C trace context of the work that appended the event.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>W3C trace state, when there is one.</summary>
    public const string TraceState = "tracestate";

    /// <summary>Which service or person appended the event, e.g. <c>service:triage</c>.</summary>
    public const string Actor = "actor";

    /// <summary>Version of the rules or policy that made the decision.</summary>
    public const string RulesVersion = "rules-version";
}
