using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Notifications;
using Escalation.Notification.Delivering;
using Escalation.Notification.Planning;
using static Escalation.UnitTests.CaseFixtures;
using static Escalation.UnitTests.Notification.NotificationFixtures;

namespace Escalation.UnitTests.Notification;

public sealed class CustomerDataErasureTests
{
    private static readonly RetryOptions Retry = new();

    private static IReadOnlyList<Delivery> Planned(NotificationCase state) =>
        PlanNotifications.Decide(state.Apply(Routed()), new Trigger(Guid.NewGuid(), Routed()), Rules, Templates, Team(), Now);

    [Fact]
    public void An_unsent_customer_message_loses_its_address_and_content_and_is_given_up_once()
    {
        var pending = Assert.Single(Planned(Case()), d => d.Audience == Audience.Customer);
        Assert.Equal(["jane@example.com"], pending.Recipients);

        var (erased, events) = pending.EraseCustomerData(Now);

        Assert.Equal((DeliveryStatus.Failed, (DateTimeOffset?)null, Delivery.ErasedBeforeSending), (erased.Status, erased.DueAt, erased.LastError));
        Assert.Empty(erased.Recipients);
        Assert.Null(erased.Content);
        var failed = Assert.IsType<NotificationFailed>(Assert.Single(events));
        Assert.Equal(("", false, Delivery.ErasedBeforeSending), (failed.Recipient, failed.WillRetry, failed.Error));

        var (again, moreEvents) = erased.EraseCustomerData(Now);
        Assert.Equal(erased, again);
        Assert.Empty(moreEvents);
    }

    [Fact]
    public void A_finished_staff_message_keeps_its_staff_addresses_and_outcome_but_not_its_text_or_the_mail_servers_error()
    {
        var team = Planned(Case()).First(d => d.Audience == Audience.Team && d.Channel == NotificationChannel.Email);
        var claimed = team.Claim(Now, Now + Retry.Lease, Retry.MaxAttempts).Next;
        var (refused, _) = claimed.Failed("550 mailbox jane@example.com unknown", transient: false, Retry.MaxAttempts, TimeSpan.FromSeconds(1), Now);
        var (sent, _) = claimed.Succeeded("250 OK", Now);

        var (erasedRefusal, refusalEvents) = refused.EraseCustomerData(Now);
        var (erasedSent, sentEvents) = sent.EraseCustomerData(Now);

        Assert.Empty(refusalEvents.Concat(sentEvents));
        Assert.Equal((DeliveryStatus.Failed, team.Recipients, PersonalData.Erased), (erasedRefusal.Status, erasedRefusal.Recipients, erasedRefusal.LastError));
        Assert.Equal((DeliveryStatus.Sent, team.Recipients, (string?)null), (erasedSent.Status, erasedSent.Recipients, erasedSent.LastError));
        Assert.Null(erasedRefusal.Content);
        Assert.Null(erasedSent.Content);
    }

    [Fact]
    public void After_an_erasure_a_customer_message_has_no_address_and_staff_messages_do_not_quote_the_customer()
    {
        var before = Planned(Case());
        Assert.Contains(before, d => d.Content?.Text.Contains("I was charged twice", StringComparison.Ordinal) == true);

        var after = Planned(Case().Apply(new CustomerDataErased(CaseId, Now)));

        var customer = Assert.Single(after, d => d.Audience == Audience.Customer);
        Assert.Equal(DeliveryStatus.Failed, customer.Status);
        Assert.Empty(customer.Recipients);
        Assert.All(after.Where(d => d.Content is not null), d =>
        {
            Assert.DoesNotContain("I was charged twice", d.Content!.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("Jane", d.Content.Text, StringComparison.Ordinal);
        });
    }
}
