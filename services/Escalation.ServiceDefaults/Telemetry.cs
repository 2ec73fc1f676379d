using System.Diagnostics;
using Escalation.Contracts;

namespace Escalation.ServiceDefaults;

/// <summary>Names of the activity sources and meters exported, and the trace context helpers for stored events.</summary>
public static class Telemetry
{
    /// <summary>The platform's own activity source (the relay and the services' decisions).</summary>
    public static readonly ActivitySource Source = new("Escalation.Platform");

    /// <summary>The header MassTransit carries the sender's W3C activity id in, and continues the trace from on receive.</summary>
    public const string MassTransitActivityIdHeader = "MT-Activity-Id";

    public static readonly string[] ActivitySourceNames =
        ["Escalation.Platform", "MassTransit", "Marten", "Npgsql", "Grpc.AspNetCore.Server", "Grpc.Net.Client"];

    public static readonly string[] MeterNames =
        ["Escalation.Platform", "MassTransit", "Marten", "Npgsql", "Microsoft.AspNetCore.Hosting", "Grpc.AspNetCore.Server"];

    /// <summary>
    /// A new trace for work a timer starts on a case (an SLA warning or breach, an acknowledgement deadline): nothing
    /// upstream caused it, but its events still get a trace id to jump to, and its span names the case.
    /// </summary>
    public static Activity? StartTimedWork(string name, Guid caseId)
    {
        var activity = Source.StartActivity(name, ActivityKind.Internal, parentContext: default);
        activity?.SetTag(CaseTelemetry.CaseId, caseId.ToString());
        return activity;
    }

    /// <summary>
    /// A span for work done for many callers at once (a group commit): it belongs to no single caller's trace, so it
    /// starts a trace of its own, linked to each caller's span, and counts the callers in <paramref name="sizeTag"/>.
    /// </summary>
    public static Activity? StartGroupWork(string name, IReadOnlyCollection<Activity?> callers, string sizeTag)
    {
        var activity = Source.StartActivity(name, ActivityKind.Internal, parentContext: default,
            links: callers.OfType<Activity>().Select(caller => new ActivityLink(caller.Context)));
        activity?.SetTag(sizeTag, callers.Count);
        return activity;
    }

    /// <summary>The trace context stored on an event, when it has a valid one.</summary>
    public static ActivityContext? ContextFromHeaders(IReadOnlyDictionary<string, object>? headers)
    {
        if (headers is null || !headers.TryGetValue(EventHeaders.TraceParent, out var traceParent))
        {
            return null;
        }

        headers.TryGetValue(EventHeaders.TraceState, out var traceState);
        return ActivityContext.TryParse(traceParent?.ToString(), traceState?.ToString(), isRemote: true, out var context)
            ? context
            : null;
    }
}
