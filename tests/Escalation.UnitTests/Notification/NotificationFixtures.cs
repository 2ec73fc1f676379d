using Escalation.Contracts;
using Escalation.Contracts.Directory;
using Escalation.Contracts.Escalations;
using Escalation.Notification.Planning;
using static Escalation.UnitTests.CaseFixtures;

namespace Escalation.UnitTests.Notification;

internal static class NotificationFixtures
{
    public static readonly TemplateSet Templates = TemplateSet.Load(Path.Combine(AppContext.BaseDirectory, "Templates"));
    public static readonly NotificationRules Rules = NotificationRules.Load(Path.Combine(AppContext.BaseDirectory, "Rules", "notification-rules.json"), Templates);
    public static readonly Guid EscalationId = Guid.Parse("0193a000-0000-7000-8000-0000000000e1");

    public static HandoffPacket Handoff(string summary = "ESC-1000 [billing] Double charge — 2 customer turn(s) on Chatbot") =>
        new(summary, ["billing.refund"], new ContactEntities(OrderId: "A-1", Amount: new MoneyAmount(25000, "JPY")), "negative (-0.70)", [-0.2, -0.7],
            [new AttemptedSolution("refund-bot", AttemptOutcome.Failed)], "the customer asked for a person", ["Customer: I was charged twice", "Bot: Sorry about that"]);

    public static EscalationRequested Requested(Priority priority = Priority.P3, HandoffPacket? handoff = null) =>
        new(CaseId, EscalationId, EscalationType.Hierarchical, [new TriggerEvidence("explicit-human-request", "asked for 'a person'", null)],
            priority, Tier.L0, Tier.L1, "billing", handoff ?? Handoff(), "2026.11.2", Now);

    public static EscalationRouted Routed(string team = "billing-support", string? agent = "aiko.tanaka", TimeSpan? acknowledgeIn = null) =>
        new(CaseId, EscalationId, team, agent, ["billing"], [], Now + (acknowledgeIn ?? TimeSpan.FromMinutes(15)), 0, "m1", Now);

    public static NotificationCase Case(string language = "en", string? email = "jane@example.com", Priority priority = Priority.P3, HandoffPacket? handoff = null)
    {
        var state = NotificationCase.Create(Opened(language: language) with { Customer = Customer(language: language, email: email) });
        return state.Apply(Requested(priority, handoff));
    }

    public static TeamRecipients Team(string? webhook = "https://hooks.example.com/billing", OnCallContact? onCall = null) =>
        new("billing-support", "billing-support@support.example", webhook,
            [new NamedAddress("chika.mori", "森 千佳", "chika.mori@support.example"), new NamedAddress("director@support.example", "director@support.example", "director@support.example")],
            onCall ?? new OnCallContact("oncall@support.example", "https://pager.example.com/hook"),
            [new NamedAddress("aiko.tanaka", "田中 愛子", "aiko.tanaka@support.example")]);
}
