using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Routing.Directory;
using Escalation.Routing.Escalations;
using Escalation.Routing.Escalations.AgentActions;
using Escalation.Routing.Escalations.Choosing;
using Escalation.Routing.Escalations.RouteEscalation;
using Escalation.Routing.Matrix;
using static Escalation.UnitTests.CaseFixtures;

namespace Escalation.UnitTests.Routing;

public sealed class ChooseOwnerTests
{
    // 2026-11-23 is a Monday; 01:00 UTC is 10:00 in Tokyo and 20:00 (Sunday) in New York.
    private static readonly DateTimeOffset MondayTokyoMorning = new(2026, 11, 23, 1, 0, 0, TimeSpan.Zero);
    private static readonly RoutingNeed BillingInJapanese = new("billing", "pro-plan", "ja-JP", Tier.L1, "billing");

    public static AgentProfile Agent(string id, string team = "billing-support", int max = 3, string[]? skills = null, string[]? languages = null,
        Shift? shift = null, double? rate = null, AgentRole role = AgentRole.Agent, Tier tier = Tier.L1, bool available = true, DateTimeOffset? last = null) =>
        new(id, id, team, tier, role, skills ?? ["billing"], languages ?? ["ja", "en"], shift, max, available,
            rate is null ? null : new AgentPerformance(new Dictionary<string, double> { ["billing"] = rate.Value }, null), last);

    private static readonly Shift TokyoDay = new("Asia/Tokyo", [new ShiftPeriod([DayOfWeek.Monday, DayOfWeek.Tuesday], new TimeOnly(9, 0), new TimeOnly(18, 0))]);
    private static readonly Shift NewYorkDay = new("America/New_York", [new ShiftPeriod([DayOfWeek.Monday, DayOfWeek.Sunday], new TimeOnly(9, 0), new TimeOnly(17, 0))]);
    private static readonly Shift NewYorkNight = new("America/New_York", [new ShiftPeriod([DayOfWeek.Sunday], new TimeOnly(18, 0), new TimeOnly(2, 0))]);

    [Fact]
    public void Each_filter_excludes_with_its_reason_and_the_eligible_one_wins()
    {
        Candidate[] team =
        [
            new(Agent("no-japanese", languages: ["en"]), 0),
            new(Agent("no-skill", skills: ["shipping"]), 0),
            new(Agent("full", max: 2), 2),
            new(Agent("away", available: false), 0),
            new(Agent("off-shift", shift: NewYorkDay), 0),
            new(Agent("too-junior", tier: Tier.L0), 0),
            new(Agent("on-shift", shift: TokyoDay), 1),
        ];

        var choice = ChooseOwner.Choose(BillingInJapanese, team, MondayTokyoMorning);

        Assert.Equal("on-shift", choice.Agent!.Id);
        var excluded = choice.Candidates.Where(c => c.Excluded is not null).ToDictionary(c => c.Candidate, c => c.Excluded!);
        Assert.Contains("ja-JP", excluded["no-japanese"]);
        Assert.Contains("billing", excluded["no-skill"]);
        Assert.Contains("capacity (2/2)", excluded["full"]);
        Assert.Equal("unavailable", excluded["away"]);
        Assert.Contains("America/New_York", excluded["off-shift"]);
        Assert.Contains("tier", excluded["too-junior"]);
        Assert.Equal(["billing"], choice.MatchedSkills);
    }

    [Fact]
    public void A_shift_past_midnight_covers_the_small_hours_in_its_own_time_zone()
    {
        var team = new[] { new Candidate(Agent("night", shift: NewYorkNight, languages: ["ja"]), 0) };

        Assert.NotNull(ChooseOwner.Choose(BillingInJapanese, team, MondayTokyoMorning).Agent); // Sunday 20:00 in New York
        Assert.NotNull(ChooseOwner.Choose(BillingInJapanese, team, MondayTokyoMorning.AddHours(5)).Agent); // Monday 01:00, still Sunday's shift
        Assert.Null(ChooseOwner.Choose(BillingInJapanese, team, MondayTokyoMorning.AddHours(7)).Agent); // Monday 03:00
    }

