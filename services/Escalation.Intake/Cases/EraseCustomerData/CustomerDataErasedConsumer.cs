using Escalation.Contracts.Cases;
using Escalation.Intake.Contacts.ReceiveContact;
using Escalation.ServiceDefaults;
using Marten;
using MassTransit;

namespace Escalation.Intake.Cases.EraseCustomerData;

/// <summary>
/// Forgets the conversation that led to an erased customer's case: its document's id is the channel's conversation id
/// and the customer's id. A later contact in that conversation opens a new case. Deleting again changes nothing.
/// </summary>
public sealed partial class CustomerDataErasedConsumer(IDocumentStore store, ILogger<CustomerDataErasedConsumer> logger) : IConsumer<CustomerDataErased>
{
    public async Task Consume(ConsumeContext<CustomerDataErased> context)
    {
        var caseId = context.Message.CaseId;
        await using var session = store.LightweightSession();
        // The stream lock a contact for this case holds while it reads and moves its conversation.
        await session.LockStreamsAsync([caseId], context.CancellationToken);
        session.DeleteWhere<ConversationCase>(conversation => conversation.CaseId == caseId);
        await session.SaveChangesAsync(context.CancellationToken);
        LogForgotten(caseId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId}: customer data erased; its conversation is forgotten")]
    private partial void LogForgotten(Guid caseId);
}
