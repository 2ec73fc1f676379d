using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Notifications;
using Escalation.ServiceDefaults;
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
    public const string ErasedAtHeader = "erased-at";

    public static void AddMaskingRules(IEventStoreOptions events)
    {
        events.AddMaskingRuleForProtectedInformation<TicketOpened>(opened => opened with
        {
            Customer = opened.Customer.Erase(),
            ConversationId = PersonalData.Erased, // a phone channel's conversation is the caller's number
            Subject = PersonalData.Erased,
        });
        events.AddMaskingRuleForProtectedInformation<ContactReceived>(contact => contact with { Text = PersonalData.Erased });
        events.AddMaskingRuleForProtectedInformation<AgentResponded>(response => response with { Text = PersonalData.Erased });
        events.AddMaskingRuleForProtectedInformation<EscalationRequested>(requested => requested with
        {
            Handoff = requested.Handoff.Erase(),
            Triggers = [.. requested.Triggers.Select(trigger => trigger.Erase())],
        });
        events.AddMaskingRuleForProtectedInformation<NotificationSent>(sent => sent with { Recipient = PersonalData.Erased });
        events.AddMaskingRuleForProtectedInformation<NotificationFailed>(failed => failed with { Recipient = PersonalData.Erased, Error = PersonalData.Erased });
    }

    /// <summary>
    /// Appends <see cref="CustomerDataErased"/> to each of the customer's cases, so that every service erases its own
    /// copies, then masks the cases' events. In this order a failure part-way can simply be retried: until the masking
    /// commits, the customer's id still finds the cases (a retry appends a second notice, which services apply again
    /// to the same effect); afterwards nothing finds them.
    /// </summary>
    /// <param name="requestedBy">Who asked (the API key id), recorded as the notice's actor.</param>
    /// <returns>The customer's cases, now masked; empty when no case names the customer.</returns>
    public static async Task<IReadOnlyList<Guid>> EraseAsync(IDocumentStore store, string customerId, string requestedBy, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var query = store.QuerySession();
        var cases = (await query.Events.QueryRawEventDataOnly<TicketOpened>()
                .Where(opened => opened.Customer.Id == customerId)
                .Select(opened => opened.CaseId)
                .ToListAsync(cancellationToken))
            .Distinct().Order().ToList();
        if (cases.Count == 0)
        {
            return [];
        }

        var erasure = Guid.CreateVersion7(now);
        await using (var session = store.LightweightSession())
        {
            await session.LockStreamsAsync(cases, cancellationToken);
            foreach (var caseId in cases)
            {
                var notice = session.Events.Append(caseId, new CustomerDataErased(caseId, now));
                foreach (var @event in notice.Events)
                {
                    @event.StampCaseMetadata(caseId, $"erasure:{erasure}", $"operator:{requestedBy}");
                }
            }

            await session.SaveChangesAsync(cancellationToken);
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
