using System.Text;
using System.Text.Json;
using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Triage.Engine;

namespace Escalation.UnitTests.Triage;

/// <summary>
/// Single customer turns a labeller marked with the rules that should fire, measured rather than asserted: unlike the
/// scenarios, the engine may be wrong here, and the test reports how often. Each turn is the first message of a
/// standard customer's chatbot case. <c>turns.json</c> was used to tune the phrase lists of rules 2026.11.2, so its
/// figures are optimistic; <c>holdout.json</c> was labelled afterwards and never tuned against.
/// </summary>
public sealed class LabelledTurnsTests(ITestOutputHelper output)
{
    public sealed record LabelledTurn(string Text, IReadOnlyList<string> Expect);

    private static IReadOnlyList<LabelledTurn> Load(string set) => JsonSerializer.Deserialize<List<LabelledTurn>>(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Triage", "Labelled", $"{set}.json")), JsonSerializerOptions.Web)!;

    [Theory]
    [InlineData("turns", 0.8)]
    [InlineData("holdout", 0.7)]
    public void Precision_and_recall_per_trigger_on_labelled_turns(string set, double precisionFloor)
    {
        var turns = Load(set);
        var tally = new SortedDictionary<string, (int TruePositive, int FalsePositive, int FalseNegative)>(StringComparer.Ordinal);
        var misses = new List<string>();
        foreach (var turn in turns)
        {
            var scenario = new Scenario("labelled", [new ScenarioStep(Customer: turn.Text)], [], Language: turn.Text.All(c => c < 0x3000) ? "en" : "ja");
            var fired = TriageReplay.Run(scenario.Record(), TriageScenarioTests.Rules).Decisions.OfType<EscalationRequested>()
                .SelectMany(e => e.Triggers).Select(t => t.Rule).ToHashSet();
            foreach (var rule in fired.Union(turn.Expect))
            {
                var (tp, fp, fn) = tally.GetValueOrDefault(rule);
                tally[rule] = (fired.Contains(rule), turn.Expect.Contains(rule)) switch
                {
                    (true, true) => (tp + 1, fp, fn),
                    (true, false) => (tp, fp + 1, fn),
                    _ => (tp, fp, fn + 1),
                };
            }

            if (!fired.SetEquals(turn.Expect))
            {
                misses.Add($"  \"{turn.Text}\": fired [{string.Join(", ", fired)}], labelled [{string.Join(", ", turn.Expect)}]");
            }
        }

        var report = new StringBuilder($"{set}: {turns.Count} labelled turns\n\n| rule | TP | FP | FN | precision | recall |\n|---|---|---|---|---|---|\n");
        foreach (var (rule, (tp, fp, fn)) in tally)
        {
            report.Append($"| {rule} | {tp} | {fp} | {fn} | {Ratio(tp, tp + fp)} | {Ratio(tp, tp + fn)} |\n");
        }

        report.Append("\nDisagreements:\n").AppendJoin('\n', misses);
        output.WriteLine(report.ToString());
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, $"triage-labelled-{set}.md"), report.ToString());
        var total = tally.Values.Aggregate((TP: 0, FP: 0), (sum, t) => (sum.TP + t.TruePositive, sum.FP + t.FalsePositive));
        Assert.True(total.TP >= precisionFloor * (total.TP + total.FP), $"overall precision below {precisionFloor:P0}:\n{report}");
    }

    private static string Ratio(int part, int whole) => whole == 0 ? "–" : $"{(double)part / whole:P0}";
}
