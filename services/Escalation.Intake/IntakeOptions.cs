namespace Escalation.Intake;

/// <summary>Intake settings (section <c>Intake</c>).</summary>
public sealed record IntakeOptions
{
    /// <summary>A customer contact this soon after a case was resolved or closed reopens it; later ones open a new case.</summary>
    public TimeSpan ReopenWindow { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Most contacts recorded in one transaction. Contacts that arrive while a commit is under way share the next one
    /// (group commit); 1 records every contact in a transaction of its own.
    /// </summary>
    public int MaxContactsPerCommit { get; init; } = 100;

    /// <summary>Group commits under way at once.</summary>
    public int ConcurrentCommits { get; init; } = 4;

    /// <summary>
    /// Contacts each AMQP inbound endpoint works on at once (and its prefetch): what a group commit can gather from the
    /// broker. Each holds its message body, up to 256 KiB.
    /// </summary>
    public int InboundConcurrency { get; init; } = 128;

    /// <summary>
    /// How long a group commit waits for a case another transaction holds (an erasure, another instance) before it
    /// gives up and each of its contacts is recorded alone, so that one held case cannot stall the contacts of others.
    /// </summary>
    public int GroupLockWaitMilliseconds { get; init; } = 1000;

    public TimeSpan GroupLockWait => TimeSpan.FromMilliseconds(GroupLockWaitMilliseconds);

    public IntakeOptions Validated() =>
        MaxContactsPerCommit < 1 || ConcurrentCommits < 1 || InboundConcurrency < 1 || GroupLockWaitMilliseconds < 1
            ? throw new InvalidOperationException(
                "Intake:MaxContactsPerCommit, Intake:ConcurrentCommits, Intake:InboundConcurrency and Intake:GroupLockWaitMilliseconds must each be at least 1.")
            : this;
}
