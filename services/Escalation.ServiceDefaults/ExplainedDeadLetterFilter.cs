using MassTransit;
using MassTransit.Transports;

namespace Escalation.ServiceDefaults;

/// <summary>
/// Moves a message that no consumer took (for a raw JSON endpoint: a body that is empty or JSON <c>null</c>) to the
/// endpoint's <c>_skipped</c> queue like MassTransit's own dead-letter filter, but with a reason in <c>MT-Reason</c>
/// instead of the bare word "dead-letter".
/// </summary>
public sealed class ExplainedDeadLetterFilter(string reason) : IFilter<ReceiveContext>
{
    public void Probe(ProbeContext context) => context.CreateFilterScope("explained-dead-letter");

    public async Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        if (!context.TryGetPayload(out IDeadLetterTransport? transport))
        {
            throw new TransportException(context.InputAddress, "No dead-letter transport on the receive context.");
        }

        await transport.Send(context, reason);
        await next.Send(context);
    }
}
