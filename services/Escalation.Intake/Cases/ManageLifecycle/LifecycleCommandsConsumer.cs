using Escalation.Contracts.Intake;
using Escalation.ServiceDefaults;
using MassTransit;

namespace Escalation.Intake.Cases.ManageLifecycle;

/// <summary>Lifecycle commands over AMQP (MassTransit envelope); refusals are dead-lettered with the reason.</summary>
public sealed class LifecycleCommandsConsumer(CaseCommandHandler handler, TimeProvider time)
    : IConsumer<RecordResolutionAttempt>, IConsumer<ResolveCase>, IConsumer<CloseCase>
{
    public Task Consume(ConsumeContext<RecordResolutionAttempt> context) =>
        HandleAsync(context, context.Message.CaseId, CaseLifecycle.Validate(context.Message, time.GetUtcNow()), $"attempt:{context.Message.AttemptId}",
            (state, now) => CaseLifecycle.Decide(state, context.Message, now));

    public Task Consume(ConsumeContext<ResolveCase> context) =>
        HandleAsync(context, context.Message.CaseId, CaseLifecycle.Validate(context.Message), $"resolve:{context.Message.CommandId}",
            (state, now) => CaseLifecycle.Decide(state, context.Message, now));

    public Task Consume(ConsumeContext<CloseCase> context) =>
        HandleAsync(context, context.Message.CaseId, CaseLifecycle.Validate(context.Message), $"close:{context.Message.CommandId}",
            (state, now) => CaseLifecycle.Decide(state, context.Message, now));

    private async Task HandleAsync<T>(ConsumeContext<T> context, Guid caseId, IReadOnlyDictionary<string, string[]> errors, string commandKey,
        Func<IntakeCase, DateTimeOffset, LifecycleDecision> decide) where T : class
    {
        if (errors.Count > 0)
        {
            throw InvalidMessageException.For(typeof(T).Name, errors);
        }

        var outcome = await handler.HandleAsync(caseId, commandKey, context.MessageId?.ToString() ?? commandKey, decide, context.CancellationToken);
        if (outcome.Result is CommandResult.NotFound or CommandResult.Conflict)
        {
            throw new InvalidMessageException($"{typeof(T).Name} refused: {outcome.Reason}");
        }
    }
}
