using System.Text;
using Escalation.Contracts.Escalations;
using Escalation.Triage.Engine;
using Escalation.Triage.Engine.Triggers;

namespace Escalation.UnitTests.Triage;

/// <summary>
/// Recorded conversations in, decisions out (Triage/Scenarios/*.json): each scenario is replayed through
/// <see cref="TriageReplay"/> with the shipped rules, and the decisions must be exactly the expected ones.
/// </summary>
public sealed class TriageScenarioTests(ITestOutputHelper output)
{
    public static readonly TriageRules Rules = TriageRules.Load(Path.Combine(AppContext.BaseDirectory, "Rules", "triage-rules.json"));

    public static TheoryData<string> Names => new(Scenario.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void Scenario_decides_as_expected(string name)
    {
        var scenario = Scenario.All.Single(s => s.Name == name);

        var decisions = TriageReplay.Run(scenario.Record(), Rules).Decisions;

        output.WriteLine(Describe(scenario, decisions));
        Assert.True(decisions.Count == scenario.Expect.Count,
            $"{name}: expected {scenario.Expect.Count} decision(s), got {decisions.Count}.\n{Describe(scenario, decisions)}");
        foreach (var (expected, actual) in scenario.Expect.Zip(decisions))
        {
            var triggers = actual switch
            {
                EscalationRequested e => e.Triggers,
                EscalationPriorityRaised r => r.Triggers,
                _ => throw new InvalidOperationException($"Unexpected decision {actual.GetType().Name}."),
            };
            var fired = triggers.Select(t => t.Rule).ToHashSet();
            var context = $"{name} at step {expected.At}:\n{Describe(scenario, decisions)}";
            Assert.True(triggers.All(t => t.SourceEventId == scenario.StepEventId(expected.At)), $"decided on another step — {context}");
            Assert.True(expected.Triggers.All(fired.Contains), $"missing triggers {string.Join(", ", expected.Triggers.Except(fired))} — {context}");
            Assert.True(triggers.All(t => !string.IsNullOrWhiteSpace(t.Evidence)), $"a trigger without evidence — {context}");
            switch (actual)
            {
                case EscalationRequested e:
                    Assert.True(expected.Kind == "escalation", $"expected {expected.Kind} — {context}");
                    Assert.True(expected.Priority == e.Priority, $"priority {e.Priority}, expected {expected.Priority} — {context}");
                    Assert.True(expected.Type is null || expected.Type == e.Type, $"type {e.Type}, expected {expected.Type} — {context}");
                    Assert.True(expected.From is null || expected.From == e.FromTier, $"from {e.FromTier}, expected {expected.From} — {context}");
                    Assert.True(expected.To is null || expected.To == e.ToTier, $"to {e.ToTier}, expected {expected.To} — {context}");
                    Assert.True(expected.Capability is null || expected.Capability == e.RequiredCapability,
                        $"capability {e.RequiredCapability}, expected {expected.Capability} — {context}");
                    Assert.Equal(Rules.Version, e.RulesVersion);
                    break;
                case EscalationPriorityRaised r:
                    Assert.True(expected.Kind == "priority-raised", $"expected {expected.Kind} — {context}");
                    Assert.True(expected.Priority == r.To && r.To < r.From, $"raised {r.From} → {r.To}, expected {expected.Priority} — {context}");
                    break;
            }
        }
    }

    [Fact]
    public void The_scenario_set_covers_every_trigger_and_the_seeds_worked_examples()
    {
        var expected = Scenario.All.SelectMany(s => s.Expect).SelectMany(e => e.Triggers).ToHashSet();
        string[] every =
        [
            TriggerRules.ExplicitHumanRequest, TriggerRules.ExplicitSuperiorRequest, TriggerRules.NegativeSentiment, TriggerRules.WorseningSentiment,
            TriggerRules.LowBotConfidence, TriggerRules.IntentFailureLoop, TriggerRules.VipCustomer, TriggerRules.PublicChannel,
            TriggerRules.RepeatedFailedAttempts, TriggerRules.CaseReopened, TriggerRules.AuthorityLimit, TriggerRules.CapabilityGap,
            TriggerRules.SlaBreachImminent, TriggerRules.WideImpact, .. Rules.Keywords.Select(k => TriggerRules.KeywordPrefix + k.Category),
        ];

        Assert.Empty(every.Except(expected));
        Assert.True(Scenario.All.Count >= 80, $"{Scenario.All.Count} scenarios");
        Assert.True(Scenario.All.Count(s => s.Expect.Count == 0) >= 15, "at least 15 conversations that must not escalate");
        Assert.Equal(6, Scenario.All.Select(s => s.Seed).OfType<string>().Distinct().Count());
    }

    /// <summary>
    /// Precision per rule on the scenario set: of the times a rule fired, how often the labeller named it (as a reason
    /// or as acceptable). Written to the test output and to triage-precision.md beside the test binaries.
    /// </summary>
    [Fact]
    public void Precision_per_trigger_on_the_scenario_set()
    {
        var tally = new SortedDictionary<string, (int Fired, int Labelled)>(StringComparer.Ordinal);
        foreach (var scenario in Scenario.All)
        {
            var decisions = TriageReplay.Run(scenario.Record(), Rules).Decisions;
            foreach (var (decision, index) in decisions.Select((d, i) => (d, i)))
            {
                var label = index < scenario.Expect.Count ? scenario.Expect[index] : null;
                var accepted = label is null ? [] : label.Triggers.Concat(label.Acceptable ?? []).Concat(Facts(scenario)).ToHashSet();
                var triggers = decision is EscalationRequested e ? e.Triggers : ((EscalationPriorityRaised)decision).Triggers;
                foreach (var rule in triggers.Select(t => t.Rule).Distinct())
                {
                    var (fired, labelled) = tally.GetValueOrDefault(rule);
                    tally[rule] = (fired + 1, labelled + (accepted.Contains(rule) ? 1 : 0));
                }
            }
        }

        var report = new StringBuilder($"Triage rules {Rules.Version}, {Scenario.All.Count} scenarios\n\n| rule | fired | labelled | precision |\n|---|---|---|---|\n");
        foreach (var (rule, (fired, labelled)) in tally)
        {
            report.Append($"| {rule} | {fired} | {labelled} | {(double)labelled / fired:P0} |\n");
        }

        output.WriteLine(report.ToString());
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "triage-precision.md"), report.ToString());
        Assert.All(tally, entry => Assert.True(entry.Value.Labelled >= 0.75 * entry.Value.Fired, $"{entry.Key} precision below 75 %"));
    }

    // Amplifiers state facts of the case; they are right whenever the fact holds.
    private static IEnumerable<string> Facts(Scenario scenario)
    {
        if (scenario.CustomerTier is Contracts.CustomerTier.Vip or Contracts.CustomerTier.Strategic) yield return TriggerRules.VipCustomer;
        if (scenario.Channel == Contracts.Channel.Social) yield return TriggerRules.PublicChannel;
    }

    private static string Describe(Scenario scenario, IReadOnlyList<Contracts.ICaseEvent> decisions) =>
        string.Join("\n", decisions.Select(d => d switch
        {
            EscalationRequested e => $"  step {Step(scenario, e.Triggers)}: escalation {e.Type} {e.Priority} {e.FromTier}→{e.ToTier} [{e.RequiredCapability}] " +
                                     string.Join(" | ", e.Triggers.Select(t => $"{t.Rule}: {t.Evidence}")),
            EscalationPriorityRaised r => $"  step {Step(scenario, r.Triggers)}: priority-raised {r.From}→{r.To} " +
                                          string.Join(" | ", r.Triggers.Select(t => $"{t.Rule}: {t.Evidence}")),
            _ => d.ToString(),
        }));

    private static int Step(Scenario scenario, IReadOnlyList<TriggerEvidence> triggers) =>
        Enumerable.Range(0, scenario.Steps.Count).FirstOrDefault(i => triggers.Any(t => t.SourceEventId == scenario.StepEventId(i)), -1);
}