    [Fact]
    public void Score_prefers_skills_then_free_capacity_then_performance_and_explains_it()
    {
        Candidate[] team =
        [
            new(Agent("busy-expert", max: 4, skills: ["billing", "pro-plan"], rate: 0.95), 3),
            new(Agent("free-generalist", max: 4, rate: 0.5), 0),
            new(Agent("free-expert", max: 4, skills: ["billing", "pro-plan"], rate: 0.7), 0),
        ];

        var choice = ChooseOwner.Choose(BillingInJapanese, team, MondayTokyoMorning);

        Assert.Equal("free-expert", choice.Agent!.Id);
        Assert.Equal(["billing", "pro-plan"], choice.MatchedSkills);
        var best = choice.Candidates[0];
        Assert.Equal(0.4, best.Breakdown["skill"], 3);
        Assert.Equal(0.35, best.Breakdown["load"], 3);
        Assert.Equal(0.175, best.Breakdown["performance"], 3);
        Assert.Equal(best.Breakdown.Values.Sum(), best.Score, 3);
    }

    [Fact]
    public void An_amount_goes_to_someone_whose_role_may_approve_it_per_the_shared_authority_matrix()
    {
        Candidate[] team =
        [
            new(Agent("agent", rate: 0.99), 0),
            new(Agent("lead", role: AgentRole.TeamLead, tier: Tier.L2), 0),
        ];
        var refund = BillingInJapanese with { Approval = new MoneyAmount(25_000, "JPY") };

        var choice = ChooseOwner.Choose(refund, team, MondayTokyoMorning);

        Assert.Equal("lead", choice.Agent!.Id);
        Assert.Equal("Agent may approve up to 10,000 JPY, not 25,000", choice.Candidates.Single(c => c.Candidate == "agent").Excluded);
        Assert.Null(ChooseOwner.Choose(refund with { Approval = new MoneyAmount(2_000_000, "JPY") }, team, MondayTokyoMorning).Agent);
    }

    [Fact]
    public void Equal_candidates_take_turns()
    {
        var team = new List<Candidate> { new(Agent("a"), 0), new(Agent("b"), 0), new(Agent("c"), 0) };
        var picks = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var chosen = ChooseOwner.Choose(BillingInJapanese with { Product = null }, team, MondayTokyoMorning).Agent!;
            picks.Add(chosen.Id);
            var index = team.FindIndex(c => c.Agent.Id == chosen.Id);
            team[index] = new Candidate(chosen with { LastAssignedAt = MondayTokyoMorning.AddMinutes(i) }, 0); // load unchanged: a pure tie
        }

        Assert.Equal(["a", "b", "c", "a", "b", "c"], picks);
    }
}

public sealed class RouteEscalationTests
{
    private static readonly RoutingSettings Settings = new RoutingSettings
    {
        Version = "test-1",
        DefaultTeams = new Dictionary<Tier, string> { [Tier.L1] = "frontline", [Tier.L2] = "leads", [Tier.L3] = "engineering" },
        AcknowledgeWithin = Enum.GetValues<Priority>().ToDictionary(p => p, p => TimeSpan.FromMinutes(5 * ((int)p + 1))),
    }.Validated();

    private static readonly MatrixCell Billing = new(MatrixCell.IdFor("billing", Tier.L1), "billing", Tier.L1, "billing-support", "billing-overflow", null);

    public static EscalationRequested Requested(string capability = "billing", Tier to = Tier.L1, Priority priority = Priority.P2) =>
        new(CaseId, Guid.NewGuid(), EscalationType.Functional, [], priority, Tier.L0, to, capability,
            new HandoffPacket("", [], ContactEntities.None, "unknown", [], [], "", []), "r1", Now);

    private static RoutingCase Case => RoutingCase.Create(Opened());

