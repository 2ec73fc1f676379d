using System.Globalization;
using Escalation.Contracts;
using Escalation.Triage.Engine.Sentiment;
using Escalation.Triage.Engine.Text;

namespace Escalation.Triage.Engine.Triggers;

/// <summary>The trigger rules of the seeds, each a pure function from the case (as of the stimulus) to findings.</summary>
public static class TriggerRules
{
    public const string ExplicitHumanRequest = "explicit-human-request";
    public const string ExplicitSuperiorRequest = "explicit-superior-request";
    public const string NegativeSentiment = "negative-sentiment";
    public const string WorseningSentiment = "worsening-sentiment";
    public const string LowBotConfidence = "low-bot-confidence";
    public const string IntentFailureLoop = "intent-failure-loop";
    public const string KeywordPrefix = "keyword-";
    public const string VipCustomer = "vip-customer";
    public const string PublicChannel = "public-channel";
    public const string RepeatedFailedAttempts = "repeated-failed-attempts";
    public const string CaseReopened = "case-reopened";
    public const string AuthorityLimit = "authority-limit";
    public const string CapabilityGap = "capability-gap";
    public const string SlaBreachImminent = "sla-breach-imminent";
    public const string WideImpact = "wide-impact";

    /// <summary>Every rule's findings for <paramref name="stimulus"/>, the last signal of <paramref name="upTo"/>.</summary>
    public static IEnumerable<Finding> Evaluate(TriageCase state, IReadOnlyList<CaseSignal> upTo, TriageRules rules)
    {
        var stimulus = upTo[^1];
        var findings = stimulus switch
        {
            TurnSignal { Contact.Author: AuthorKind.Customer } turn => CustomerTurn(state, upTo, turn, rules)
                .Concat(AnyTurn(state, turn, rules)),
            TurnSignal { Contact.Author: AuthorKind.Bot } turn => IntentFailure(state, upTo, turn, rules).Concat(AnyTurn(state, turn, rules)),
            TurnSignal turn => AnyTurn(state, turn, rules),
            AttemptSignal attempt => FailedAttempts(state, upTo, attempt, rules),
            ReopenSignal reopen => [Reopened(upTo, reopen, rules)],
            SlaWarningSignal warning => SlaWarning(warning, rules),
            IncidentSignal incident => [Incident(incident, rules)],
            _ => [],
        };
        return findings.Concat(Amplifiers(state, stimulus, rules));
    }

    /// <summary>The customer's sentiment on a turn: the channel's score when it sent one, else the lexicon's.</summary>
    public static SentimentScore SentimentOf(TurnSignal turn) => turn.Contact.Sentiment ?? LexiconSentiment.Score(turn.Contact.Text);

