using System.Diagnostics;
using Escalation.Contracts;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Escalation.ServiceDefaults;

/// <summary>How many case decisions share one transaction (section <c>CaseDecisions</c>).</summary>
public sealed record CaseDecisionOptions
{
    /// <summary>At most this many cases in one transaction; 1 turns grouping off (every decision commits alone).</summary>
    public int MaxCasesPerCommit { get; init; } = 32;

    /// <summary>Group transactions under way at once.</summary>
    public int ConcurrentCommits { get; init; } = 2;

    /// <summary>
    /// How long a group waits for a case stream another transaction holds before it gives up and each of its cases is
    /// decided alone, so that one case held for long (an erasure, a stuck transaction) cannot stall every case that
    /// shares its group. Brief holds, such as another service deciding on the same event, are waited for.
    /// </summary>
    public int LockWaitMilliseconds { get; init; } = 1000;

    public TimeSpan LockWait => TimeSpan.FromMilliseconds(LockWaitMilliseconds);

    /// <summary>The <c>CaseDecisions</c> section, validated (defaults when it is absent).</summary>
    public static CaseDecisionOptions From(IConfiguration configuration) =>
        (configuration.GetSection("CaseDecisions").Get<CaseDecisionOptions>() ?? new CaseDecisionOptions()).Validated();

    public CaseDecisionOptions Validated() =>
        MaxCasesPerCommit < 1 ? throw new InvalidOperationException($"CaseDecisions:MaxCasesPerCommit must be 1 or more, not {MaxCasesPerCommit}.")
        : ConcurrentCommits < 1 ? throw new InvalidOperationException($"CaseDecisions:ConcurrentCommits must be 1 or more, not {ConcurrentCommits}.")
        : LockWaitMilliseconds < 1 ? throw new InvalidOperationException($"CaseDecisions:LockWaitMilliseconds must be 1 or more, not {LockWaitMilliseconds}.")
        : this;
}

/// <summary>
/// Group commit for decisions on case events: decisions that arrive while a commit is under way are made together in
/// the next one, on different cases, under the same row locks a lone decision takes. Under load one transaction (one
/// lock statement, one batched read, one write, one WAL flush) then carries many case events, while a lone decision on
/// an idle service still commits at once. A decision the group cannot make (a second one on the same case, or every
/// one of a group whose commit failed, or that waited longer than <see cref="CaseDecisionOptions.LockWait"/> for a case
/// locked elsewhere) is made alone on <see cref="CaseDecisions.DecideAsync{TView}"/> right after.
/// </summary>
public sealed class CaseDecisionGroups<TView> : IHostedService where TView : class
{
    private readonly IDocumentStore _store;
    private readonly CaseViews<TView> _views;
    private readonly ILogger<CaseDecisionGroups<TView>> _logger;
    private readonly GroupCommitQueue<Pending> _waiting;
    private readonly TimeSpan _lockWait;

    public CaseDecisionGroups(IDocumentStore store, CaseViews<TView> views, CaseDecisionOptions options, ILogger<CaseDecisionGroups<TView>> logger)
    {
        _store = store;
        _views = views;
        _logger = logger;
        _lockWait = options.LockWait;
        _waiting = new GroupCommitQueue<Pending>(options.MaxCasesPerCommit, options.ConcurrentCommits, CommitAsync);
    }

