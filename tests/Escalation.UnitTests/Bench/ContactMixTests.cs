using Escalation.Bench.Load;
using Escalation.Contracts;
using Escalation.Intake.Contacts.ReceiveContact;
using Escalation.Triage.Engine;
using Escalation.UnitTests.Triage;

namespace Escalation.UnitTests.Bench;

/// <summary>The benchmark's traffic mix means what it says: its routine contacts do not escalate and the others do.</summary>
public sealed class ContactMixTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>What triage decides on the case intake would open for this contact, with the shipped rules.</summary>
    private static IReadOnlyList<ICaseEvent> TriageOf(GeneratedContact generated)
    {
        var caseId = Guid.CreateVersion7(Now);
        var recorded = ReceiveContact.Decide(null, new CaseRef(caseId, "ESC-1"), generated.Contact, Now)
            .Select((data, index) => CaseFixtures.Stored(data, index + 1, Now, streamId: caseId, sequence: index + 1))
            .ToList();
        return TriageReplay.Run(recorded, TriageScenarioTests.Rules).Decisions;
    }

    public static TheoryData<ContactKind> Kinds => new(Enum.GetValues<ContactKind>());

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Each_kind_escalates_exactly_when_it_should(ContactKind kind)
    {
        var generated = new ContactMix("bench-test").Build(7, kind, Now);

        var decisions = TriageOf(generated);

        Assert.Equal(generated.Escalates, decisions.OfType<Escalation.Contracts.Escalations.EscalationRequested>().Any());
    }

    [Fact]
    public void The_mix_has_the_asked_share_of_escalating_contacts_and_unique_conversations()
    {
        var mix = new ContactMix("bench-test", escalatingShare: 0.3, seed: 42);

        var contacts = Enumerable.Range(0, 10_000).Select(i => mix.Next(i, Now)).ToList();

        Assert.InRange(contacts.Count(c => c.Escalates) / 10_000.0, 0.28, 0.32);
        Assert.Equal(contacts.Count, contacts.Select(c => c.Contact.ConversationId).Distinct().Count());
        Assert.All(Enum.GetValues<ContactKind>(), kind => Assert.Contains(contacts, c => c.Kind == kind));
    }
}
