using Escalation.Contracts.History.V1;
using Google.Protobuf.WellKnownTypes;
using Spectre.Console;
using static Escalation.Ctl.Rendering;

namespace Escalation.Ctl;

/// <summary>The readable form of a case summary, shared by `case` and `asof`.</summary>
internal static class CaseSummaryView
{
    public static void Write(Output output, CaseSummary summary, Timestamp? measuredAt = null)
    {
        var details = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        void Add(string key, string value) => details.AddRow(new Text(key), new Text(value));

        Add("reference", OrNone(summary.Reference));
        Add("case id", summary.CaseId);
        Add("status", OrNone(summary.Status));
        Add("channel", OrNone(summary.Channel));
        Add("category", OrNone(summary.Category));
        Add("customer", OrNone(summary.CustomerId));
        Add("subject", OrNone(summary.Subject));
        Add("tier", OrNone(summary.Tier));
        Add("priority", OrNone(summary.Priority));
        Add("owner", Owner(summary));
        Add("escalation", Escalation(summary));
        Add("escalations", Number(summary.EscalationCount));
        Add("incident", OrNone(summary.IncidentKey));
        Add("contacts", Number(summary.ContactCount));
        Add("opened", Time(summary.OpenedAt));
        Add("resolved", Time(summary.ResolvedAt));
        Add("version", $"{Number(summary.Version)} (last event {Time(summary.LastEventAt)})");
        if (measuredAt is not null)
        {
            Add("measured at", Time(measuredAt));
        }

        output.Write(details);
        output.WriteLine();
        WriteSlaClocks(output, summary);
    }

    private static void WriteSlaClocks(Output output, CaseSummary summary)
    {
        if (summary.SlaClocks.Count == 0)
        {
            output.WriteLine("no SLA clocks");
            return;
        }

        var clocks = CreateTable(
            Column("SLA metric"), Column("status"), NumberColumn("target"), NumberColumn("elapsed"),
            NumberColumn("remaining"), Column("due at"), Column("breached"));
        foreach (var clock in summary.SlaClocks)
        {
            clocks.AddTextRow(
                clock.Metric, clock.Status, Duration(clock.Target), Duration(clock.Elapsed),
                Duration(clock.Remaining), Time(clock.DueAt), clock.Breached ? "yes" : "no");
        }

        output.Write(clocks);
    }

    private static string Owner(CaseSummary summary) =>
        (summary.OwnerTeam, summary.OwnerAgent) switch
        {
            ("", "") => None,
            (var team, "") => $"{team} (queue)",
            ("", var agent) => agent,
            (var team, var agent) => $"{team} / {agent}",
        };

    private static string Escalation(CaseSummary summary) =>
        summary.EscalationState.Length == 0
            ? None
            : $"{summary.EscalationState} ({OrNone(summary.CurrentEscalationId)})";
}
