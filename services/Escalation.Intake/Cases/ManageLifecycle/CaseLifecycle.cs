using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Intake;
using Escalation.Intake.Contacts.ReceiveContact;

namespace Escalation.Intake.Cases.ManageLifecycle;

/// <summary>What a lifecycle command does to a case: events to append, or why it cannot apply.</summary>
public sealed record LifecycleDecision(IReadOnlyList<ICaseEvent> Events, string? Conflict)
{
    public static LifecycleDecision Append(ICaseEvent @event) => new([@event], null);
    public static LifecycleDecision Refuse(string reason) => new([], reason);
}

/// <summary>Resolution attempts, resolve and close, decided on the case's lifecycle.</summary>
public static class CaseLifecycle
{
    public const int MaxStepLength = 500;
    public const int MaxResolutionLength = 2_000;

    public static LifecycleDecision Decide(IntakeCase state, RecordResolutionAttempt command, DateTimeOffset now) => state.Status switch
    {
        CaseStatus.Closed => LifecycleDecision.Refuse($"Case {state.Reference} is closed; a new contact reopens it first."),
        _ => LifecycleDecision.Append(new ResolutionAttempted(state.Id, command.Step.Trim(), command.Outcome, command.By, command.AttemptedAt)),
    };

    public static LifecycleDecision Decide(IntakeCase state, ResolveCase command, DateTimeOffset now) => state.Status switch
    {
        CaseStatus.Open => LifecycleDecision.Append(new CaseResolved(state.Id, command.Resolution.Trim(), command.ResolvedBy, now)),
        _ => LifecycleDecision.Refuse($"Case {state.Reference} is already {state.Status.ToString().ToLowerInvariant()}."),
    };

    public static LifecycleDecision Decide(IntakeCase state, CloseCase command, DateTimeOffset now) => state.Status switch
    {
        CaseStatus.Resolved => LifecycleDecision.Append(new CaseClosed(state.Id, now)),
        CaseStatus.Open => LifecycleDecision.Refuse($"Case {state.Reference} is not resolved; the customer can only confirm a resolution."),
        _ => LifecycleDecision.Refuse($"Case {state.Reference} is already closed."),
    };

    public static IReadOnlyDictionary<string, string[]> Validate(RecordResolutionAttempt command, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        CommandId(errors, "attemptId", command.AttemptId);
        Required(errors, "step", command.Step, MaxStepLength);
        if (!ContactValidation.Known(command.Outcome)) errors["outcome"] = [$"outcome is required: one of {ContactValidation.Names<AttemptOutcome>()}."];
        if (command.By is { Length: > ContactLimits.MaxNameLength }) errors["by"] = [$"by is longer than {ContactLimits.MaxNameLength} characters."];
        if (command.AttemptedAt == default) errors["attemptedAt"] = ["attemptedAt is required."];
        else if (command.AttemptedAt > now + ContactLimits.MaxClockSkew) errors["attemptedAt"] = ["attemptedAt is in the future."];
        return errors;
    }

    public static IReadOnlyDictionary<string, string[]> Validate(ResolveCase command)
    {
        var errors = new Dictionary<string, string[]>();
        CommandId(errors, "commandId", command.CommandId);
        Required(errors, "resolution", command.Resolution, MaxResolutionLength);
        if (command.ResolvedBy is { Length: > ContactLimits.MaxNameLength }) errors["resolvedBy"] = [$"resolvedBy is longer than {ContactLimits.MaxNameLength} characters."];
        return errors;
    }

    public static IReadOnlyDictionary<string, string[]> Validate(CloseCase command)
    {
        var errors = new Dictionary<string, string[]>();
        CommandId(errors, "commandId", command.CommandId);
        if (command.ConfirmedBy is { Length: > ContactLimits.MaxNameLength }) errors["confirmedBy"] = [$"confirmedBy is longer than {ContactLimits.MaxNameLength} characters."];
        return errors;
    }

    private static void CommandId(Dictionary<string, string[]> errors, string field, string? value) =>
        Required(errors, field, value, ContactLimits.MaxIdLength);

    private static void Required(Dictionary<string, string[]> errors, string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value)) errors[field] = [$"{field} is required."];
        else if (value.Length > maxLength) errors[field] = [$"{field} is longer than {maxLength} characters."];
    }
}
