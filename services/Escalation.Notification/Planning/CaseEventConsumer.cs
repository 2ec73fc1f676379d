using System.Diagnostics;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using Escalation.Notification.Delivering;
using Escalation.ServiceDefaults;
using Marten;
using MassTransit;
using Npgsql;

namespace Escalation.Notification.Planning;

/// <summary>
/// Plans the notifications one case event calls for and stores them as deliveries (nothing is sent here). A
/// redelivered event finds its deliveries stored and plans nothing; two copies racing collide on the deliveries' ids
/// and the loser's retry finds them. On the same queue, so in the case's order after everything planned before it,
/// <see cref="CustomerDataErased"/> erases the customer's data from the case's deliveries.
/// </summary>
public sealed partial class CaseEventConsumer(
    IDocumentStore store,
    CaseViews<NotificationCase> views,
    NotificationRules rules,
    TemplateSet templates,
    DirectoryClient directory,
    WakeSignal dispatcher,
    TimeProvider time,
    ILogger<CaseEventConsumer> logger) :
    IConsumer<EscalationRouted>, IConsumer<EscalationQueued>, IConsumer<EscalationRerouted>, IConsumer<EscalationPriorityRaised>,
    IConsumer<AcknowledgementTimedOut>, IConsumer<SlaBreachImminent>, IConsumer<SlaBreached>, IConsumer<CaseResolved>,
    IConsumer<CustomerDataErased>
{
    public Task Consume(ConsumeContext<EscalationRouted> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<EscalationQueued> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<EscalationRerouted> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<EscalationPriorityRaised> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<AcknowledgementTimedOut> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<SlaBreachImminent> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<SlaBreached> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<CaseResolved> context) => PlanAsync(context, context.Message);

    public async Task Consume(ConsumeContext<CustomerDataErased> context)
    {
        var caseId = context.Message.CaseId;
        await using var session = store.LightweightSession();
        await session.BeginTransactionAsync(context.CancellationToken);
        var ids = new List<Guid>();
        // Delivery rows first, then the case stream: the dispatcher's lock order. A delivery mid-send is waited for.
        await using (var lockDeliveries = new NpgsqlCommand(
            $"SELECT id FROM {NotificationSetup.Schema}.mt_doc_delivery WHERE CAST(data ->> 'caseId' AS uuid) = @case ORDER BY id FOR UPDATE", session.Connection))
        {
            lockDeliveries.Parameters.AddWithValue("case", caseId);
            await using var reader = await lockDeliveries.ExecuteReaderAsync(context.CancellationToken);
            while (await reader.ReadAsync(context.CancellationToken))
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        var now = time.GetUtcNow();
        var erasures = (await session.LoadManyAsync<Delivery>(context.CancellationToken, ids)).Select(d => d.EraseCustomerData(now)).ToList();
        if (erasures.Any(e => e.Events.Count > 0))
        {
            await session.LockStreamsAsync([caseId], context.CancellationToken);
        }

        foreach (var (erased, events) in erasures)
        {
            session.Store(erased);
            DeliveryDispatcher.Record(session, erased, events);
        }

        await session.SaveChangesAsync(context.CancellationToken);
        LogErased(caseId, erasures.Count, erasures.Count(e => e.Events.Count > 0));
    }

    private async Task PlanAsync(ConsumeContext context, ICaseEvent @event)
    {
        var eventId = context.MessageId ?? throw new InvalidMessageException($"{@event.GetType().Name} without a MessageId (the stored event id).");
        var caseId = @event.CaseId;
        await using var session = store.LightweightSession();
        // One round trip (one pooled connection) for both reads; a redelivered event, the rare case, reads the case for nothing.
        var reads = session.CreateBatchQuery();
        var readPlanned = reads.Query<Delivery>().Where(d => d.TriggerEventId == eventId).Any();
        var readCase = views.Read(reads, caseId);
        await reads.Execute(context.CancellationToken);
        if (await readPlanned)
        {
            LogAlreadyPlanned(caseId, @event.GetType().Name, eventId);
            return;
        }

        var state = await readCase.ViewAsync(session, context.CancellationToken);
        if (state is null || !rules.For(@event, state).Any())
        {
            return;
        }

        var team = PlanNotifications.TeamOf(state, @event) is { } owner ? await directory.RecipientsAsync(owner, context.CancellationToken) : null;
        var now = time.GetUtcNow();
        var deliveries = PlanNotifications.Decide(state, new Trigger(eventId, @event, Activity.Current?.Id), rules, templates, team, now);
        if (deliveries.Count == 0)
        {
            return;
        }

        session.Insert(deliveries.ToArray());
        var unreachables = deliveries.Where(d => d.Status == DeliveryStatus.Failed).ToList();
        if (unreachables.Count > 0)
        {
            await session.LockStreamsAsync([caseId], context.CancellationToken);
        }

        foreach (var unreachable in unreachables)
        {
            DeliveryDispatcher.Record(session, unreachable, [unreachable.Failure(unreachable.LastError!, willRetry: false, now)]);
        }

        await session.SaveChangesAsync(context.CancellationToken);
        dispatcher.Wake(now);
        LogPlanned(caseId, @event.GetType().Name, deliveries.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId}: customer data erased from {Deliveries} deliveries, {GivenUp} of them given up unsent")]
    private partial void LogErased(Guid caseId, int deliveries, int givenUp);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Case {CaseId}: {EventType} {EventId} was already planned; nothing to do")]
    private partial void LogAlreadyPlanned(Guid caseId, string eventType, Guid eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId}: {EventType} calls for {Count} notification(s)")]
    private partial void LogPlanned(Guid caseId, string eventType, int count);
}
