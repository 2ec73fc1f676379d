using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Escalation.Contracts;
using Escalation.Triage.Engine.Text;

namespace Escalation.Triage.Engine.Sentiment;

/// <summary>
/// Sentiment for customer turns whose channel sent none: a Japanese + English lexicon scorer in the manner of VADER.
/// Each lexicon word adds its weight; a negation (see <see cref="TextMatching"/>) flips and damps it (×−0.74); an
/// intensifier right before it multiplies it by 1.3; exclamation marks add up to 24 %. The sum s is squashed to
/// s / √(s² + 15), in (−1, 1).
/// </summary>
/// <remarks>
/// Limits, measured on the scenario set and stated in the issue note: no irony or sarcasm ("great, broken again"
/// scores mildly positive), no context beyond the turn, Japanese by substring without morphological analysis (so 怒
/// also matches in 怒涛), a small vocabulary (≈ 150 entries) and no domain weighting. It is a fallback: a channel that
/// sends a score from a real model wins.
/// </remarks>
public static class LexiconSentiment
{
    private static readonly Lexicon Words = Lexicon.Load();
    private static readonly Regex EnglishWords = new(@"[a-z']+", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public static string Version => Words.Version;

    public static SentimentScore Score(string text)
    {
        var normalized = TextMatching.Normalize(text);
        var sum = English(normalized) + Japanese(normalized);
        if (sum != 0)
        {
            sum *= 1 + (0.08 * Math.Min(3, normalized.Count(c => c == '!')));
        }

        return new SentimentScore(Math.Round(sum / Math.Sqrt((sum * sum) + 15), 3), Words.Version);
    }

    private static double English(string text)
    {
        var sum = 0.0;
        var tokens = EnglishWords.Matches(text);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (!Words.En.TryGetValue(tokens[i].Value, out var weight))
            {
                continue;
            }

            var hit = new PhraseHit(tokens[i].Value, tokens[i].Index, tokens[i].Length);
            if (i > 0 && Words.Intensifiers.En.Contains(tokens[i - 1].Value))
            {
                weight *= 1.3;
            }

            sum += TextMatching.IsNegated(text, hit) ? weight * -0.74 : weight;
        }

        return sum;
    }

    private static double Japanese(string text)
    {
        var sum = 0.0;
        var taken = new bool[text.Length];
        foreach (var (word, baseWeight) in Words.JaLongestFirst)
        {
            foreach (var hit in TextMatching.FindAll(text, word))
            {
                if (taken.AsSpan(hit.Index, hit.Length).Contains(true))
                {
                    continue;
                }

                taken.AsSpan(hit.Index, hit.Length).Fill(true);
                var weight = baseWeight;
                var before = text[Math.Max(0, hit.Index - 4)..hit.Index];
                if (Words.Intensifiers.Ja.Any(i => before.Contains(i, StringComparison.Ordinal)))
                {
                    weight *= 1.3;
                }

                sum += TextMatching.IsNegated(text, hit) ? weight * -0.74 : weight;
            }
        }

        return sum;
    }

    private sealed record Intensifiers(HashSet<string> En, IReadOnlyList<string> Ja);

    private sealed record Lexicon(string Version, Dictionary<string, double> En, Dictionary<string, double> Ja, Intensifiers Intensifiers)
    {
        public IReadOnlyList<(string Word, double Weight)> JaLongestFirst { get; } =
            Ja.OrderByDescending(p => p.Key.Length).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)).ToList();

        public static Lexicon Load()
        {
            using var stream = typeof(Lexicon).Assembly.GetManifestResourceStream("sentiment-lexicon.json")
                ?? throw new InvalidOperationException("The sentiment lexicon is not embedded.");
            return JsonSerializer.Deserialize<Lexicon>(stream, RulesJson.Options)
                ?? throw new InvalidOperationException("The sentiment lexicon is empty.");
        }
    }
}
