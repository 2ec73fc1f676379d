using System.Diagnostics;
using Escalation.Contracts.Intake;
using Escalation.Intake.Cases;
using Escalation.ServiceDefaults;
using JasperFx.Events;
using Marten;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>
/// Group commit: contacts that arrive while a commit is under way are recorded together in the next one, so that under
/// load one transaction (one round trip per step, one WAL flush) carries many contacts, while a lone contact on an
/// idle intake is still recorded at once. A caller whose contact the group does not record gets null and records it
/// alone (<see cref="ContactReceiver"/>), after the group committed; so does everyone in a group whose commit failed.
/// </summary>
public sealed class ContactGroupCommit : IHostedService
{
    private readonly IDocumentStore _store;
    private readonly CaseViews<IntakeCase> _views;
    private readonly CaseReferences _references;
    private readonly IntakeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ContactGroupCommit> _logger;
    private readonly GroupCommitQueue<PendingContact> _waiting;

    public ContactGroupCommit(IDocumentStore store, CaseViews<IntakeCase> views, CaseReferences references, IntakeOptions options, TimeProvider time,
        ILogger<ContactGroupCommit> logger)
    {
        (_store, _views, _references, _options, _time, _logger) = (store, views, references, options, time, logger);
        _waiting = new GroupCommitQueue<PendingContact>(options.MaxContactsPerCommit, options.ConcurrentCommits, CommitAsync);
    }

