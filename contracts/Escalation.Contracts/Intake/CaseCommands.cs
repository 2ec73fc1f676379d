namespace Escalation.Contracts.Intake;

/// <summary>A troubleshooting step was tried on a case (by a bot, an agent or the customer).</summary>
/// <param name="CaseId">The case.</param>
/// <param name="AttemptId">The sender's id of this attempt: the idempotency key.</param>
/// <param name="Step">What was tried, e.g. "Reset router".</param>
/// <param name="Outcome">How it went.</param>
/// <param name="By">Who tried it.</param>
/// <param name="AttemptedAt">When.</param>
public sealed record RecordResolutionAttempt(Guid CaseId, string AttemptId, string Step, AttemptOutcome Outcome, string? By, DateTimeOffset AttemptedAt);

/// <summary>The case is resolved on the support side; the customer may still confirm (close) or come back (reopen).</summary>
/// <param name="CommandId">The sender's id of this command: the idempotency key.</param>
public sealed record ResolveCase(Guid CaseId, string CommandId, string Resolution, string? ResolvedBy);

/// <summary>The customer confirmed the resolution; the case closes.</summary>
/// <param name="CommandId">The sender's id of this command: the idempotency key.</param>
public sealed record CloseCase(Guid CaseId, string CommandId, string? ConfirmedBy);
