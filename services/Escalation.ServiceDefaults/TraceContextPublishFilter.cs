using System.Diagnostics;
using MassTransit;

namespace Escalation.ServiceDefaults;

/// <summary>
/// Every published message carries the publisher's trace. MassTransit writes <see cref="Telemetry.MassTransitActivityIdHeader"/>
/// only from its own send span, and OpenTelemetry creates none under an unsampled local parent: without this, the
/// consumers of an unsampled case would start new traces and its events would no longer share one trace id. When
/// MassTransit does create its span, its header wins.
/// </summary>
public sealed class TraceContextPublishFilter<T> : IFilter<PublishContext<T>> where T : class
{
    public Task Send(PublishContext<T> context, IPipe<PublishContext<T>> next)
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } current && context.Headers.Get<string>(Telemetry.MassTransitActivityIdHeader) is null)
        {
            context.Headers.Set(Telemetry.MassTransitActivityIdHeader, current.Id);
        }

        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("traceContext");
}
