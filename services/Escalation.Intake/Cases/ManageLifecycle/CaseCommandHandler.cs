using Escalation.ServiceDefaults;
using Marten;

namespace Escalation.Intake.Cases.ManageLifecycle;

public enum CommandResult { Accepted, Duplicate, NotFound, Conflict }

public sealed record CommandOutcome(CommandResult Result, string? Reason = null);

/// <summary>A lifecycle command, processed once per command id (enforced by a unique document in the same transaction).</summary>
public sealed record ProcessedCommand(string Id, Guid CaseId);

/// <summary>Applies a lifecycle command to a case under the stream lock, exactly once per command key.</summary>
public sealed class CaseCommandHandler(IDocumentStore store, TimeProvider time)
{
    public async Task<CommandOutcome> HandleAsync(Guid caseId, string commandKey, string causationId,
        Func<IntakeCase, DateTimeOffset, LifecycleDecision> decide, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryHandleAsync(caseId, commandKey, causationId, decide, cancellationToken);
            }
            catch (Exception exception) when (attempt < 5 && WriteConflicts.IsWriteConflict(exception))
            {
                // The same command raced itself on a brand-new record; the next attempt finds it processed.
            }
        }
    }

    private async Task<CommandOutcome> TryHandleAsync(Guid caseId, string commandKey, string causationId,
        Func<IntakeCase, DateTimeOffset, LifecycleDecision> decide, CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        if (await ProcessedAsync(session, caseId, commandKey, cancellationToken) is { } before)
        {
            return before;
        }

        var stream = await session.Events.FetchForExclusiveWriting<IntakeCase>(caseId, cancellationToken);

        // The same command may have been applied while this one waited for the lock: answer as a duplicate, with
        // no failed append (and so no sequence gap).
        if (await ProcessedAsync(session, caseId, commandKey, cancellationToken) is { } meanwhile)
        {
            return meanwhile;
        }
        if (stream.Aggregate is not { } state)
        {
            return new CommandOutcome(CommandResult.NotFound, $"Case {caseId} does not exist.");
        }

        var decision = decide(state, time.GetUtcNow());
        if (decision.Conflict is not null)
        {
            return new CommandOutcome(CommandResult.Conflict, decision.Conflict);
        }

        stream.AppendMany(decision.Events.Cast<object>().ToArray());
        session.Insert(new ProcessedCommand(commandKey, caseId));
        session.StampCaseMetadata(caseId, causationId, IntakeSetup.Actor);
        await session.SaveChangesAsync(cancellationToken);
        return new CommandOutcome(CommandResult.Accepted);
    }

    private static async Task<CommandOutcome?> ProcessedAsync(IDocumentSession session, Guid caseId, string commandKey, CancellationToken cancellationToken) =>
        await session.LoadAsync<ProcessedCommand>(commandKey, cancellationToken) is not { } processed
            ? null
            : processed.CaseId == caseId
                ? new CommandOutcome(CommandResult.Duplicate)
                : new CommandOutcome(CommandResult.Conflict, $"Command id '{commandKey}' was already used for another case.");
}
