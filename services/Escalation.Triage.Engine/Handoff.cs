using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Triage.Engine.Triggers;

namespace Escalation.Triage.Engine;

/// <summary>The handoff packet: everything known so far, so nobody asks the customer again.</summary>
public static class Handoff
{
    public static HandoffPacket For(TriageCase state, IReadOnlyList<CaseSignal> upTo, string reason)
    {
        var turns = upTo.OfType<TurnSignal>().ToList();
        var customerTurns = turns.Where(t => t.Contact.Author == AuthorKind.Customer).ToList();
        var sentiments = customerTurns.Select(TriggerRules.SentimentOf).ToList();
        var entities = turns.Select(t => t.Contact.Entities).Aggregate(ContactEntities.None, (merged, next) => new ContactEntities(
            next.OrderId ?? merged.OrderId, next.Amount ?? merged.Amount, next.Product ?? merged.Product));
        var attempts = upTo.OfType<AttemptSignal>().Select(a => new AttemptedSolution(a.Attempt.Step, a.Attempt.Outcome)).ToList();

        return new HandoffPacket(
            Summary: $"{state.Reference} [{state.Category}] {state.Subject} — {customerTurns.Count} customer turn(s) on {state.Channel}, " +
                     $"{attempts.Count} attempt(s), at {state.CurrentTier}; {reason}",
            Intents: turns.Where(t => t.Contact.Intent is not null)
                .Select(t => t.Contact.Intent!.Matched ? t.Contact.Intent.Name : $"{t.Contact.Intent.Name} (not matched)").Distinct().ToList(),
            Entities: entities,
            SentimentAssessment: sentiments.Count == 0 ? "unknown" : Assess(sentiments[^1]),
            SentimentTrajectory: sentiments.Select(s => s.Score).ToList(),
            AttemptedSolutions: attempts,
            TriggerReason: reason,
            Transcript: turns.Select(t => $"{t.Contact.Author}: {t.Contact.Text}").ToList());
    }

    private static string Assess(SentimentScore sentiment) => sentiment.Score switch
    {
        <= -0.5 => $"very negative ({sentiment.Score:0.##}, {sentiment.Source})",
        < -0.1 => $"negative ({sentiment.Score:0.##}, {sentiment.Source})",
        <= 0.1 => $"neutral ({sentiment.Score:0.##}, {sentiment.Source})",
        _ => $"positive ({sentiment.Score:0.##}, {sentiment.Source})",
    };
}