    private static IEnumerable<Finding> CustomerTurn(TriageCase state, IReadOnlyList<CaseSignal> upTo, TurnSignal turn, TriageRules rules)
    {
        var text = TextMatching.Normalize(turn.Contact.Text);
        var quote = TextMatching.Excerpt(turn.Contact.Text);

        if (TextMatching.FindFirst(text, rules.ExplicitRequest.SuperiorPhrases, rules.ExplicitRequest.Except) is { } superior)
        {
            yield return new Finding(ExplicitSuperiorRequest, "explicit:superior", $"\"{superior.Phrase}\" in: {quote}",
                $"Customer asked for a superior (\"{superior.Phrase}\").", turn.EventId, EscalationType.Hierarchical, Level.Medium, Level.Low,
                state.CurrentTier < Tier.L2 ? Target.AtLeast(Tier.L2) : Target.Next);
        }
        else if (state.CurrentTier == Tier.L0 && TextMatching.FindFirst(text, rules.ExplicitRequest.HumanPhrases, rules.ExplicitRequest.Except) is { } human)
        {
            // Only while a bot answers: to a person, "担当者" is the salutation of every business e-mail.
            yield return new Finding(ExplicitHumanRequest, "explicit:human", $"\"{human.Phrase}\" in: {quote}",
                $"Customer asked for a human (\"{human.Phrase}\").", turn.EventId, EscalationType.Functional, Level.Low, Level.Low, Target.Next);
        }

        var sentiment = SentimentOf(turn);
        if (sentiment.Score <= rules.Sentiment.NegativeAtOrBelow)
        {
            yield return new Finding(NegativeSentiment, NegativeSentiment,
                $"sentiment {sentiment.Score:0.###} ({sentiment.Source}) ≤ {rules.Sentiment.NegativeAtOrBelow:0.###} in: {quote}",
                $"Customer is very unhappy (sentiment {sentiment.Score:0.##}).", turn.EventId, EscalationType.Automatic, Level.Medium, Level.Low,
                Target.Next, Measures: new Dictionary<string, double> { ["score"] = sentiment.Score, ["threshold"] = rules.Sentiment.NegativeAtOrBelow });
        }

        if (Worsening(upTo, rules.Sentiment) is { } trajectory)
        {
            var scores = string.Join(" → ", trajectory.Select(s => s.ToString("0.##", CultureInfo.InvariantCulture)));
            yield return new Finding(WorseningSentiment, WorseningSentiment,
                $"sentiment over the last {trajectory.Count} customer turns, each answered: {scores}",
                $"Customer is getting more upset despite the replies ({scores}).", turn.EventId, EscalationType.Automatic, Level.Medium, Level.Low,
                Target.Next, Measures: new Dictionary<string, double> { ["first"] = trajectory[0], ["last"] = trajectory[^1], ["turns"] = trajectory.Count });
        }

        if (state.CurrentTier == Tier.L0 && turn.Contact.BotConfidence is { } confidence && confidence < rules.BotConfidence.Below)
        {
            yield return new Finding(LowBotConfidence, LowBotConfidence,
                $"bot confidence {confidence:0.###} < {rules.BotConfidence.Below:0.###} on: {quote}",
                $"The bot is unsure it understood (confidence {confidence:0.##}).", turn.EventId, EscalationType.Functional, Level.Low, Level.Low,
                Target.Next, Measures: new Dictionary<string, double> { ["confidence"] = confidence, ["threshold"] = rules.BotConfidence.Below });
        }

        foreach (var finding in IntentFailure(state, upTo, turn, rules))
        {
            yield return finding;
        }

        foreach (var category in rules.Keywords)
        {
            if (TextMatching.FindFirst(text, category.Phrases, category.Except) is { } hit)
            {
                yield return new Finding(KeywordPrefix + category.Category, KeywordPrefix + category.Category,
                    $"{category.Category} keyword \"{hit.Phrase}\" in: {quote}",
                    $"The customer mentions {category.Category} (\"{hit.Phrase}\").", turn.EventId, category.Type, category.Urgency, category.Impact,
                    category.MinTier is { } minTier ? Target.AtLeast(minTier) : Target.Stay, category.Capability);
            }
        }

        var firstCustomerTurn = upTo.OfType<TurnSignal>().First(t => t.Contact.Author == AuthorKind.Customer).EventId == turn.EventId;
        if (firstCustomerTurn && state.CurrentTier == Tier.L0 && rules.CustomerValue.EscalateOnFirstContact.Contains(state.Customer.Tier))
        {
            yield return new Finding(VipCustomer, VipCustomer, $"{state.Customer.Tier} customer {state.Customer.Id} on first contact",
                $"{state.Customer.Tier} customer: served by a person from the first contact.", turn.EventId, EscalationType.Priority, Level.Low,
                rules.ImpactOf(state.Customer.Tier), Target.Stay);
        }

        if (rules.PublicChannel.Channels.Contains(state.Channel) && sentiment.Score <= rules.PublicChannel.NegativeAtOrBelow)
        {
            yield return new Finding(PublicChannel, PublicChannel,
                $"negative turn ({sentiment.Score:0.###} ≤ {rules.PublicChannel.NegativeAtOrBelow:0.###}) on public channel {state.Channel}: {quote}",
                $"An unhappy customer in public on {state.Channel}.", turn.EventId, EscalationType.Priority, Level.Medium, rules.PublicChannel.Impact,
                Target.Stay, Measures: new Dictionary<string, double> { ["score"] = sentiment.Score, ["threshold"] = rules.PublicChannel.NegativeAtOrBelow });
        }
    }

    /// <summary>Rules that weigh every turn, whoever wrote it: amounts against authority, intents against capability.</summary>
    private static IEnumerable<Finding> AnyTurn(TriageCase state, TurnSignal turn, TriageRules rules)
    {
        if (turn.Contact.Entities.Amount is { } amount && Authority(state, turn, amount, rules) is { } authority)
        {
            yield return authority;
        }

        var intent = turn.Contact.Intent is { Matched: true } matched ? matched.Name : null;
        foreach (var rule in rules.Capabilities)
        {
            var byCategory = rule.Category is not null && string.Equals(rule.Category, state.Category, StringComparison.OrdinalIgnoreCase);
            var byIntent = rule.Intent is not null && string.Equals(rule.Intent, intent, StringComparison.OrdinalIgnoreCase);
            var lacking = !string.Equals(rule.Capability, state.CurrentCapability, StringComparison.OrdinalIgnoreCase) || state.CurrentTier < rule.MinTier;
            if ((byCategory || byIntent) && lacking)
            {
                var why = byIntent ? $"intent \"{intent}\" ({turn.Contact.Author})" : $"category \"{state.Category}\"";
                yield return new Finding(CapabilityGap, $"capability:{rule.Capability}",
                    $"{why} needs {rule.Capability} at {rule.MinTier}+; current owner: {state.CurrentCapability} at {state.CurrentTier}",
                    $"Needs {rule.Capability} ({why}).", turn.EventId, rule.Type, rule.Urgency, Level.Low, Target.AtLeast(rule.MinTier), rule.Capability);
            }
        }
    }

