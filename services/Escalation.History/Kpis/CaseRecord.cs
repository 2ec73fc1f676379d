using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Sla;
using JasperFx.Events;
using Marten;
using Marten.Events.Aggregation;

namespace Escalation.History.Kpis;

/// <summary>How one SLA clock ended: met, or breached (a breach counts once, whatever stops the clock later).</summary>
public sealed record ClockOutcome(SlaMetric Metric, bool Met);

/// <summary>
/// The facts of one case the KPIs are computed from (History's own document, kept by the <see cref="CaseRecordProjection"/>).
/// Also the index from reference to case id. Its fold is named Of/Including, not Create/Apply: Marten refuses a
/// projection that overrides Evolve while its document also has conventional methods.
/// </summary>
public sealed record CaseRecord(
    Guid Id,
    string Reference,
    Channel Channel,
    string Category,
    DateTimeOffset OpenedAt,
    int Escalations,
    DateTimeOffset? FirstEscalationRequestedAt,
    DateTimeOffset? FirstRoutedAt,
    string? FirstTeam,
    DateTimeOffset? FirstResolvedAt,
    IReadOnlyDictionary<Guid, ClockOutcome> Clocks)
{
    /// <summary>How many of the case's clocks have ended; a column of its own, so the KPIs skip records with none.</summary>
    public int ClockCount => Clocks.Count;

    public static CaseRecord Of(TicketOpened opened) => new(opened.CaseId, opened.Reference, opened.Channel, opened.Category,
        opened.OpenedAt, 0, null, null, null, null, new Dictionary<Guid, ClockOutcome>());

    public CaseRecord Including(object data) => data switch
    {
        EscalationRequested e => this with
        {
            Escalations = Escalations + 1,
            FirstEscalationRequestedAt = FirstEscalationRequestedAt ?? e.RequestedAt,
        },
        EscalationRouted e => this with { FirstRoutedAt = FirstRoutedAt ?? e.RoutedAt, FirstTeam = FirstTeam ?? e.Team },
        EscalationQueued e => this with { FirstTeam = FirstTeam ?? e.Queue },
        CaseResolved e => this with { FirstResolvedAt = FirstResolvedAt ?? e.ResolvedAt },
        SlaBreached e => WithClock(e.ClockId, new ClockOutcome(e.Metric, Met: false)),
        SlaClockStopped e when !Clocks.ContainsKey(e.ClockId) => WithClock(e.ClockId, new ClockOutcome(e.Metric, e.Met)),
        _ => this,
    };

    private CaseRecord WithClock(Guid clockId, ClockOutcome outcome) =>
        this with { Clocks = new Dictionary<Guid, ClockOutcome>(Clocks) { [clockId] = outcome } };
}

/// <summary>Keeps one <see cref="CaseRecord"/> per case stream, asynchronously, in History's schema.</summary>
public sealed class CaseRecordProjection : SingleStreamProjection<CaseRecord, Guid>
{
    public const string ProjectionName = "case-records";

    public CaseRecordProjection()
    {
        Name = ProjectionName;

        // Only the events the record folds: the daemon then reads just these, and a page rewrites only the records of
        // cases that had one of them, not of every case with any event in the page.
        IncludeType<TicketOpened>();
        IncludeType<EscalationRequested>();
        IncludeType<EscalationRouted>();
        IncludeType<EscalationQueued>();
        IncludeType<CaseResolved>();
        IncludeType<SlaBreached>();
        IncludeType<SlaClockStopped>();
    }

    public override CaseRecord? Evolve(CaseRecord? snapshot, Guid id, IEvent e) => snapshot is null
        ? e.Data is TicketOpened opened ? CaseRecord.Of(opened) : null
        : snapshot.Including(e.Data);
}
