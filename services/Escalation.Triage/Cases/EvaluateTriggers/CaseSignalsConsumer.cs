using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using Escalation.ServiceDefaults;
using Escalation.Triage.Engine;
using MassTransit;

namespace Escalation.Triage.Cases.EvaluateTriggers;

/// <summary>
/// Runs the trigger engine on every event that may escalate a case. One consumer for all of them, so they share one
/// queue and are taken one at a time per case, in stream order. Idempotent: a stimulus already decided on is skipped.
/// </summary>
public sealed partial class CaseSignalsConsumer(CaseDecisionGroups<TriageCase> decisions, TriageRules rules, TimeProvider time, ILogger<CaseSignalsConsumer> logger)
    : IConsumer<ContactReceived>, IConsumer<ResolutionAttempted>, IConsumer<CaseReopened>, IConsumer<SlaBreachImminent>, IConsumer<CaseLinkedToIncident>
{
    public Task Consume(ConsumeContext<ContactReceived> context) => Evaluate(context, context.Message.CaseId);

    public Task Consume(ConsumeContext<ResolutionAttempted> context) => Evaluate(context, context.Message.CaseId);

    public Task Consume(ConsumeContext<CaseReopened> context) => Evaluate(context, context.Message.CaseId);

    public Task Consume(ConsumeContext<SlaBreachImminent> context) => Evaluate(context, context.Message.CaseId);

    public Task Consume(ConsumeContext<CaseLinkedToIncident> context) => Evaluate(context, context.Message.CaseId);

    private async Task Evaluate(ConsumeContext context, Guid caseId)
    {
        var eventId = context.MessageId ?? throw new InvalidMessageException("Case event without a MessageId (the stored event id).");
        var appended = await decisions.DecideAsync(new CaseDecision<TriageCase>(caseId, eventId.ToString(), "service:triage", rules.Version,
            state => TriggerEngine.Decide(state, eventId, rules, time.GetUtcNow())), context.CancellationToken);

        foreach (var decision in appended)
        {
            switch (decision)
            {
                case EscalationRequested e:
                    LogEscalated(caseId, e.Type, e.Priority, e.FromTier, e.ToTier, string.Join(", ", e.Triggers.Select(t => t.Rule)));
                    break;
                case EscalationPriorityRaised r:
                    LogPriorityRaised(caseId, r.From, r.To, string.Join(", ", r.Triggers.Select(t => t.Rule)));
                    break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId} escalated: {Type}, {Priority}, {FromTier} → {ToTier} ({Rules})")]
    private partial void LogEscalated(Guid caseId, EscalationType type, Priority priority, Tier fromTier, Tier toTier, string rules);

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId} priority raised {From} → {To} ({Rules})")]
    private partial void LogPriorityRaised(Guid caseId, Priority from, Priority to, string rules);
}