    private static Finding? Authority(TriageCase state, TurnSignal turn, MoneyAmount amount, TriageRules rules)
    {
        decimal? LimitAt(Tier tier) => rules.Authority.LimitAt(tier, amount.Currency);

        var required = new[] { Tier.L1, Tier.L2, Tier.L3 }.FirstOrDefault(t => LimitAt(t) >= amount.Amount, Tier.L3);
        var current = state.CurrentTier < Tier.L1 ? Tier.L1 : state.CurrentTier;
        if (required <= current)
        {
            return null;
        }

        var currentLimit = LimitAt(current);
        var limitText = currentLimit is { } l ? $"{l.ToString("N0", CultureInfo.InvariantCulture)} {amount.Currency}" : $"none in {amount.Currency}";
        return new Finding(AuthorityLimit, $"authority-limit:{required}",
            $"{amount.Amount.ToString("N0", CultureInfo.InvariantCulture)} {amount.Currency} requested; {current} may approve up to {limitText}; {required} may approve it",
            $"The amount ({amount.Amount.ToString("N0", CultureInfo.InvariantCulture)} {amount.Currency}) is above {current}'s approval limit.",
            turn.EventId, EscalationType.Hierarchical, Level.Medium, Level.Low, Target.AtLeast(required),
            Measures: new Dictionary<string, double> { ["amount"] = (double)amount.Amount, ["limit"] = (double)(currentLimit ?? 0) });
    }

    private static IEnumerable<Finding> IntentFailure(TriageCase state, IReadOnlyList<CaseSignal> upTo, TurnSignal turn, TriageRules rules)
    {
        if (state.CurrentTier != Tier.L0)
        {
            yield break;
        }

        var rule = rules.IntentFailure;
        var turns = upTo.OfType<TurnSignal>().ToList();
        var unmatched = turns.Where(t => t.Contact is { Author: AuthorKind.Customer, Intent: not null })
            .Reverse().TakeWhile(t => !t.Contact.Intent!.Matched).Count();
        var clarifications = turns.Where(t => t.Contact.Author == AuthorKind.Bot).Reverse()
            .TakeWhile(t => TextMatching.FindFirst(TextMatching.Normalize(t.Contact.Text), rule.ClarificationPhrases) is not null).Count();
        var streak = Math.Max(unmatched, clarifications);
        if (streak >= rule.Consecutive)
        {
            var what = unmatched >= clarifications ? "customer turns without a matched intent" : "bot replies asking to rephrase";
            yield return new Finding(IntentFailureLoop, IntentFailureLoop, $"{streak} {what} in a row (threshold {rule.Consecutive})",
                $"The bot has not understood the customer {streak} times in a row.", turn.EventId, EscalationType.Functional, Level.Low, Level.Low,
                Target.Next, Measures: new Dictionary<string, double> { ["streak"] = streak, ["threshold"] = rule.Consecutive });
        }
    }

    private static IReadOnlyList<double>? Worsening(IReadOnlyList<CaseSignal> upTo, SentimentRule rule)
    {
        var turns = upTo.OfType<TurnSignal>().ToList();
        var customerIndexes = turns.Select((t, i) => (t, i)).Where(x => x.t.Contact.Author == AuthorKind.Customer).Select(x => x.i).ToList();
        if (customerIndexes.Count < rule.TrajectoryTurns)
        {
            return null;
        }

        var window = customerIndexes.TakeLast(rule.TrajectoryTurns).ToList();
        var answered = window.Zip(window.Skip(1)).All(pair =>
            turns.Skip(pair.First + 1).Take(pair.Second - pair.First - 1).Any(t => t.Contact.Author is AuthorKind.Bot or AuthorKind.Agent));
        var scores = window.Select(i => SentimentOf(turns[i]).Score).ToList();
        var neverRose = scores.Zip(scores.Skip(1)).All(pair => pair.Second <= pair.First);
        return answered && neverRose && scores[0] - scores[^1] >= rule.TrajectoryMinDrop && scores[^1] <= rule.TrajectoryEndAtOrBelow
            ? scores
            : null;
    }

