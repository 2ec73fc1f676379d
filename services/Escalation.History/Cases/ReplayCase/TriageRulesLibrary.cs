using Escalation.Triage.Engine;

namespace Escalation.History.Cases.ReplayCase;

/// <summary>
/// The triage rules versions History can replay: every <c>*.json</c> in <c>History:TriageRulesDirectory</c> (by
/// default the shipped rules, copied from the triage service at build time), keyed by the version inside the file.
/// </summary>
public sealed class TriageRulesLibrary
{
    private readonly IReadOnlyDictionary<string, TriageRules> _byVersion;

    public TriageRulesLibrary(IEnumerable<TriageRules> versions)
    {
        var byVersion = new Dictionary<string, TriageRules>(StringComparer.Ordinal);
        foreach (var rules in versions)
        {
            if (!byVersion.TryAdd(rules.Version, rules))
            {
                throw new InvalidOperationException($"Two triage rules files claim version {rules.Version}.");
            }
        }

        _byVersion = byVersion;
    }

    public static TriageRulesLibrary Load(string directory) =>
        new(Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal).Select(TriageRules.Load));

    public IEnumerable<string> Versions => _byVersion.Keys.Order(StringComparer.Ordinal);

    public TriageRules? Find(string version) => _byVersion.GetValueOrDefault(version);
}