    [Fact]
    public void The_best_agent_is_offered_the_escalation_with_the_candidates_and_deadline()
    {
        var outcome = RouteEscalation.Decide(Case, Requested(), Billing, [new(ChooseOwnerTests.Agent("aiko"), 0)], [], Settings, Now);

        var routed = Assert.IsType<EscalationRouted>(Assert.Single(outcome.Events));
        Assert.Equal(("billing-support", "aiko"), (routed.Team, routed.Agent));
        Assert.Equal(Now + TimeSpan.FromMinutes(10), routed.AcknowledgeBy);
        Assert.Equal("aiko", Assert.Single(routed.Candidates).Candidate);
        Assert.Equal(AssignmentStatus.Offered, outcome.Assignment!.Status);
        Assert.True(outcome.Assignment.HoldsCapacity);
    }

    [Fact]
    public void Nobody_eligible_goes_to_the_overflow_team_then_to_the_queue()
    {
        var full = new Candidate(ChooseOwnerTests.Agent("full", max: 1), 1);

        var overflowed = RouteEscalation.Decide(Case, Requested(), Billing, [full], [new(ChooseOwnerTests.Agent("spare", team: "billing-overflow"), 0)], Settings, Now);
        var queued = RouteEscalation.Decide(Case, Requested(), Billing, [full], [new(ChooseOwnerTests.Agent("spare-full", team: "billing-overflow", max: 1), 1)], Settings, Now);

        var routed = Assert.IsType<EscalationRouted>(Assert.Single(overflowed.Events));
        Assert.Equal(("billing-overflow", "spare"), (routed.Team, routed.Agent));
        Assert.Contains(routed.Candidates, c => c.Candidate == "full" && c.Excluded!.Contains("capacity"));
        var waiting = Assert.IsType<EscalationQueued>(Assert.Single(queued.Events));
        Assert.Equal("billing-support", waiting.Queue);
        Assert.Contains("2 at capacity", waiting.Reason);
        Assert.False(queued.Assignment!.HoldsCapacity);
    }

    [Fact]
    public void A_team_without_a_roster_takes_it_into_its_shared_queue()
    {
        var outcome = RouteEscalation.Decide(Case, Requested("returns"), new MatrixCell("returns|L1", "returns", Tier.L1, "returns-desk", null, TimeSpan.FromMinutes(2)), [], [], Settings, Now);

        var routed = Assert.IsType<EscalationRouted>(Assert.Single(outcome.Events));
        Assert.Equal(("returns-desk", null), (routed.Team, routed.Agent));
        Assert.Equal(Now + TimeSpan.FromMinutes(2), routed.AcknowledgeBy); // the cell's own deadline
    }

    [Fact]
    public void An_escalation_is_placed_once()
    {
        var requested = Requested();
        var state = Case.Apply(new EscalationQueued(CaseId, requested.EscalationId, "billing-support", "full", Now));

        Assert.Same(RoutingOutcome.Nothing, RouteEscalation.Decide(state, requested, Billing, [], [], Settings, Now));
    }

    [Fact]
    public void An_authority_escalation_carries_the_amount_to_approve()
    {
        var requested = Requested(to: Tier.L2) with
        {
            Triggers = [new TriggerEvidence("authority-limit", "25,000 JPY", null, "authority-limit:L2")],
            Handoff = Requested().Handoff with { Entities = new ContactEntities(Amount: new MoneyAmount(25_000, "JPY")) },
        };

        var outcome = RouteEscalation.Decide(Case, requested, Billing, [new(ChooseOwnerTests.Agent("agent", tier: Tier.L2), 0),
            new(ChooseOwnerTests.Agent("lead", role: AgentRole.TeamLead, tier: Tier.L2), 0)], [], Settings, Now);

        Assert.Equal("lead", Assert.IsType<EscalationRouted>(Assert.Single(outcome.Events)).Agent);
        Assert.Equal(new MoneyAmount(25_000, "JPY"), outcome.Assignment!.Approval);
    }

