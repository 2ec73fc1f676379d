using Escalation.Contracts;

namespace Escalation.Triage.Engine.Triggers;

public enum TargetKind { Stay, Next, AtLeast }

/// <summary>Where a finding wants the case; never below L1, since only people act on an escalation.</summary>
public readonly record struct Target(TargetKind Kind, Tier Tier = Tier.L1)
{
    public static Target Stay => new(TargetKind.Stay);
    public static Target Next => new(TargetKind.Next);
    public static Target AtLeast(Tier tier) => new(TargetKind.AtLeast, tier);

    public Tier From(Tier current) => Kind switch
    {
        TargetKind.Next => Max(current == Tier.L3 ? Tier.L3 : current + 1, Tier.L1),
        TargetKind.AtLeast => Max(Max(current, Tier), Tier.L1),
        _ => Max(current, Tier.L1),
    };

    private static Tier Max(Tier a, Tier b) => a > b ? a : b;
}

/// <summary>
/// A rule that fired on a case, with its evidence and what it calls for. An amplifier (VIP customer, public channel)
/// never escalates on its own: it rides along with other findings and raises their priority.
/// </summary>
public sealed record Finding(
    string Rule,
    string Key,
    string Evidence,
    string Reason,
    Guid SourceEventId,
    EscalationType Type,
    Level Urgency,
    Level Impact,
    Target Target,
    string? Capability = null,
    bool Amplifier = false,
    IReadOnlyDictionary<string, double>? Measures = null);
