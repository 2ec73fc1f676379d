using System.Diagnostics;
using Escalation.Contracts;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Escalation.ServiceDefaults;

/// <summary>
/// Around every consumed case event: the consumer's span gets the case's attributes (<see cref="CaseTelemetry"/>), and
/// every log line written while it is handled carries the case id, reference, event type and event id in its scope.
/// The reference comes from the relay's <see cref="CaseTelemetry.ReferenceHeader"/>, so consumers need not look it up.
/// </summary>
public sealed class CaseEventObservation<T>(ILogger<CaseEventObservation<T>> logger) : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (context.Message is not ICaseEvent caseEvent)
        {
            await next.Send(context);
            return;
        }

        var reference = context.Headers.Get<string>(CaseTelemetry.ReferenceHeader);
        Activity.Current.Tag(caseEvent, reference);
        using (logger.BeginScope(CaseTelemetry.LogScope(caseEvent.CaseId, reference, typeof(T).Name, context.MessageId)))
        {
            await next.Send(context);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("caseEventObservation");
}
