using Escalation.Contracts;
using Escalation.SlaWatch.Engine;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using Escalation.ServiceDefaults;
using MassTransit;

namespace Escalation.SlaWatch.Clocks.TrackClocks;

/// <summary>
/// Starts, stops, pauses, resumes and re-targets clocks from the case events, one case at a time in stream order, and
/// re-plans the case's alerts in the same transaction. Idempotent: a decision already applied changes nothing.
/// </summary>
public sealed partial class CaseSignalsConsumer(CaseDecisionGroups<SlaCase> decisions, SlaPolicy policy, WakeSignal alarm, ILogger<CaseSignalsConsumer> logger) :
    IConsumer<TicketOpened>, IConsumer<ContactReceived>, IConsumer<AgentResponded>, IConsumer<EscalationRouted>, IConsumer<EscalationAcknowledged>,
    IConsumer<EscalationRequested>, IConsumer<EscalationPriorityRaised>, IConsumer<CaseResolved>, IConsumer<CaseReopened>
{
    public Task Consume(ConsumeContext<TicketOpened> context) => Track(context, context.Message.CaseId, context.Message);
    public Task Consume(ConsumeContext<ContactReceived> context) => Track(context, context.Message.CaseId, context.Message);
    public Task Consume(ConsumeContext<AgentResponded> context) => Track(context, context.Message.CaseId, context.Message);
    public Task Consume(ConsumeContext<EscalationRouted> context) => Track(context, context.Message.CaseId, context.Message);
    public Task Consume(ConsumeContext<EscalationAcknowledged> context) => Track(context, context.Message.CaseId, context.Message);
    public Task Consume(ConsumeContext<EscalationRequested> context) => Track(context, context.Message.CaseId, context.Message);
    public Task Consume(ConsumeContext<EscalationPriorityRaised> context) => Track(context, context.Message.CaseId, context.Message);
    public Task Consume(ConsumeContext<CaseResolved> context) => Track(context, context.Message.CaseId, context.Message);
    public Task Consume(ConsumeContext<CaseReopened> context) => Track(context, context.Message.CaseId, context.Message);

    private async Task Track(ConsumeContext context, Guid caseId, object stimulus)
    {
        var events = await decisions.DecideAsync(new CaseDecision<SlaCase>(caseId, context.MessageId?.ToString() ?? caseId.ToString(),
            ClockSchedule.Actor, ClockSchedule.RulesVersion(policy), state => SlaClocks.Decide(state, stimulus, policy),
            (session, state, decided) => session.Replan(state, decided, policy, alarm)), context.CancellationToken);
        foreach (var started in events.OfType<SlaClockStarted>())
        {
            LogStarted(caseId, started.Metric, started.DueAt);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId}: {Metric} clock started, due {DueAt:o}")]
    private partial void LogStarted(Guid caseId, SlaMetric metric, DateTimeOffset dueAt);
}
