using System.CommandLine;
using Escalation.Contracts.History.V1;
using static Escalation.Ctl.Rendering;

namespace Escalation.Ctl.Commands;

/// <summary>`projections`: History's read models and how far behind the event store each one is.</summary>
internal static class ProjectionsCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var command = new Command("projections", "The projections History maintains and how far each has read the event store");
        command.SetAction((parse, cancellation) => HistoryService.RunAsync(parse, globals, cancellation, async (channel, output) =>
        {
            var projections = await new HistoryAdmin.HistoryAdminClient(channel)
                .ListProjectionsAsync(new ListProjectionsRequest(), cancellationToken: cancellation);
            if (output.Json)
            {
                output.WriteJson(projections);
                return ExitCodes.Ok;
            }

            var table = CreateTable(Column("projection"), NumberColumn("position"), NumberColumn("high-water mark"), NumberColumn("lag"));
            foreach (var projection in projections.Projections)
            {
                table.AddTextRow(
                    projection.Name,
                    Number(projection.Position),
                    Number(projections.HighWaterMark),
                    Number(projections.HighWaterMark - projection.Position));
            }

            output.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