    /// <summary>Waits for the group commit that records the contact; null when the caller must record it alone.</summary>
    public Task<ContactOutcome?> RecordAsync(InboundContact contact, string causationId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var pending = new PendingContact(contact, causationId, idempotencyKey, Activity.Current);
        return _waiting.TryEnqueue(pending) ? pending.Outcome.Task.WaitAsync(cancellationToken) : Task.FromResult<ContactOutcome?>(null);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _waiting.Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops taking contacts (callers then record alone) and commits those already waiting. Registered after the bus,
    /// so it stops before the bus does.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => _waiting.StopAsync(cancellationToken);

    private async Task CommitAsync(List<PendingContact> group)
    {
        using var activity = Telemetry.StartGroupWork("intake record contacts", group.ConvertAll(pending => pending.Origin), GroupSizeTag);

        IReadOnlyList<(PendingContact Pending, ContactOutcome Outcome)> recorded;
        try
        {
            recorded = await TryCommitAsync(group);
        }
        catch (Exception exception)
        {
            // A racing writer (the same contact or conversation from another instance), or the database: each is
            // recorded alone, with the lone path's retries.
            GroupCommitFallback.Log(_logger, exception, group.Count, "contacts", _options.GroupLockWait);
            recorded = [];
        }

        activity?.SetTag(RecordedTag, recorded.Count);
        foreach (var (pending, outcome) in recorded)
        {
            pending.Outcome.TrySetResult(outcome);
        }

        foreach (var pending in group)
        {
            pending.Outcome.TrySetResult(null);
        }
    }

    private async Task<IReadOnlyList<(PendingContact, ContactOutcome)>> TryCommitAsync(List<PendingContact> group)
    {
        await using var session = _store.LightweightSession();
        // One connection for the lookups, the reference numbers and the commit: otherwise each is a checkout of its
        // own from the pool, and each checkout costs PostgreSQL the pool's seven-statement session reset.
        await session.BeginTransactionAsync(CancellationToken.None);

        var lookups = session.CreateBatchQuery();
        var recordedContacts = lookups.LoadMany<ReceivedContact>().ById(group.Select(pending => pending.ContactKey).Distinct().ToArray());
        var conversations = lookups.LoadMany<ConversationCase>().ById(group.Select(pending => pending.ConversationKey).Distinct().ToArray());
        var idempotencyKeys = group.Select(pending => pending.IdempotencyKey).OfType<string>().Distinct().ToArray();
        var usedKeys = idempotencyKeys.Length == 0
            ? Task.FromResult<IReadOnlyList<IdempotencyRecord>>([])
            : lookups.LoadMany<IdempotencyRecord>().ById(idempotencyKeys);
        await lookups.Execute();

        var together = ContactGroups.Together(group,
            (await recordedContacts).Select(contact => contact.Id).ToHashSet(StringComparer.Ordinal),
            (await usedKeys).Select(key => key.Id).ToHashSet(StringComparer.Ordinal));
        var known = (await conversations).ToDictionary(conversation => conversation.Id, StringComparer.Ordinal);
        var cases = await LockKnownCasesAsync(session, together, known);
        if (together.Count == 0)
        {
            return [];
        }

        var now = _time.GetUtcNow();
        var opening = together.Where(pending =>
            !known.TryGetValue(pending.ConversationKey, out var conversation)
            || ReceiveContact.NeedsNewCase(cases[conversation.CaseId], _options.ReopenWindow, now)).ToHashSet();
        var newReferences = new Queue<string>(await _references.NextAsync(session.Connection!, opening.Count, CancellationToken.None));

        var recorded = new List<(PendingContact, ContactOutcome)>(together.Count);
        foreach (var pending in together)
        {
            var opensCase = opening.Contains(pending);
            var current = opensCase ? null : cases[known[pending.ConversationKey].CaseId];
            var target = opensCase ? new CaseRef(Guid.CreateVersion7(now), newReferences.Dequeue()) : new CaseRef(current!.Id, current.Reference);
            var events = ReceiveContact.Decide(current, target, pending.Contact, now).Cast<object>().ToArray();
            var action = opensCase ? session.Events.StartStream(target.CaseId, events) : session.Events.Append(target.CaseId, events);
            foreach (var @event in action.Events)
            {
                @event.StampCaseMetadata(target.CaseId, pending.CausationId, IntakeSetup.Actor, rulesVersion: null, pending.Origin);
            }

            session.StageContactRecords(pending.ContactKey, pending.ConversationKey, pending.IdempotencyKey, target, opensCase,
                conversationKnown: known.ContainsKey(pending.ConversationKey));

            recorded.Add((pending, new ContactOutcome(target.CaseId, target.Reference, Duplicate: false, opensCase)));
        }

        await session.SaveChangesAsync();
        return recorded;
    }

    /// <summary>
    /// Contacts of known conversations append under their cases' row locks, as a lone contact does
    /// (FetchForExclusiveWriting), and decide on each case as it is once every commit they waited for has landed. A
    /// contact whose copy landed, or whose conversation moved to a new case, meanwhile leaves the group.
    /// </summary>
    /// <returns>The current state of each locked case.</returns>
    private async Task<Dictionary<Guid, IntakeCase?>> LockKnownCasesAsync(
        IDocumentSession session, List<PendingContact> together, Dictionary<string, ConversationCase> known)
    {
        var followUps = together.Where(pending => known.ContainsKey(pending.ConversationKey)).ToList();
        if (followUps.Count == 0)
        {
            return [];
        }

        var caseIds = followUps.Select(pending => known[pending.ConversationKey].CaseId).Distinct().ToList();
        await session.LockStreamsAsync(caseIds, CancellationToken.None, _options.GroupLockWait);

        var underLock = session.CreateBatchQuery();
        var landed = underLock.LoadMany<ReceivedContact>().ById(followUps.Select(pending => pending.ContactKey).ToArray());
        var current = underLock.LoadMany<ConversationCase>().ById(followUps.Select(pending => pending.ConversationKey).ToArray());
        var readStates = caseIds.Select(id => _views.Read(underLock, id)).ToList();
        await underLock.Execute();

        var landedKeys = (await landed).Select(contact => contact.Id).ToHashSet(StringComparer.Ordinal);
        var currentCases = (await current).ToDictionary(conversation => conversation.Id, conversation => conversation.CaseId, StringComparer.Ordinal);
        together.RemoveAll(pending => known.TryGetValue(pending.ConversationKey, out var conversation)
            && (landedKeys.Contains(pending.ContactKey) || currentCases.GetValueOrDefault(pending.ConversationKey) != conversation.CaseId));

        var states = await _views.ViewsAsync(readStates, session, CancellationToken.None);
        return caseIds.Zip(states).ToDictionary(pair => pair.First, pair => pair.Second);
    }

    private const string GroupSizeTag = "escalation.contact_group.size";
    private const string RecordedTag = "escalation.contact_group.recorded";
}
