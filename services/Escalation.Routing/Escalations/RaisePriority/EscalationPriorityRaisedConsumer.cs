using Escalation.Contracts.Escalations;
using Escalation.Routing.Matrix;
using Marten;
using MassTransit;

namespace Escalation.Routing.Escalations.RaisePriority;

/// <summary>
/// A more urgent escalation gets the shorter acknowledgement deadline of its new priority (never a longer one), and
/// takes its new place in the queue order.
/// </summary>
public sealed class EscalationPriorityRaisedConsumer(IDocumentStore store, RoutingSettings settings) : IConsumer<EscalationPriorityRaised>
{
    public async Task Consume(ConsumeContext<EscalationPriorityRaised> context)
    {
        var raised = context.Message;
        await using var session = store.LightweightSession();
        if (await session.LoadAsync<Assignment>(raised.EscalationId, context.CancellationToken) is not { } found)
        {
            return;
        }

        await session.LockTeamsAsync(found.Teams, context.CancellationToken);
        var assignment = (await session.LoadAsync<Assignment>(raised.EscalationId, context.CancellationToken))!;
        if (assignment.Status == AssignmentStatus.Closed || assignment.Priority <= raised.To)
        {
            return;
        }

        var sooner = raised.RaisedAt + settings.AcknowledgeWithin[raised.To];
        session.Store(assignment with
        {
            Priority = raised.To,
            AcknowledgeBy = assignment is { Status: AssignmentStatus.Offered, AcknowledgeBy: { } due } && sooner < due ? sooner : assignment.AcknowledgeBy,
        });
        await session.SaveChangesAsync(context.CancellationToken);
    }
}
