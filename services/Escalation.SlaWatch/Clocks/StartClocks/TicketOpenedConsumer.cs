using Escalation.Contracts.Cases;
using Escalation.Contracts.Sla;
using Escalation.ServiceDefaults;
using Marten;
using MassTransit;

namespace Escalation.SlaWatch.Clocks.StartClocks;

public sealed partial class TicketOpenedConsumer(IDocumentStore store, SlaPolicy policy, ILogger<TicketOpenedConsumer> logger)
    : IConsumer<TicketOpened>
{
    public async Task Consume(ConsumeContext<TicketOpened> context)
    {
        var causation = context.MessageId?.ToString() ?? context.Message.CaseId.ToString();
        var appended = await store.DecideAsync<SlaCase>(context.Message.CaseId, causation, "service:slawatch",
            state => StartFirstResponseClock.Decide(state, context.Message, policy), context.CancellationToken, $"{policy.Id}@{policy.Version}");

        foreach (var started in appended.OfType<SlaClockStarted>())
        {
            LogStarted(started.CaseId, started.Metric.ToString(), started.DueAt);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId}: {Metric} clock started, due {DueAt:o}")]
    private partial void LogStarted(Guid caseId, string metric, DateTimeOffset dueAt);
}
