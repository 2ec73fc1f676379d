namespace Escalation.Intake;

/// <summary>Intake settings (section <c>Intake</c>).</summary>
public sealed record IntakeOptions
{
    /// <summary>A customer contact this soon after a case was resolved or closed reopens it; later ones open a new case.</summary>
    public TimeSpan ReopenWindow { get; init; } = TimeSpan.FromDays(7);
}
