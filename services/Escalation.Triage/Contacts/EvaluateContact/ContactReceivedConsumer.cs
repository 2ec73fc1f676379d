using Escalation.Contracts.Cases;
using Escalation.ServiceDefaults;
using Escalation.Triage.Rules;
using Marten;
using MassTransit;

namespace Escalation.Triage.Contacts.EvaluateContact;

/// <summary>Evaluates every recorded contact; idempotent because the decision is keyed by the contact's event id.</summary>
public sealed partial class ContactReceivedConsumer(IDocumentStore store, TriageRules rules, TimeProvider time, ILogger<ContactReceivedConsumer> logger)
    : IConsumer<ContactReceived>
{
    public async Task Consume(ConsumeContext<ContactReceived> context)
    {
        var eventId = context.MessageId ?? throw new InvalidMessageException("ContactReceived without a MessageId (the stored event id).");
        var appended = await store.DecideAsync<TriageCase>(context.Message.CaseId, eventId.ToString(), "service:triage",
            state => EvaluateContact.Decide(state, eventId, rules, time.GetUtcNow()), context.CancellationToken, rules.Version);

        foreach (var escalation in appended.OfType<Escalation.Contracts.Escalations.EscalationRequested>())
        {
            LogEscalated(context.Message.CaseId, escalation.Type.ToString(), escalation.Priority.ToString(), escalation.ToTier.ToString());
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId} escalated: {Type}, {Priority}, to {Tier}")]
    private partial void LogEscalated(Guid caseId, string type, string priority, string tier);
}
