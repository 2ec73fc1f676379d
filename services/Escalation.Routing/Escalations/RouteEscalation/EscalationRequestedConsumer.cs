using Escalation.Contracts.Escalations;
using Escalation.ServiceDefaults;
using Marten;
using MassTransit;

namespace Escalation.Routing.Escalations.RouteEscalation;

/// <summary>Routes each requested escalation once (keyed by escalation id).</summary>
public sealed partial class EscalationRequestedConsumer(IDocumentStore store, EscalationMatrix matrix, TimeProvider time, ILogger<EscalationRequestedConsumer> logger)
    : IConsumer<EscalationRequested>
{
    public async Task Consume(ConsumeContext<EscalationRequested> context)
    {
        var causation = context.MessageId?.ToString() ?? context.Message.EscalationId.ToString();
        var appended = await store.DecideAsync<RoutingCase>(context.Message.CaseId, causation, "service:routing",
            state => RouteEscalation.Decide(state, context.Message, matrix, time.GetUtcNow()), context.CancellationToken, matrix.Version);

        foreach (var routed in appended.OfType<EscalationRouted>())
        {
            LogRouted(routed.CaseId, routed.EscalationId, routed.Team, routed.AcknowledgeBy);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId} escalation {EscalationId} routed to {Team}, acknowledge by {AcknowledgeBy:o}")]
    private partial void LogRouted(Guid caseId, Guid escalationId, string team, DateTimeOffset acknowledgeBy);
}