    [Fact]
    public void Escalations_placed_together_see_the_loads_and_turns_of_those_before_them()
    {
        var team = new Dictionary<string, IReadOnlyList<Candidate>>
        {
            ["billing-support"] = [new(ChooseOwnerTests.Agent("aiko", max: 1), 0), new(ChooseOwnerTests.Agent("ben", max: 2), 0)],
        };
        var requests = Enumerable.Range(0, 4).Select(_ => OnCaseOfItsOwn()).ToList();

        var placements = RouteEscalation.DecideInTurn(requests, team, Settings, Now);

        // aiko has one slot and ben two: the first three get an agent, the fourth waits in the queue.
        var agents = placements.Select(p => (p.Outcome.Events.Single() as EscalationRouted)?.Agent).ToList();
        Assert.Equal(3, agents.Count(agent => agent is not null));
        Assert.Equal(1, agents.Count(agent => agent == "aiko"));
        Assert.Equal(2, agents.Count(agent => agent == "ben"));
        Assert.IsType<EscalationQueued>(placements[3].Outcome.Events.Single());
        Assert.Equal(requests.Select(r => r.Requested.EscalationId), placements.Select(p => p.Outcome.Assignment!.Id));
        Assert.All(placements.Take(3), p => Assert.Equal((p.Outcome.Assignment!.Agent, Now), (p.Assigned!.Id, p.Assigned.LastAssignedAt!.Value)));
        Assert.Null(placements[3].Assigned);
    }

    [Fact]
    public void A_superseded_assignment_frees_its_agent_for_the_escalations_after_it()
    {
        var held = AcknowledgementChainTests.OfferedTo("aiko");
        var team = new Dictionary<string, IReadOnlyList<Candidate>> { ["billing-support"] = [new(ChooseOwnerTests.Agent("aiko", max: 1), 1)] };
        var superseding = new PlacementRequest(Case, Requested(), Billing with { OverflowTeam = null }, [held]);

        var placements = RouteEscalation.DecideInTurn([superseding, OnCaseOfItsOwn()], team, Settings, Now);

        // The newer escalation of aiko's case was decided on the loads as they were (aiko full), and closed her assignment;
        // the next escalation found her free.
        Assert.IsType<EscalationQueued>(placements[0].Outcome.Events.Single());
        Assert.Equal((held.Id, AssignmentStatus.Closed), (Assert.Single(placements[0].Closed).Id, placements[0].Closed[0].Status));
        Assert.Equal("aiko", Assert.IsType<EscalationRouted>(placements[1].Outcome.Events.Single()).Agent);
    }

    [Fact]
    public void An_escalation_placed_before_changes_nothing_in_a_group()
    {
        var again = OnCaseOfItsOwn();
        var placedAlready = again with { Case = again.Case!.Apply(new EscalationQueued(again.Case.Id, again.Requested.EscalationId, "billing-support", "full", Now)) };
        var team = new Dictionary<string, IReadOnlyList<Candidate>> { ["billing-support"] = [new(ChooseOwnerTests.Agent("aiko", max: 1), 0)] };

        var placements = RouteEscalation.DecideInTurn([placedAlready, OnCaseOfItsOwn()], team, Settings, Now);

        Assert.Same(Placement.Nothing, placements[0]);
        Assert.Equal("aiko", Assert.IsType<EscalationRouted>(placements[1].Outcome.Events.Single()).Agent);
    }

    private static PlacementRequest OnCaseOfItsOwn()
    {
        var caseId = Guid.NewGuid();
        return new PlacementRequest(Case with { Id = caseId }, Requested() with { CaseId = caseId }, Billing with { OverflowTeam = null }, []);
    }

    [Fact]
    public void Incomplete_settings_are_refused_at_start() => Assert.Throws<InvalidOperationException>(() => new RoutingSettings().Validated());
}

