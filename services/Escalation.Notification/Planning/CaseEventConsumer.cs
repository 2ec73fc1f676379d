using System.Diagnostics;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using Escalation.Notification.Delivering;
using Escalation.ServiceDefaults;
using Marten;
using MassTransit;

namespace Escalation.Notification.Planning;

/// <summary>
/// Plans the notifications one case event calls for and stores them as deliveries (nothing is sent here). A
/// redelivered event finds its deliveries stored and plans nothing; two copies racing collide on the deliveries' ids
/// and the loser's retry finds them.
/// </summary>
public sealed partial class CaseEventConsumer(
    IDocumentStore store,
    NotificationRules rules,
    TemplateSet templates,
    DirectoryClient directory,
    WakeSignal dispatcher,
    TimeProvider time,
    ILogger<CaseEventConsumer> logger) :
    IConsumer<EscalationRouted>, IConsumer<EscalationQueued>, IConsumer<EscalationRerouted>, IConsumer<EscalationPriorityRaised>,
    IConsumer<AcknowledgementTimedOut>, IConsumer<SlaBreachImminent>, IConsumer<SlaBreached>, IConsumer<CaseResolved>
{
    public Task Consume(ConsumeContext<EscalationRouted> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<EscalationQueued> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<EscalationRerouted> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<EscalationPriorityRaised> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<AcknowledgementTimedOut> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<SlaBreachImminent> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<SlaBreached> context) => PlanAsync(context, context.Message);
    public Task Consume(ConsumeContext<CaseResolved> context) => PlanAsync(context, context.Message);

    private async Task PlanAsync(ConsumeContext context, ICaseEvent @event)
    {
        var eventId = context.MessageId ?? throw new InvalidMessageException($"{@event.GetType().Name} without a MessageId (the stored event id).");
        var caseId = @event.CaseId;
        await using var session = store.LightweightSession();
        if (await session.Query<Delivery>().AnyAsync(d => d.TriggerEventId == eventId, context.CancellationToken))
        {
            LogAlreadyPlanned(caseId, @event.GetType().Name, eventId);
            return;
        }

        var state = await session.Events.AggregateStreamAsync<NotificationCase>(caseId, token: context.CancellationToken);
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Case {CaseId}: {EventType} {EventId} was already planned; nothing to do")]
    private partial void LogAlreadyPlanned(Guid caseId, string eventType, Guid eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Case {CaseId}: {EventType} calls for {Count} notification(s)")]
    private partial void LogPlanned(Guid caseId, string eventType, int count);
}
