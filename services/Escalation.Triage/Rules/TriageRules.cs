using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Escalation.Contracts;
using Escalation.ServiceDefaults;

namespace Escalation.Triage.Rules;

public enum Level { Low, Medium, High }

/// <summary>An explicit request for a person, and whether the customer asked for a superior.</summary>
public sealed record HumanRequestMatch(string Phrase, bool Superior);

public sealed record ExplicitHumanRequestRule(IReadOnlyList<string> HumanPhrases, IReadOnlyList<string> SuperiorPhrases);

/// <summary>Triage rules as data (Rules/triage-rules.json); every decision records <see cref="Version"/>.</summary>
public sealed record TriageRules(string Version, ExplicitHumanRequestRule ExplicitHumanRequest, IReadOnlyDictionary<CustomerTier, Level> ImpactByCustomerTier)
{
    public static TriageRules Load(string path) =>
        JsonSerializer.Deserialize<TriageRules>(File.ReadAllText(path), ContractJson.Options)
        ?? throw new InvalidOperationException($"Triage rules file {path} is empty.");

    /// <summary>
    /// Finds an explicit request for a person. Japanese phrases match as substrings; Latin ones on word boundaries,
    /// so "agent" matches "an agent please" but not "agentic". Text is NFKC-normalised (full-width letters fold).
    /// </summary>
    public HumanRequestMatch? MatchHumanRequest(string text)
    {
        var normalized = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var superior = ExplicitHumanRequest.SuperiorPhrases.FirstOrDefault(phrase => Contains(normalized, phrase));
        if (superior is not null)
        {
            return new HumanRequestMatch(superior, Superior: true);
        }

        var human = ExplicitHumanRequest.HumanPhrases.FirstOrDefault(phrase => Contains(normalized, phrase));
        return human is null ? null : new HumanRequestMatch(human, Superior: false);
    }

    public Level ImpactOf(CustomerTier tier) => ImpactByCustomerTier.TryGetValue(tier, out var impact) ? impact : Level.Low;

    private static bool Contains(string normalizedText, string phrase)
    {
        var needle = phrase.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        return needle.All(char.IsAscii)
            ? Regex.IsMatch(normalizedText, $@"\b{Regex.Escape(needle)}\b", RegexOptions.CultureInvariant)
            : normalizedText.Contains(needle, StringComparison.Ordinal);
    }
}

/// <summary>Priority from urgency × impact (ITIL-style matrix).</summary>
public static class PriorityMatrix
{
    public static Priority For(Level urgency, Level impact) => (urgency, impact) switch
    {
        (Level.High, Level.High) => Priority.P1,
        (Level.High, _) or (_, Level.High) => Priority.P2,
        (Level.Medium, Level.Medium) => Priority.P2,
        (Level.Low, Level.Low) => Priority.P4,
        _ => Priority.P3,
    };
}
