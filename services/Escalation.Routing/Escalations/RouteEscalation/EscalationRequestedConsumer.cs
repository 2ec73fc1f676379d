using Escalation.Contracts.Escalations;
using MassTransit;

namespace Escalation.Routing.Escalations.RouteEscalation;

/// <summary>
/// Routes each requested escalation once (keyed by escalation id). A newer escalation of the same case supersedes
/// the open one: its assignment closes and its agent's capacity goes back to the team's queue.
/// </summary>
public sealed class EscalationRequestedConsumer(EscalationRouter router) : IConsumer<EscalationRequested>
{
    public Task Consume(ConsumeContext<EscalationRequested> context) =>
        router.RouteAsync(context.Message, context.MessageId?.ToString() ?? context.Message.EscalationId.ToString(), context.CancellationToken);
}
