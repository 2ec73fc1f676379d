using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Triage.Rules;

namespace Escalation.Triage.Contacts.EvaluateContact;

/// <summary>Decides whether a new contact escalates the case.</summary>
public static class EvaluateContact
{
    public const string ExplicitHumanRequestRule = "explicit-human-request";

    public static IReadOnlyList<ICaseEvent> Decide(TriageCase? state, Guid contactEventId, TriageRules rules, DateTimeOffset now)
    {
        var turn = state?.Turns.FirstOrDefault(t => t.EventId == contactEventId);
        if (state is null || turn is null || state.Resolved || turn.Contact.Author != AuthorKind.Customer || state.HasEscalatedOn(contactEventId))
        {
            return [];
        }

        var match = rules.MatchHumanRequest(turn.Contact.Text);
        // Asking for a person again changes nothing once escalated; asking for a superior counts once more, once.
        var alreadyAsked = match is not null && state.Escalations.Any(e =>
            e.Triggers.Any(t => t.Rule == ExplicitHumanRequestRule) && (!match.Superior || e.Type == EscalationType.Hierarchical));
        if (match is null || alreadyAsked)
        {
            // No double escalation for the same trigger; asking for a superior after a human is a new trigger.
            return [];
        }

        var type = match.Superior ? EscalationType.Hierarchical : EscalationType.Functional;
        var toTier = match.Superior ? Max(Next(state.CurrentTier), Tier.L2) : Next(state.CurrentTier);
        var urgency = match.Superior ? Level.Medium : Level.Low;
        var priority = PriorityMatrix.For(urgency, rules.ImpactOf(state.Customer.Tier));
        var reason = match.Superior
            ? $"Customer asked for a superior (\"{match.Phrase}\")."
            : $"Customer asked for a human (\"{match.Phrase}\").";
        var trigger = new TriggerEvidence(ExplicitHumanRequestRule, $"\"{match.Phrase}\" in: {turn.Contact.Text}", contactEventId);

        return
        [
            new EscalationRequested(
                state.Id,
                Guid.CreateVersion7(now),
                type,
                [trigger],
                priority,
                state.CurrentTier,
                toTier,
                RequiredCapability: state.Category,
                Handoff(state, reason),
                rules.Version,
                now),
        ];
    }

    /// <summary>The handoff packet: everything known, so nobody asks the customer again.</summary>
    public static HandoffPacket Handoff(TriageCase state, string reason)
    {
        var contacts = state.Turns.Select(t => t.Contact).ToList();
        var customerTurns = contacts.Where(c => c.Author == AuthorKind.Customer).ToList();
        var trajectory = customerTurns.Where(c => c.Sentiment is not null).Select(c => c.Sentiment!.Score).ToList();
        var entities = contacts.Select(c => c.Entities).Aggregate(ContactEntities.None, (merged, next) => new ContactEntities(
            next.OrderId ?? merged.OrderId, next.Amount ?? merged.Amount, next.Product ?? merged.Product));

        return new HandoffPacket(
            Summary: $"{state.Reference} [{state.Category}] {state.Subject} — {customerTurns.Count} customer turn(s) on {state.Channel}; {reason}",
            Intents: contacts.Where(c => c.Intent is not null).Select(c => c.Intent!.Matched ? c.Intent.Name : $"{c.Intent.Name} (not matched)").Distinct().ToList(),
            Entities: entities,
            SentimentAssessment: trajectory.Count == 0 ? "unknown" : Assess(trajectory[^1]),
            SentimentTrajectory: trajectory,
            AttemptedSolutions: state.Attempts,
            TriggerReason: reason,
            Transcript: contacts.Select(c => $"{c.Author}: {c.Text}").ToList());
    }

    private static string Assess(double score) => score switch
    {
        <= -0.5 => $"very negative ({score:0.##})",
        < -0.1 => $"negative ({score:0.##})",
        <= 0.1 => $"neutral ({score:0.##})",
        _ => $"positive ({score:0.##})",
    };

    private static Tier Next(Tier tier) => tier == Tier.L3 ? Tier.L3 : tier + 1;

    private static Tier Max(Tier a, Tier b) => a > b ? a : b;
}
