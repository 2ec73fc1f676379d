using System.Collections.Immutable;
using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Notifications;
using Escalation.Contracts.Sla;
using Escalation.Notification.Customers.AcknowledgeEscalation;
using static Escalation.UnitTests.CaseFixtures;

namespace Escalation.UnitTests;

public sealed class AcknowledgeEscalationTests
{
    private static EscalationRouted Routed(TimeSpan acknowledgeIn) =>
        new(CaseId, Guid.NewGuid(), "billing-support", null, [], [], Now + acknowledgeIn, 0, "m1", Now);

    private static NotificationCase Case(string language, string? email = "taro@example.jp", DateTimeOffset? firstResponseDue = null) =>
        NotificationCase.Create(Opened(language: language) with { Customer = Customer(language: language, email: email) }) with { FirstResponseDue = firstResponseDue };

    [Fact]
    public void A_japanese_customer_gets_the_japanese_template_with_reference_and_expected_time()
    {
        var email = AcknowledgeEscalation.Plan(Case("ja"), Routed(TimeSpan.FromMinutes(15)), Guid.NewGuid());

        Assert.NotNull(email);
        Assert.Equal("ja", email.Language);
        Assert.Contains("ESC-1000", email.Subject);
        Assert.Contains("受付番号: ESC-1000", email.Body);
        Assert.Contains("2026年11月23日 19:15", email.Body); // 10:15 UTC in Tokyo
    }

    [Fact]
    public void Other_languages_fall_back_to_english_and_the_earlier_deadline()
    {
        var email = AcknowledgeEscalation.Plan(Case("fr", firstResponseDue: Now.AddMinutes(5)), Routed(TimeSpan.FromHours(1)), Guid.NewGuid());

        Assert.NotNull(email);
        Assert.Equal("en", email.Language);
        Assert.Contains("2026-11-23 10:05 UTC", email.Body);
    }

    [Fact]
    public void Nothing_is_sent_twice_for_the_same_event_nor_without_an_address()
    {
        var eventId = Guid.NewGuid();
        var sent = Case("en") with { Sent = ImmutableHashSet.Create(AcknowledgeEscalation.NotificationId(eventId, Audience.Customer)) };

        Assert.Null(AcknowledgeEscalation.Plan(sent, Routed(TimeSpan.FromMinutes(5)), eventId));
        Assert.Null(AcknowledgeEscalation.Plan(Case("en", email: null), Routed(TimeSpan.FromMinutes(5)), Guid.NewGuid()));
    }

    [Fact]
    public void A_failed_delivery_is_recorded_and_the_notification_stays_pending_for_the_retry()
    {
        var eventId = Guid.NewGuid();
        var routed = Routed(TimeSpan.FromMinutes(5));
        var email = AcknowledgeEscalation.Plan(Case("en"), routed, eventId)!;

        var failed = AcknowledgeEscalation.Failed(routed, email, attempt: 2, "SMTP 451", Now);

        Assert.True(failed.WillRetry);
        Assert.Equal((2, email.NotificationId), (failed.Attempt, failed.NotificationId));
        Assert.NotNull(AcknowledgeEscalation.Plan(Case("en").Apply(failed), routed, eventId));
    }

    [Fact]
    public void A_customer_without_an_address_gets_one_recorded_failure_instead()
    {
        var eventId = Guid.NewGuid();
        var state = Case("en", email: null);

        var failed = Assert.IsType<NotificationFailed>(Assert.Single(AcknowledgeEscalation.Unreachable(state, Routed(TimeSpan.FromMinutes(5)), eventId, Now)));

        Assert.False(failed.WillRetry);
        Assert.Empty(AcknowledgeEscalation.Unreachable(state.Apply(failed), Routed(TimeSpan.FromMinutes(5)), eventId, Now));
        Assert.Empty(AcknowledgeEscalation.Unreachable(Case("en"), Routed(TimeSpan.FromMinutes(5)), eventId, Now));
    }
}
