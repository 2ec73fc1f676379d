using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Triage.Engine;
using Escalation.Triage.Engine.Sentiment;
using JasperFx.Events;

namespace Escalation.UnitTests.Triage;

public sealed class TriageEngineTests
{
    private static readonly TriageRules Rules = TriageScenarioTests.Rules;

    private static Scenario Named(string name) => Scenario.All.Single(s => s.Name == name);

    /// <summary>The scenario's stream as it is stored once triage has run: each decision right after its stimulus.</summary>
    private static IReadOnlyList<IEvent> RecordedWithDecisions(Scenario scenario)
    {
        var inputs = scenario.Record();
        var decisions = TriageReplay.Run(inputs, Rules).Decisions;
        var stream = new List<IEvent>();
        foreach (var input in inputs)
        {
            stream.Add(input);
            foreach (var decision in decisions.Where(d => TriageOutcome.Of(d)!.StimulusEventId == input.Id))
            {
                stream.Add(CaseFixtures.Stored(decision, 0, input.Timestamp));
            }
        }

        for (var i = 0; i < stream.Count; i++)
        {
            stream[i].Version = i + 1;
        }

        return stream;
    }

    [Fact]
    public void Replaying_the_recorded_rules_version_finds_no_difference()
    {
        var recorded = RecordedWithDecisions(Named("seed-card-fraud-dispute"));

        var replay = TriageReplay.Run(recorded, Rules);

        Assert.Equal(4, replay.Recorded.Count);
        Assert.Equal(4, replay.Replayed.Count);
        Assert.Empty(replay.Differences);
    }

    [Fact]
    public void Replaying_other_rules_reports_what_they_would_have_decided_without_touching_the_stream()
    {
        var recorded = RecordedWithDecisions(Named("seed-card-fraud-dispute"));
        var before = recorded.Select(e => (e.Id, e.Version, e.Data)).ToList();
        var withoutFraudKeywords = Rules with
        {
            Version = "test-no-fraud-keywords",
            Keywords = Rules.Keywords.Where(k => k.Category != "fraud").ToList(),
        };

        var replay = TriageReplay.Run(recorded, withoutFraudKeywords);

        var first = replay.Differences[0];
        Assert.Equal(recorded[1].Id, first.StimulusEventId); // the customer's first message
        Assert.Equal(EscalationType.Priority, first.Recorded!.Type);
        Assert.Null(first.Replayed); // v-test would not have escalated on it
        Assert.All(replay.Replayed, outcome => Assert.Equal("test-no-fraud-keywords", outcome.RulesVersion));
        Assert.Equal(before, recorded.Select(e => (e.Id, e.Version, e.Data)).ToList());
    }