    /// <summary>Makes the decision, with others where it can; returns the events appended (none for a decision to do nothing).</summary>
    public async Task<IReadOnlyList<ICaseEvent>> DecideAsync(CaseDecision<TView> decision, CancellationToken cancellationToken)
    {
        var pending = new Pending(decision, Activity.Current);
        if (_waiting.TryEnqueue(pending) && await pending.Outcome.Task.WaitAsync(cancellationToken) is { } decided)
        {
            return decided;
        }

        return await _store.DecideAsync(_views, decision, cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _waiting.Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops taking decisions (callers then decide alone) and commits those already waiting. Registered after the bus,
    /// so it stops before the bus does.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => _waiting.StopAsync(cancellationToken);

    private async Task CommitAsync(List<Pending> group)
    {
        using var activity = Telemetry.StartGroupWork($"decide on cases ({typeof(TView).Name})", group.ConvertAll(pending => pending.Origin), GroupSizeTag);

        var together = group.DistinctBy(pending => pending.Decision.CaseId).ToList();
        try
        {
            await TryCommitAsync(together);
        }
        catch (Exception exception)
        {
            GroupCommitFallback.Log(_logger, exception, together.Count, "case decisions", _lockWait);
            foreach (var pending in together)
            {
                pending.Decided = null;
            }
        }

        activity?.SetTag(DecidedTag, together.Count(pending => pending.Decided is not null));
        foreach (var pending in group)
        {
            if (pending.Failure is { } failure) pending.Outcome.TrySetException(failure);
            else pending.Outcome.TrySetResult(pending.Decided);
        }
    }

    private async Task TryCommitAsync(List<Pending> together)
    {
        await using var session = _store.LightweightSession();
        await session.LockStreamsAsync(together.Select(pending => pending.Decision.CaseId), CancellationToken.None, _lockWait);
        var read = session.CreateBatchQuery();
        var reads = together.Select(pending => _views.Read(read, pending.Decision.CaseId)).ToList();
        await read.Execute();
        var states = await _views.ViewsAsync(reads, session, CancellationToken.None);

        var appending = false;
        for (var i = 0; i < together.Count; i++)
        {
            var (pending, state) = (together[i], states[i]);
            var decision = pending.Decision;
            IReadOnlyList<ICaseEvent> events;
            try
            {
                events = decision.Decide(state);
            }
            catch (Exception refused)
            {
                pending.Failure = refused; // that caller's own error, for its retry policy; the others go on
                continue;
            }

            pending.Decided = events;
            if (events.Count == 0)
            {
                continue;
            }

            var action = session.Events.Append(decision.CaseId, events.Cast<object>().ToArray());
            foreach (var @event in action.Events)
            {
                @event.StampCaseMetadata(decision.CaseId, decision.CausationId, decision.Actor, decision.RulesVersion, pending.Origin);
            }

            decision.Stage?.Invoke(session, state, events);
            appending = true;
        }

        if (appending)
        {
            await session.SaveChangesAsync();
        }
    }

    /// <summary>A decision waiting for a group, and its caller waiting for the outcome.</summary>
    private sealed class Pending(CaseDecision<TView> decision, Activity? origin)
    {
        public CaseDecision<TView> Decision { get; } = decision;

        /// <summary>The caller's span: its trace goes on the events the decision appends.</summary>
        public Activity? Origin { get; } = origin;

        public IReadOnlyList<ICaseEvent>? Decided { get; set; }
        public Exception? Failure { get; set; }

        /// <summary>The events appended, or null when the caller must decide alone.</summary>
        public TaskCompletionSource<IReadOnlyList<ICaseEvent>?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private const string GroupSizeTag = "escalation.case_group.size";
    private const string DecidedTag = "escalation.case_group.decided";
}

public static class CaseDecisionGroupsSetup
{
    /// <summary>
    /// Group commit for decisions on <typeparamref name="TView"/> (<see cref="CaseDecisionGroups{TView}"/>), configured by
    /// the <c>CaseDecisions</c> section. Call after <c>AddEscalationBus</c>, so that it stops before the bus.
    /// </summary>
    public static IHostApplicationBuilder AddCaseDecisionGroups<TView>(this IHostApplicationBuilder builder) where TView : class
    {
        builder.Services.TryAddSingleton(CaseDecisionOptions.From(builder.Configuration));
        builder.AddCaseViews<TView>();
        builder.Services.AddSingleton<CaseDecisionGroups<TView>>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CaseDecisionGroups<TView>>());
        return builder;
    }
}
