using System.CommandLine;
using Escalation.Contracts.History.V1;
using Google.Protobuf.WellKnownTypes;
using static Escalation.Ctl.Rendering;

namespace Escalation.Ctl.Commands;

/// <summary>`kpi`: escalation KPIs of the cases opened in a period, optionally grouped.</summary>
internal static class KpiCommand
{
    private static readonly TimeSpan DefaultPeriod = TimeSpan.FromDays(7);

    public static Command Create(GlobalOptions globals)
    {
        var from = new Option<DateTimeOffset?>("--from")
        {
            Description = "Cases opened at or after this date (midnight UTC) or timestamp with an offset (default: --to minus 7 days)",
            HelpName = "date",
            CustomParser = Moments.Parse,
        };
        var to = new Option<DateTimeOffset?>("--to")
        {
            Description = "Cases opened before this date (midnight UTC) or timestamp with an offset (default: now)",
            HelpName = "date",
            CustomParser = Moments.Parse,
        };
        var groupBy = new Option<string>("--by")
        {
            Description = "One row per day (UTC), first routed team, category or channel (default: one row for all cases)",
        }.AcceptOnlyFromAmong("day", "team", "category", "channel");

        var command = new Command("kpi", "Escalation KPIs: escalation rate, time to escalation, resolution after escalation, FCR, repeat escalations, SLA compliance")
        {
            from, to, groupBy,
        };
        command.SetAction((parse, cancellation) => HistoryService.RunAsync(parse, globals, cancellation, async (channel, output) =>
        {
            var until = parse.GetValue(to) ?? DateTimeOffset.UtcNow;
            var since = parse.GetValue(from) ?? until - DefaultPeriod;
            if (since >= until)
            {
                Console.Error.WriteLine("escalationctl: --from must be before --to.");
                return ExitCodes.BadUsage;
            }

            var request = new GetKpisRequest
            {
                From = Timestamp.FromDateTimeOffset(since),
                To = Timestamp.FromDateTimeOffset(until),
                GroupBy = parse.GetValue(groupBy) ?? "",
            };
            var kpis = await new Kpis.KpisClient(channel).GetKpisAsync(request, cancellationToken: cancellation);
            if (output.Json)
            {
                output.WriteJson(kpis);
            }
            else
            {
                output.WriteLine($"Cases opened from {Time(request.From)} to {Time(request.To)}");
                output.Write(KpiTable(kpis));
                output.WriteLine($"projection position: {kpis.ProjectionPosition}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Spectre.Console.Table KpiTable(GetKpisResponse kpis)
    {
        var slaMetrics = kpis.Rows.SelectMany(row => row.SlaCompliance).Select(compliance => compliance.Metric).Distinct().ToList();
        var table = CreateTable(
        [
            Column("key"), NumberColumn("cases"), NumberColumn("escalated"), NumberColumn("escalation rate"),
            NumberColumn("time to escalation mean"), NumberColumn("time to escalation p90"),
            NumberColumn("resolution after escalation mean"), NumberColumn("resolution after escalation p90"),
            NumberColumn("resolved"), NumberColumn("FCR"), NumberColumn("repeat"),
            .. slaMetrics.Select(metric => NumberColumn($"SLA {metric}")),
        ]);
        foreach (var row in kpis.Rows)
        {
            table.AddTextRow(
            [
                row.Key, Number(row.Cases), Number(row.EscalatedCases), Percent(row.EscalationRate),
                Duration(row.TimeToEscalationMean), Duration(row.TimeToEscalationP90),
                Duration(row.ResolutionAfterEscalationMean), Duration(row.ResolutionAfterEscalationP90),
                Number(row.ResolvedCases), Percent(row.FirstContactResolutionRate), Percent(row.RepeatEscalationRate),
                .. slaMetrics.Select(metric => Compliance(row.SlaCompliance.FirstOrDefault(c => c.Metric == metric))),
            ]);
        }

        return table;
    }

    /// <summary>E.g. "3/4 75.0%": clocks met out of clocks decided.</summary>
    private static string Compliance(SlaCompliance? compliance)
    {
        var decided = compliance is null ? 0 : compliance.Met + compliance.Breached;
        return decided == 0 ? None : $"{Number(compliance!.Met)}/{Number(decided)} {Percent(compliance.Rate)}";
    }
}