public sealed class AcknowledgementChainTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private static readonly Candidate[] Team =
    [
        new(ChooseOwnerTests.Agent("first"), 0),
        new(ChooseOwnerTests.Agent("second"), 0),
        new(ChooseOwnerTests.Agent("lead", role: AgentRole.TeamLead, tier: Tier.L2), 0),
        new(ChooseOwnerTests.Agent("manager", role: AgentRole.Manager, tier: Tier.L2), 0),
    ];

    public static Assignment OfferedTo(string agent, int level = 0, int loops = 0) =>
        new(Guid.NewGuid(), CaseId, "billing-support", null, agent, AssignmentStatus.Offered, Priority.P2, "billing", null, "ja", Tier.L1,
            Now, level, loops, [], Now);

    [Fact]
    public void Unacknowledged_escalations_walk_agent_then_lead_then_manager()
    {
        var levels = new List<(string?, int)>();
        var assignment = OfferedTo("first");
        for (var i = 0; i < 3; i++)
        {
            var next = AcknowledgementChain.Next(assignment, Team, maxLoops: 2, Window, "timeout", Now);
            var rerouted = Assert.IsType<EscalationRerouted>(Assert.Single(next.Events));
            Assert.Equal(Now + Window, rerouted.AcknowledgeBy);
            levels.Add((rerouted.Agent, rerouted.ChainLevel));
            assignment = next.Assignment!;
        }

        Assert.Equal([("second", 1), ("lead", 2), ("manager", 3)], levels);
    }

    [Fact]
    public void After_the_last_loop_it_waits_in_the_queue()
    {
        var restarted = AcknowledgementChain.Next(OfferedTo("manager", level: 3, loops: 0), Team, maxLoops: 2, Window, "timeout", Now);
        var exhausted = AcknowledgementChain.Next(OfferedTo("manager", level: 3, loops: 1), Team, maxLoops: 2, Window, "timeout", Now);

        var again = Assert.IsType<EscalationRerouted>(Assert.Single(restarted.Events));
        Assert.Equal((1, 1), (again.ChainLevel, restarted.Assignment!.Loops));
        var queued = Assert.IsType<EscalationQueued>(Assert.Single(exhausted.Events));
        Assert.Contains("2 loop(s)", queued.Reason);
        Assert.Null(exhausted.Assignment!.Agent);
    }
}

public sealed class AgentActionsTests
{
    private static ActionContext Context(Assignment assignment, RoutingCase? state = null, params Candidate[] roster) =>
        new(assignment, state ?? RoutingCase.Create(Opened()), new Dictionary<string, IReadOnlyList<Candidate>>
        {
            [assignment.Team] = roster, ["tech"] = [new(ChooseOwnerTests.Agent("tess", team: "tech", skills: ["api"]), 0)], ["empty"] = [],
        }, TimeSpan.FromMinutes(5), 2, Now);

