using System.Text.Json;
using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using Escalation.Notification.Delivering;
using Escalation.Notification.Planning;
using static Escalation.UnitTests.CaseFixtures;
using static Escalation.UnitTests.Notification.NotificationFixtures;

namespace Escalation.UnitTests.Notification;

public sealed class PlanNotificationsTests
{
    private static IReadOnlyList<Delivery> Plan(NotificationCase state, ICaseEvent @event, Guid? eventId = null) =>
        PlanNotifications.Decide(state.ApplyIfKnown(@event), new Trigger(eventId ?? Guid.NewGuid(), @event), Rules, Templates, Team(), Now);

    [Fact]
    public void A_japanese_customer_is_told_in_japanese_with_the_reference_and_the_sla_first_response_time()
    {
        var firstResponse = new SlaClockStarted(CaseId, Guid.NewGuid(), SlaMetric.FirstResponse, "default", 2, "24x7", TimeSpan.FromHours(1), Now, Now.AddMinutes(45));
        var customer = Assert.Single(Plan(Case("ja").Apply(firstResponse), Routed()), d => d.Audience == Audience.Customer);

        Assert.Equal(("ja", NotificationChannel.Email, "customer-escalation-acknowledged"), (customer.Language, customer.Channel, customer.Template));
        Assert.Equal(["jane@example.com"], customer.Recipients);
        Assert.Equal("[ESC-1000] お問い合わせを専門の担当者におつなぎしました", customer.Content!.Subject);
        Assert.Contains("受付番号: ESC-1000", customer.Content.Text);
        Assert.Contains("2026年11月23日 19:45（日本時間）まで", customer.Content.Text); // 10:45 UTC
    }

    [Fact]
    public void Other_languages_get_english_and_the_acknowledgement_deadline_when_no_response_clock_runs()
    {
        var customer = Assert.Single(Plan(Case("fr"), Routed(acknowledgeIn: TimeSpan.FromMinutes(30))), d => d.Audience == Audience.Customer);

        Assert.Equal("en", customer.Language);
        Assert.Equal("[ESC-1000] Your request has been passed to a specialist", customer.Content!.Subject);
        Assert.Contains("Reference number: ESC-1000", customer.Content.Text);
        Assert.Contains("You can expect a response by: 2026-11-23 10:30 UTC", customer.Content.Text);
    }

