using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Notifications;
using Marten;
using Marten.Events;

namespace Escalation.History.Admin;

/// <summary>
/// The right to erasure on the event store: masking rules for every case event that carries a customer's personal
/// data, and the operation that applies them to a customer's cases (Marten event data masking rewrites the stored
/// events in place). What stays is what KPIs and audits need: times, tiers, priorities, categories, routing.
/// </summary>
public static class CustomerErasure
{
    public const string Erased = "[erased]";
    public const string ErasedAtHeader = "erased-at";

    public static void AddMaskingRules(IEventStoreOptions events)
    {
        events.AddMaskingRuleForProtectedInformation<TicketOpened>(opened => opened with
        {
            Customer = opened.Customer with { Id = Erased, Name = null, Email = null },
            Subject = Erased,
        });
        events.AddMaskingRuleForProtectedInformation<ContactReceived>(contact => contact with { Text = Erased });
        events.AddMaskingRuleForProtectedInformation<AgentResponded>(response => response with { Text = Erased });
        events.AddMaskingRuleForProtectedInformation<EscalationRequested>(requested => requested with
        {
            Handoff = requested.Handoff with { Summary = Erased, TriggerReason = Erased, Transcript = [] },
            Triggers = [.. requested.Triggers.Select(trigger => trigger with { Evidence = Erased })],
        });
        events.AddMaskingRuleForProtectedInformation<NotificationSent>(sent => sent with { Recipient = Erased });
        events.AddMaskingRuleForProtectedInformation<NotificationFailed>(failed => failed with { Recipient = Erased, Error = Erased });
    }

    /// <returns>The customer's cases, now masked; empty when no case names the customer.</returns>
    public static async Task<IReadOnlyList<Guid>> EraseAsync(IDocumentStore store, string customerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var query = store.QuerySession();
        var cases = (await query.Events.QueryRawEventDataOnly<TicketOpened>()
                .Where(opened => opened.Customer.Id == customerId)
                .Select(opened => opened.CaseId)
                .ToListAsync(cancellationToken))
            .Distinct().ToList();
        if (cases.Count == 0)
        {
            return [];
        }

        await store.Advanced.ApplyEventDataMasking(masking =>
        {
            foreach (var caseId in cases)
            {
                masking.IncludeStream(caseId);
            }

            masking.AddHeader(ErasedAtHeader, now.ToString("O"));
        }, cancellationToken);
        return cases;
    }
}
