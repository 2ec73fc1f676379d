using System.Collections.Immutable;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Notifications;
using Escalation.Contracts.Sla;

namespace Escalation.Notification.Customers.AcknowledgeEscalation;

/// <summary>What notification knows of a case: who the customer is and what was already sent.</summary>
public sealed partial record NotificationCase(
    Guid Id,
    string Reference,
    CustomerInfo Customer,
    string Subject,
    DateTimeOffset? FirstResponseDue,
    ImmutableHashSet<Guid> Sent)
{
    public static NotificationCase Create(TicketOpened opened) =>
        new(opened.CaseId, opened.Reference, opened.Customer, opened.Subject, null, []);

    public NotificationCase Apply(SlaClockStarted started) =>
        started.Metric == SlaMetric.FirstResponse ? this with { FirstResponseDue = started.DueAt } : this;

    public NotificationCase Apply(NotificationSent sent) => this with { Sent = Sent.Add(sent.NotificationId) };

    /// <summary>A notification that failed for good counts as handled: it is not tried again.</summary>
    public NotificationCase Apply(NotificationFailed failed) => failed.WillRetry ? this : this with { Sent = Sent.Add(failed.NotificationId) };
}