    [Fact]
    public void Acknowledging_someone_elses_escalation_is_refused_and_changes_nothing()
    {
        var decision = AgentActions.Acknowledge(Context(AcknowledgementChainTests.OfferedTo("first")), new AcknowledgeRequest("intruder"));

        Assert.Contains("offered to first", decision.Refusal);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void Acknowledging_stops_the_clock_and_twice_changes_nothing()
    {
        var first = AgentActions.Acknowledge(Context(AcknowledgementChainTests.OfferedTo("first")), new AcknowledgeRequest("first"));
        var again = AgentActions.Acknowledge(Context(first.Assignment), new AcknowledgeRequest("first"));

        Assert.IsType<EscalationAcknowledged>(Assert.Single(first.Events));
        Assert.Null(first.Assignment.AcknowledgeBy);
        Assert.Null(again.Refusal);
        Assert.Empty(again.Events);
    }

    [Fact]
    public void A_decline_moves_to_the_next_agent_at_once()
    {
        var decision = AgentActions.Decline(Context(AcknowledgementChainTests.OfferedTo("first"), null,
            new(ChooseOwnerTests.Agent("first"), 1), new(ChooseOwnerTests.Agent("second"), 0)), new DeclineRequest("first", "on a call"));

        Assert.IsType<EscalationDeclined>(decision.Events[0]);
        Assert.Equal("second", Assert.IsType<EscalationRerouted>(decision.Events[1]).Agent);
        Assert.Equal(["billing-support"], decision.FreedTeams);
    }

    [Fact]
    public void A_transfer_goes_to_the_other_teams_best_agent_or_its_queue()
    {
        var owned = AcknowledgementChainTests.OfferedTo("first") with { Status = AssignmentStatus.Acknowledged };

        var toTech = AgentActions.Transfer(Context(owned), new TransferRequest("first", "tech", "api", "API bug"));
        var toNobody = AgentActions.Transfer(Context(owned), new TransferRequest("first", "tech", "mainframe", "legacy"));

        var rerouted = Assert.IsType<EscalationRerouted>(Assert.Single(toTech.Events));
        Assert.Equal(("tech", "tess", "first"), (rerouted.Team, rerouted.Agent, rerouted.FromOwner));
        Assert.Equal("tech", Assert.IsType<EscalationQueued>(Assert.Single(toNobody.Events)).Queue);
    }

    [Fact]
    public void Resolving_a_resolved_case_is_refused()
    {
        var resolved = RoutingCase.Create(Opened()).Apply(new CaseResolved(CaseId, "done", "first", Now));

        var decision = AgentActions.Resolve(Context(AcknowledgementChainTests.OfferedTo("first"), resolved), new ResolveRequest("first", "again"));

        Assert.Equal("The case is resolved.", decision.Refusal);
    }

    [Fact]
    public void Only_the_asked_peer_answers_once_and_the_owner_keeps_the_escalation()
    {
        var owned = AcknowledgementChainTests.OfferedTo("first");
        var asked = AgentActions.RequestPeerConsult(Context(owned), new PeerConsultRequest("first", "senior", "Is this a known bug?"));
        var consult = Assert.IsType<PeerConsultRequested>(Assert.Single(asked.Events));
        var state = RoutingCase.Create(Opened()).Apply(consult);

        var wrongPeer = AgentActions.AnswerPeerConsult(Context(owned, state), consult.ConsultId, new PeerAnswerRequest("someone", "yes"));
        var answered = AgentActions.AnswerPeerConsult(Context(owned, state), consult.ConsultId, new PeerAnswerRequest("senior", "Yes, KB-12."));
        var twice = AgentActions.AnswerPeerConsult(Context(owned, state.Apply((PeerConsultAnswered)answered.Events[0])), consult.ConsultId,
            new PeerAnswerRequest("senior", "again"));

        Assert.Equal("first", asked.Assignment.Agent);
        Assert.Contains("not someone", wrongPeer.Refusal);
        Assert.IsType<PeerConsultAnswered>(Assert.Single(answered.Events));
        Assert.Contains("already answered", twice.Refusal);
    }

    [Fact]
    public void Escalating_asks_for_the_next_tier_and_not_beyond_L3()
    {
        var owned = AcknowledgementChainTests.OfferedTo("first");
        var requested = RouteEscalationTests.Requested() with { EscalationId = owned.Id };
        var state = RoutingCase.Create(Opened()).Apply(requested);

        var upward = AgentActions.Escalate(Context(owned, state), new EscalateRequest("first", "needs a refund exception"));
        var atTop = AgentActions.Escalate(Context(owned with { Tier = Tier.L3 }, state), new EscalateRequest("first", "more"));

        var escalation = Assert.IsType<EscalationRequested>(Assert.Single(upward.Events));
        Assert.Equal((EscalationType.Hierarchical, Tier.L1, Tier.L2), (escalation.Type, escalation.FromTier, escalation.ToTier));
        Assert.Contains("first escalated", escalation.Handoff.TriggerReason);
        Assert.Contains("L3", atTop.Refusal);
    }
}