    [Fact]
    public void The_team_notice_carries_the_handoff_packet_to_the_agent_and_the_team_mailbox_and_its_webhook()
    {
        var deliveries = Plan(Case(), Routed()).Where(d => d.Audience == Audience.Team).ToList();

        var email = Assert.Single(deliveries, d => d.Channel == NotificationChannel.Email);
        Assert.Equal(["aiko.tanaka@support.example", "billing-support@support.example"], email.Recipients);
        Assert.Equal("ja", email.Language); // staff language of the shipped rules
        Assert.Contains("ESC-1000 [billing] Double charge", email.Content!.Text);
        Assert.Contains("the customer asked for a person", email.Content.Text);
        Assert.Contains("order A-1, amount 25000 JPY", email.Content.Text);
        Assert.Contains("- refund-bot: Failed", email.Content.Text);
        Assert.Contains("> Customer: I was charged twice", email.Content.Text);

        var webhook = Assert.Single(deliveries, d => d.Channel == NotificationChannel.Webhook);
        Assert.Equal(["https://hooks.example.com/billing"], webhook.Recipients);
        using var json = JsonDocument.Parse(webhook.Content!.Json!);
        Assert.Equal("team-escalation-assigned", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("ESC-1000", json.RootElement.GetProperty("reference").GetString());
        Assert.Equal(webhook.Id, json.RootElement.GetProperty("id").GetGuid());
        Assert.Contains("Double charge", json.RootElement.GetProperty("values").GetProperty("summary").GetString());
    }

    [Fact]
    public void Stakeholders_hear_of_p1_escalations_only()
    {
        var p1 = Plan(Case(priority: Priority.P1), Routed()).Where(d => d.Audience == Audience.Stakeholder).ToList();
        var p2 = Plan(Case(priority: Priority.P2), Routed()).Where(d => d.Audience == Audience.Stakeholder);

        var email = Assert.Single(p1, d => d.Channel == NotificationChannel.Email);
        Assert.Equal(["chika.mori@support.example", "director@support.example"], email.Recipients);
        Assert.Contains("P1", email.Content!.Subject);
        Assert.Empty(p2);
    }

    [Fact]
    public void Stakeholders_hear_of_the_last_sla_warning_and_of_breaches_but_not_the_first_warning()
    {
        var state = Case().Apply(Routed());
        SlaBreachImminent Warning(int percent) => new(CaseId, Guid.NewGuid(), SlaMetric.Resolution, percent, TimeSpan.FromMinutes(12), Now.AddMinutes(12), Now, false);

        Assert.DoesNotContain(Plan(state, Warning(75)), d => d.Audience == Audience.Stakeholder);
        var atRisk = Assert.Single(Plan(state, Warning(90)), d => d.Audience == Audience.Stakeholder && d.Channel == NotificationChannel.Email);
        Assert.Contains("90", atRisk.Content!.Subject);
        Assert.Contains("12分", atRisk.Content.Text);
        var breached = Assert.Single(Plan(state, new SlaBreached(CaseId, Guid.NewGuid(), SlaMetric.Resolution, Now, Now, false)),
            d => d.Audience == Audience.Stakeholder && d.Channel == NotificationChannel.Email);
        Assert.Equal("stakeholder-sla-breached", breached.Template);
    }

    [Fact]
    public void On_call_is_paged_when_a_p1_or_p2_escalation_is_not_acknowledged_but_not_for_p3()
    {
        AcknowledgementTimedOut TimedOut() => new(CaseId, EscalationId, "aiko.tanaka", 1, Now, Now);

        var page = Plan(Case(priority: Priority.P2).Apply(Routed()), TimedOut()).Where(d => d.Audience == Audience.OnCall).ToList();
        Assert.Equal([NotificationChannel.Email, NotificationChannel.Webhook], page.Select(d => d.Channel));
        Assert.Equal(["oncall@support.example"], page[0].Recipients);
        Assert.Equal(["https://pager.example.com/hook"], page[1].Recipients);
        Assert.Empty(Plan(Case(priority: Priority.P3).Apply(Routed()), TimedOut()));
    }

    [Fact]
    public void A_customer_without_an_address_gets_one_unretried_failure_and_the_team_is_still_told()
    {
        var deliveries = Plan(Case(email: null), Routed());

        var unreachable = Assert.Single(deliveries, d => d.Audience == Audience.Customer);
        Assert.Equal(DeliveryStatus.Failed, unreachable.Status);
        Assert.Null(unreachable.DueAt);
        Assert.Equal("The customer has no email address.", unreachable.LastError);
        Assert.Contains(deliveries, d => d.Audience == Audience.Team && d.Status == DeliveryStatus.Pending);
    }

    [Fact]
    public void Each_delivery_id_is_the_triggering_event_audience_and_channel_so_a_repeat_plans_the_same_ids()
    {
        var eventId = Guid.NewGuid();
        var first = Plan(Case(), Routed(), eventId).Select(d => d.Id).ToList();
        var again = Plan(Case(), Routed(), eventId).Select(d => d.Id).ToList();

        Assert.Equal(first, again);
        Assert.Equal(first.Count, first.Distinct().Count());
        Assert.Contains(Delivery.IdFor(eventId, Audience.Team, NotificationChannel.Webhook), first);
        Assert.DoesNotContain(Plan(Case(), Routed()).Select(d => d.Id), first.Contains);
    }

    [Fact]
    public void The_customer_hears_of_the_resolution_only_of_an_escalated_case()
    {
        var resolved = new Escalation.Contracts.Cases.CaseResolved(CaseId, "Refunded the second charge <ref 42>", "aiko.tanaka", Now);

        var notice = Assert.Single(Plan(Case(), resolved));
        Assert.Equal("customer-case-resolved", notice.Template);
        Assert.Contains("Refunded the second charge &lt;ref 42&gt;", notice.Content!.Html);
        var neverEscalated = NotificationCase.Create(Opened());
        Assert.Empty(PlanNotifications.Decide(neverEscalated, new Trigger(Guid.NewGuid(), resolved), Rules, Templates, null, Now));
    }

    [Fact]
    public void Rules_that_name_unknown_events_templates_or_impossible_conditions_are_refused_with_the_field()
    {
        const string bad = """
            { "version": "x", "staffLanguage": "en", "rules": [
              { "on": "TicketOpened", "audience": "Team", "template": "team-escalation-assigned", "channels": [ "Email" ] },
              { "on": "EscalationRouted", "audience": "Customer", "template": "nope", "channels": [ "Webhook" ] },
              { "on": "EscalationRouted", "audience": "Team", "template": "team-escalation-assigned", "channels": [ "Email" ], "when": { "thresholdPercents": [ 90 ] } } ] }
            """;
        var error = Assert.Throws<InvalidOperationException>(() => NotificationRules.Parse(bad, Templates)).Message;

        Assert.Contains("rules[0].on: 'TicketOpened'", error);
        Assert.Contains("rules[1].template: no English template 'nope'", error);
        Assert.Contains("rules[1].channels: customers are told by email only", error);
        Assert.Contains("rules[2].when.thresholdPercents: only for SlaBreachImminent", error);
        Assert.Contains("'extra'", Assert.Throws<InvalidOperationException>(() => NotificationRules.Parse("""{ "version": "x", "staffLanguage": "en", "rules": [], "extra": 1 }""", Templates)).Message);
    }
}

internal static class NotificationCaseTestExtensions
{
    /// <summary>The consumer plans from the stream, which already holds the trigger: apply it when the view folds it.</summary>
    public static NotificationCase ApplyIfKnown(this NotificationCase state, ICaseEvent @event) => @event switch
    {
        EscalationRouted e => state.Apply(e),
        EscalationRerouted e => state.Apply(e),
        EscalationQueued e => state.Apply(e),
        EscalationPriorityRaised e => state.Apply(e),
        _ => state,
    };
}
