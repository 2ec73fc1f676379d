using Escalation.Contracts.Cases;
using Escalation.ServiceDefaults;
using Escalation.Triage.Engine;
using Marten;
using MassTransit;

namespace Escalation.Triage.Incidents.DetectWideImpact;

/// <summary>
/// Counts open cases per category/product and links them to one incident when too many open at once. The cluster
/// document and every link are written in one transaction, under a per-cluster lock; the links then reach <c>CaseSignalsConsumer</c> as case
/// events, which decides each case's escalation like any other trigger.
/// </summary>
public sealed partial class WideImpactConsumer(IDocumentStore store, CaseViews<TriageCase> views, TriageRules rules, TimeProvider time, ILogger<WideImpactConsumer> logger)
    : IConsumer<ContactReceived>, IConsumer<CaseResolved>, IConsumer<CaseClosed>
{
    public async Task Consume(ConsumeContext<ContactReceived> context)
    {
        var eventId = context.MessageId ?? throw new InvalidMessageException("ContactReceived without a MessageId (the stored event id).");
        if (context.Message.Author != Contracts.AuthorKind.Customer)
        {
            return; // only a customer's first contact joins a cluster; no need to read the stream for the rest
        }

        await using var session = store.LightweightSession();
        await session.BeginTransactionAsync(context.CancellationToken); // one pooled connection for the read and the write
        var state = await views.ReadAsync(session, context.Message.CaseId, context.CancellationToken);
        var first = state?.Turns.FirstOrDefault(t => t.Contact.Author == Contracts.AuthorKind.Customer);
        if (state is null || first is null || first.EventId != eventId)
        {
            return; // a case joins its cluster once, on its first customer contact
        }

        var product = first.Contact.Entities.Product;
        if (!DetectWideImpact.Clusters(state.Category, product, rules.WideImpact))
        {
            return; // without this, every such case queued behind one lock ("general|*"): 81 ms a contact under load
        }

        var id = ImpactCluster.IdFor(state.Category, product);
        await LockClusterAsync(session, id, context.CancellationToken);
        var cluster = await session.LoadAsync<ImpactCluster>(id, context.CancellationToken);
        var decision = DetectWideImpact.Join(cluster, new CaseJoin(state.Id, state.Category, product, first.Contact.ReceivedAt),
            rules.WideImpact, time.GetUtcNow());
        if (decision is null)
        {
            return;
        }

        if (decision.IsNew)
        {
            session.Insert(decision.Cluster); // a concurrent first member fails here and retries against the stored cluster
        }
        else
        {
            session.Update(decision.Cluster); // optimistic concurrency: a concurrent join fails here and retries
        }

        foreach (var link in decision.Links.OrderBy(l => l.CaseId))
        {
            // Wait for the case's own triage to finish rather than race it: a lost race would burn event sequence
            // numbers, and every such gap stalls the relay for seconds. Case-id order, so two incidents cannot deadlock.
            await session.Events.FetchForExclusiveWriting<TriageCase>(link.CaseId, context.CancellationToken);
            var linkEvent = session.Events.BuildEvent(link);
            linkEvent.StampCaseMetadata(link.CaseId, eventId.ToString(), "service:triage", rules.Version);
            session.Events.Append(link.CaseId, linkEvent);
        }

        await session.SaveChangesAsync(context.CancellationToken);
        if (decision.Links.Count > 0)
        {
            LogIncident(decision.Links[0].IncidentKey, decision.Links.Count, decision.Cluster.Id);
        }
    }

    public Task Consume(ConsumeContext<CaseResolved> context) => Leave(context.Message.CaseId, context.CancellationToken);

    public Task Consume(ConsumeContext<CaseClosed> context) => Leave(context.Message.CaseId, context.CancellationToken);

    private async Task Leave(Guid caseId, CancellationToken cancellation)
    {
        await using var session = store.LightweightSession();
        await session.BeginTransactionAsync(cancellation);
        var state = await views.ReadAsync(session, caseId, cancellation);
        var first = state?.Turns.FirstOrDefault(t => t.Contact.Author == Contracts.AuthorKind.Customer);
        if (state is null || first is null || !DetectWideImpact.Clusters(state.Category, first.Contact.Entities.Product, rules.WideImpact))
        {
            return;
        }

        var id = ImpactCluster.IdFor(state.Category, first.Contact.Entities.Product);
        await LockClusterAsync(session, id, cancellation);
        var cluster = await session.LoadAsync<ImpactCluster>(id, cancellation);
        if (DetectWideImpact.Leave(cluster, caseId) is { } updated)
        {
            session.Update(updated);
            await session.SaveChangesAsync(cancellation);
        }
    }

    /// <summary>
    /// One case at a time per cluster: concurrent joins would otherwise conflict on the cluster document after
    /// appending, and each rolled-back append leaves a gap in the event sequence.
    /// </summary>
    private static Task LockClusterAsync(IDocumentSession session, string clusterId, CancellationToken cancellation) =>
        session.LockAsync([$"triage-impact-cluster:{clusterId}"], cancellation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Incident {IncidentKey}: {Linked} case(s) linked in cluster {Cluster}")]
    private partial void LogIncident(string incidentKey, int linked, string cluster);
}
