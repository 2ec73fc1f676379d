using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Triage.Contacts.EvaluateContact;
using Escalation.Triage.Rules;
using static Escalation.UnitTests.CaseFixtures;

namespace Escalation.UnitTests;

public sealed class EvaluateContactTests
{
    private static readonly TriageRules Rules = TriageRules.Load(Path.Combine(AppContext.BaseDirectory, "Rules", "triage-rules.json"));

    private static (TriageCase State, Guid LastEventId) Given(TicketOpened opened, params ContactReceived[] contacts)
    {
        var state = TriageCase.Create(opened);
        var lastId = Guid.Empty;
        foreach (var contact in contacts)
        {
            lastId = Guid.NewGuid();
            state = state with { Turns = state.Turns.Add(new Turn(lastId, contact)) };
        }

        return (state, lastId);
    }

    [Theory]
    [InlineData("人と話したいです")]
    [InlineData("担当者に代わってください")]
    [InlineData("オペレーターをお願いします")]
    [InlineData("ｵﾍﾟﾚｰﾀｰ")] // half-width katakana folds under NFKC
    [InlineData("Can I talk to a HUMAN please")]
    [InlineData("I need an agent")]
    [InlineData("get me a representative")]
    public void An_explicit_request_for_a_person_escalates_functionally_one_tier_up(string text)
    {
        var (state, contactId) = Given(Opened(), Received("My bill is wrong"), Received(text));

        var requested = Assert.IsType<EscalationRequested>(Assert.Single(EvaluateContact.Decide(state, contactId, Rules, Now)));

        Assert.Equal(EscalationType.Functional, requested.Type);
        Assert.Equal(Tier.L0, requested.FromTier);
        Assert.Equal(Tier.L1, requested.ToTier);
        var trigger = Assert.Single(requested.Triggers);
        Assert.Equal(EvaluateContact.ExplicitHumanRequestRule, trigger.Rule);
        Assert.Equal(contactId, trigger.SourceEventId);
        Assert.Equal(Rules.Version, requested.RulesVersion);
    }

    [Theory]
    [InlineData("上司を出してください")]
    [InlineData("責任者と話したい")]
    [InlineData("I want to speak to your supervisor")]
    public void Asking_for_a_superior_is_hierarchical_and_reaches_at_least_L2(string text)
    {
        var (state, contactId) = Given(Opened(), Received(text));

        var requested = Assert.IsType<EscalationRequested>(Assert.Single(EvaluateContact.Decide(state, contactId, Rules, Now)));

        Assert.Equal(EscalationType.Hierarchical, requested.Type);
        Assert.Equal(Tier.L2, requested.ToTier);
    }

    [Theory]
    [InlineData("The agentic workflow failed")]
    [InlineData("My order hasn't arrived")]
    [InlineData("注文がまだ届きません")]
    public void Other_messages_do_not_escalate(string text)
    {
        var (state, contactId) = Given(Opened(), Received(text));

        Assert.Empty(EvaluateContact.Decide(state, contactId, Rules, Now));
    }

    [Fact]
    public void A_bot_saying_human_does_not_escalate()
    {
        var (state, contactId) = Given(Opened(), Received("Would you like to talk to a human?", AuthorKind.Bot));

        Assert.Empty(EvaluateContact.Decide(state, contactId, Rules, Now));
    }

    [Fact]
    public void The_same_contact_delivered_twice_escalates_once()
    {
        var (state, contactId) = Given(Opened(), Received("human please"));
        var first = (EscalationRequested)EvaluateContact.Decide(state, contactId, Rules, Now).Single();

        var again = EvaluateContact.Decide(state.Apply(first), contactId, Rules, Now);

        Assert.Empty(again);
    }

    [Fact]
    public void Asking_again_for_a_human_while_escalated_does_not_escalate_twice()
    {
        var (state, contactId) = Given(Opened(), Received("human please"));
        state = state.Apply((EscalationRequested)EvaluateContact.Decide(state, contactId, Rules, Now).Single());
        var repeatId = Guid.NewGuid();
        state = state with { Turns = state.Turns.Add(new Turn(repeatId, Received("HUMAN!!"))) };

        Assert.Empty(EvaluateContact.Decide(state, repeatId, Rules, Now));
    }

    [Fact]
    public void Asking_for_a_superior_escalates_once_more_then_never_again()
    {
        var (state, first) = Given(Opened(), Received("human please"));
        state = state.Apply((EscalationRequested)EvaluateContact.Decide(state, first, Rules, Now).Single());
        var superior = Guid.NewGuid();
        state = state with { Turns = state.Turns.Add(new Turn(superior, Received("get me your manager"))) };
        var hierarchical = (EscalationRequested)Assert.Single(EvaluateContact.Decide(state, superior, Rules, Now));
        state = state.Apply(hierarchical);
        var again = Guid.NewGuid();
        state = state with { Turns = state.Turns.Add(new Turn(again, Received("MANAGER NOW"))).Add(new Turn(Guid.NewGuid(), Received("a human!"))) };

        Assert.Equal(EscalationType.Hierarchical, hierarchical.Type);
        Assert.Empty(EvaluateContact.Decide(state, again, Rules, Now));
        Assert.Empty(EvaluateContact.Decide(state, state.Turns[^1].EventId, Rules, Now));
    }

    [Fact]
    public void The_handoff_packet_carries_the_conversation_so_nobody_asks_again()
    {
        var (state, contactId) = Given(Opened(CustomerTier.Vip), Received("I was charged twice", sentiment: -0.3), Received("人と話したい", sentiment: -0.7));
        state = state.Apply(new ResolutionAttempted(CaseId, "Sent refund FAQ", AttemptOutcome.Failed, "bot", Now));

        var requested = (EscalationRequested)EvaluateContact.Decide(state, contactId, Rules, Now).Single();

        var handoff = requested.Handoff;
        Assert.Contains("ESC-1000", handoff.Summary);
        Assert.Equal([-0.3, -0.7], handoff.SentimentTrajectory);
        Assert.StartsWith("very negative", handoff.SentimentAssessment);
        Assert.Equal("A-1", handoff.Entities.OrderId);
        Assert.Equal(["billing.refund (not matched)"], handoff.Intents);
        Assert.Equal("Sent refund FAQ", Assert.Single(handoff.AttemptedSolutions).Step);
        Assert.Equal(["Customer: I was charged twice", "Customer: 人と話したい"], handoff.Transcript);
        Assert.Equal(Priority.P3, requested.Priority); // low urgency × medium impact (VIP)
    }

    [Theory]
    [InlineData(Level.High, Level.High, Priority.P1)]
    [InlineData(Level.High, Level.Low, Priority.P2)]
    [InlineData(Level.Low, Level.High, Priority.P2)]
    [InlineData(Level.Medium, Level.Medium, Priority.P2)]
    [InlineData(Level.Medium, Level.Low, Priority.P3)]
    [InlineData(Level.Low, Level.Low, Priority.P4)]
    public void Priority_follows_the_urgency_impact_matrix(Level urgency, Level impact, Priority expected)
    {
        Assert.Equal(expected, PriorityMatrix.For(urgency, impact));
    }
}