    private static IEnumerable<Finding> FailedAttempts(TriageCase state, IReadOnlyList<CaseSignal> upTo, AttemptSignal attempt, TriageRules rules)
    {
        if (attempt.Attempt.Outcome != AttemptOutcome.Failed)
        {
            yield break;
        }

        var sinceOwner = upTo.Skip(upTo.ToList().FindLastIndex(s => s is EscalatedSignal) + 1).OfType<AttemptSignal>()
            .Where(a => a.Attempt.Outcome == AttemptOutcome.Failed).ToList();
        if (sinceOwner.Count >= rules.FailedAttempts.AtLeast)
        {
            var steps = string.Join("; ", sinceOwner.Select(a => a.Attempt.Step));
            yield return new Finding(RepeatedFailedAttempts, $"failed-attempts:{state.CurrentTier}/{state.CurrentCapability}",
                $"{sinceOwner.Count} failed attempts at {state.CurrentTier} ({state.CurrentCapability}): {steps}",
                $"{sinceOwner.Count} troubleshooting steps failed at {state.CurrentTier}.", attempt.EventId, EscalationType.Functional, Level.Medium,
                Level.Low, Target.Next, Measures: new Dictionary<string, double> { ["failed"] = sinceOwner.Count, ["threshold"] = rules.FailedAttempts.AtLeast });
        }
    }

    private static Finding Reopened(IReadOnlyList<CaseSignal> upTo, ReopenSignal reopen, TriageRules rules)
    {
        var times = upTo.OfType<ReopenSignal>().Count();
        return new Finding(CaseReopened, $"case-reopened:{times}", $"reopened ({times}x) by contact {reopen.Reopened.ContactId}: {reopen.Reopened.Reason}",
            "The case was reopened after it was closed.", reopen.EventId, EscalationType.Automatic, rules.ReopenedUrgency, Level.Low, Target.Next,
            Measures: new Dictionary<string, double> { ["reopened"] = times });
    }

    private static IEnumerable<Finding> SlaWarning(SlaWarningSignal signal, TriageRules rules)
    {
        var warning = signal.Warning;
        if (warning.ThresholdPercent >= rules.SlaBreachImminent.AtOrAbovePercent)
        {
            yield return new Finding(SlaBreachImminent, $"sla:{warning.Metric}:{warning.ClockId}",
                $"{warning.Metric} at {warning.ThresholdPercent}% of target, {warning.Remaining:hh\\:mm\\:ss} left (due {warning.DueAt:O})",
                $"The {warning.Metric} SLA is about to be breached.", signal.EventId, EscalationType.Automatic, rules.SlaBreachImminent.Urgency,
                Level.Low, Target.Stay,
                Measures: new Dictionary<string, double> { ["percent"] = warning.ThresholdPercent, ["remainingSeconds"] = warning.Remaining.TotalSeconds });
        }
    }

    private static Finding Incident(IncidentSignal signal, TriageRules rules)
    {
        var link = signal.Link;
        var scope = link.Product is null ? link.Category : $"{link.Category}/{link.Product}";
        return new Finding(WideImpact, $"wide-impact:{link.IncidentKey}",
            $"{link.OpenCases} open cases of {scope} within {link.Window}: incident {link.IncidentKey}",
            $"Part of incident {link.IncidentKey} ({link.OpenCases} customers affected).", signal.EventId, EscalationType.Priority, Level.High,
            Level.High, Target.AtLeast(rules.WideImpact.MinTier),
            Measures: new Dictionary<string, double> { ["openCases"] = link.OpenCases, ["threshold"] = rules.WideImpact.OpenCases });
    }

    private static IEnumerable<Finding> Amplifiers(TriageCase state, CaseSignal stimulus, TriageRules rules)
    {
        var impact = rules.ImpactOf(state.Customer.Tier);
        if (impact > Level.Low)
        {
            yield return new Finding(VipCustomer, VipCustomer, $"{state.Customer.Tier} customer {state.Customer.Id}",
                $"{state.Customer.Tier} customer.", stimulus.EventId, EscalationType.Priority, Level.Low, impact, Target.Stay, Amplifier: true);
        }

        if (rules.PublicChannel.Channels.Contains(state.Channel))
        {
            yield return new Finding(PublicChannel, PublicChannel, $"case on public channel {state.Channel}",
                $"Visible in public ({state.Channel}).", stimulus.EventId, EscalationType.Priority, Level.Low, rules.PublicChannel.Impact,
                Target.Stay, Amplifier: true);
        }
    }
}