    [Fact]
    public void A_stimulus_delivered_again_decides_nothing()
    {
        var scenario = Named("keyword-fraud-en");
        var state = scenario.Record().Aggregate((TriageCase?)null, TriageCase.Fold)!;
        var stimulus = scenario.StepEventId(0);
        var first = Assert.IsType<EscalationRequested>(Assert.Single(TriggerEngine.Decide(state, stimulus, Rules, DateTimeOffset.UtcNow)));

        Assert.Empty(TriggerEngine.Decide(state.Apply(first), stimulus, Rules, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void An_event_not_in_the_stream_decides_nothing()
    {
        var state = Named("keyword-fraud-en").Record().Aggregate((TriageCase?)null, TriageCase.Fold)!;

        Assert.Empty(TriggerEngine.Decide(state, Guid.NewGuid(), Rules, DateTimeOffset.UtcNow));
        Assert.Empty(TriggerEngine.Decide(null, Guid.NewGuid(), Rules, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void The_handoff_packet_carries_the_conversation_so_nobody_asks_again()
    {
        var scenario = Named("seed-ec-lost-parcel-refund-above-agent-limit");

        var decisions = TriageReplay.Run(scenario.Record(), Rules).Decisions.Cast<EscalationRequested>().ToList();

        var handoff = decisions[^1].Handoff;
        Assert.Contains("ESC-2000", handoff.Summary);
        Assert.Equal("A-1001", handoff.Entities.OrderId);
        Assert.Equal(new MoneyAmount(25000, "JPY"), handoff.Entities.Amount);
        Assert.Equal(["order-status", "lost-parcel", "lost-parcel-claim (not matched)", "carrier-investigation"], handoff.Intents);
        Assert.Equal(5, handoff.Transcript.Count);
        Assert.Equal(2, handoff.SentimentTrajectory.Count); // one score per customer turn
        Assert.Contains("approval limit", handoff.TriggerReason);
        var evidence = Assert.Single(decisions[^1].Triggers);
        Assert.Equal("authority-limit:L2", evidence.Key);
        Assert.Equal(25000, evidence.Measures!["amount"]);
        Assert.Equal(10000, evidence.Measures["limit"]);
    }

    [Theory]
    [InlineData("本当に最悪です", -1, -0.6)]
    [InlineData("This is terrible", -1, -0.6)]
    [InlineData("ありがとうございました。助かりました", 0.5, 1)]
    [InlineData("Not bad at all", 0.1, 1)]
    [InlineData("不満はありません", 0.1, 1)]
    [InlineData("良くないです", -1, -0.1)]
    [InlineData("問題ないです", 0.05, 1)]
    [InlineData("注文番号はA-1001です", 0, 0)]
    [InlineData("It does not work", -1, -0.05)]
    public void The_lexicon_scores_sentiment_with_negation(string text, double atLeast, double atMost)
    {
        var score = LexiconSentiment.Score(text);

        Assert.InRange(score.Score, atLeast, atMost);
        Assert.Equal("lexicon-ja-en-1", score.Source);
    }

    [Fact]
    public void A_rules_file_with_a_misspelt_field_fails_with_the_field_named()
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Rules", "triage-rules.json"))
            .Replace("\"botConfidence\"", "\"botConfidense\"");

        var error = Assert.Throws<InvalidOperationException>(() => TriageRules.Parse(json, "test.json"));

        Assert.Contains("botConfidense", error.Message);
        Assert.Contains("test.json", error.Message);
    }

    [Fact]
    public void A_rules_file_with_impossible_thresholds_lists_every_problem()
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Rules", "triage-rules.json"))
            .Replace("\"below\": 0.4", "\"below\": 1.5")
            .Replace("\"atLeast\": 2", "\"atLeast\": 0");

        var error = Assert.Throws<InvalidOperationException>(() => TriageRules.Parse(json, "test.json"));

        Assert.Contains("botConfidence.below", error.Message);
        Assert.Contains("failedAttempts.atLeast", error.Message);
    }

    [Fact]
    public void Rules_written_for_another_authority_matrix_refuse_to_start()
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Rules", "triage-rules.json"))
            .Replace("\"authorityMatrixVersion\": \"2026.11.1\"", "\"authorityMatrixVersion\": \"2025.01.1\"");

        var error = Assert.Throws<InvalidOperationException>(() => TriageRules.Parse(json, "test.json"));

        Assert.Contains("authority matrix is 2026.11.1", error.Message);
    }

    [Theory]
    [InlineData(Level.High, Level.High, Priority.P1)]
    [InlineData(Level.High, Level.Low, Priority.P2)]
    [InlineData(Level.Low, Level.High, Priority.P2)]
    [InlineData(Level.Medium, Level.Medium, Priority.P2)]
    [InlineData(Level.Medium, Level.Low, Priority.P3)]
    [InlineData(Level.Low, Level.Medium, Priority.P3)]
    [InlineData(Level.Low, Level.Low, Priority.P4)]
    public void Priority_follows_the_urgency_impact_matrix(Level urgency, Level impact, Priority expected) =>
        Assert.Equal(expected, PriorityMatrix.For(urgency, impact));
}
