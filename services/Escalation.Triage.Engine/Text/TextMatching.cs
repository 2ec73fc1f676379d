using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Escalation.Triage.Engine.Text;

/// <summary>Where a phrase was found in a text, and the phrase as written in the rules.</summary>
public sealed record PhraseHit(string Phrase, int Index, int Length);

/// <summary>
/// Phrase matching for Japanese and English without a tokenizer. Text is NFKC-normalised and lower-cased, so
/// full-width letters and half-width katakana fold. Latin phrases match on word boundaries ("agent" does not match
/// "agentic" or "reagent"); Japanese phrases match as substrings. A hit that is negated does not count.
/// </summary>
/// <remarks>
/// Negation is a heuristic: English — a negator (not, no, never, don't, without…) among the three words before the
/// phrase, within the same clause, or "no need" there; Japanese — a negative ending (ない, ません, なかった, 不要, いらない) right after
/// it, through at most a particle or auxiliary (ではない, はありません, していません), except questions and guesses
/// (ではないか, ませんか, ないでしょうか), which affirm.
/// It misses negation further away ("I can't believe this is fraud" reads as fraud, correctly; "I can't say it is
/// fraud" too, wrongly) and knows nothing of irony.
/// </remarks>
public static partial class TextMatching
{
    private static readonly ConcurrentDictionary<string, Regex> LatinPhrases = new();
    private static readonly ConcurrentDictionary<string, string> NormalizedPhrases = new();
    private static readonly Regex Words = new(@"[\p{L}\p{N}']+|[,.;:!?]", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private static readonly HashSet<string> EnglishNegators =
    [
        "no", "not", "never", "without", "nothing", "nobody", "none", "neither", "nor", "dont", "don't", "doesn't", "doesnt",
        "didn't", "didnt", "isn't", "isnt", "wasn't", "wasnt", "aren't", "arent", "won't", "wont", "cannot", "can't", "cant",
        "shouldn't", "wouldn't", "hardly",
    ];


    public static string Normalize(string text) => text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();

    /// <summary>The first phrase (in rule order) found un-negated in <paramref name="normalizedText"/>.</summary>
    public static PhraseHit? FindFirst(string normalizedText, IEnumerable<string> phrases, IReadOnlyCollection<string>? except = null)
    {
        var masked = except is { Count: > 0 } ? Mask(normalizedText, except) : normalizedText;
        foreach (var phrase in phrases)
        {
            foreach (var hit in FindAll(masked, phrase))
            {
                if (!IsNegated(masked, hit))
                {
                    return hit;
                }
            }
        }

        return null;
    }

    /// <summary>Every occurrence of <paramref name="phrase"/> (negated or not).</summary>
    public static IEnumerable<PhraseHit> FindAll(string normalizedText, string phrase)
    {
        var needle = NormalizedPhrases.GetOrAdd(phrase, Normalize);
        if (needle.Length == 0)
        {
            yield break;
        }

        if (IsLatin(needle))
        {
            var regex = LatinPhrases.GetOrAdd(needle, n => new Regex(
                $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(n)}(?![\p{{L}}\p{{N}}])", RegexOptions.CultureInvariant | RegexOptions.Compiled));
            foreach (Match match in regex.Matches(normalizedText))
            {
                yield return new PhraseHit(phrase, match.Index, match.Length);
            }

            yield break;
        }

        for (var at = normalizedText.IndexOf(needle, StringComparison.Ordinal); at >= 0;
             at = normalizedText.IndexOf(needle, at + needle.Length, StringComparison.Ordinal))
        {
            yield return new PhraseHit(phrase, at, needle.Length);
        }
    }

    public static bool IsNegated(string normalizedText, PhraseHit hit) =>
        NegatedBefore(normalizedText, hit.Index) || NegatedAfter(normalizedText, hit.Index + hit.Length);

    /// <summary>The sentence-ish window around a hit, for evidence.</summary>
    public static string Excerpt(string text, int maxLength = 160) =>
        text.Length <= maxLength ? text : string.Concat(text.AsSpan(0, maxLength - 1), "…");

    private static bool NegatedBefore(string text, int index)
    {
        var before = Words.Matches(text[..index]);
        for (int i = before.Count - 1, seen = 0; i >= 0 && seen < 3; i--, seen++)
        {
            var word = before[i].Value;
            if (word.Length == 1 && ",.;:!?".Contains(word[0]))
            {
                return false; // a new clause: negation does not reach across it
            }

            if (EnglishNegators.Contains(word.Replace('\u2019', '\''))
                || (word == "need" && i > 0 && before[i - 1].Value == "no")) // "no need for an agent"
            {
                return true;
            }
        }

        return false;
    }

    private static bool NegatedAfter(string text, int end)
    {
        var match = JapaneseNegation().Match(text, end);
        return match.Success && !match.Groups["question"].Success;
    }

    private static string Mask(string text, IEnumerable<string> except)
    {
        var chars = text.ToCharArray();
        foreach (var hit in except.SelectMany(phrase => FindAll(text, phrase)))
        {
            Array.Fill(chars, ' ', hit.Index, hit.Length);
        }

        return new string(chars);
    }

    // A negative ending right after the phrase, through at most a particle or an auxiliary: 急ぎ|ではない,
    // 不満|はありません, 満足|していません, 担当者|は不要, 良く|ない. "つないで" does not negate オペレーター|につないで.
    // Followed by か it is a question or a guess (詐欺ではないでしょうか), which affirms.
    [GeneratedRegex(@"\G\s*(?:では|じゃ|は|が|も|く|して|されて|でき)?い?(?:ない|なかっ|ありません|ません|不要|いらない|要らない|結構)(?<question>(?:の|ん)?(?:でしょう|です)?か)?")]
    private static partial Regex JapaneseNegation();

    private static bool IsLatin(string needle) => needle.All(c => c < 0x3000);
}
