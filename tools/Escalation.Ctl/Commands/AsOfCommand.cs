using System.CommandLine;
using Escalation.Contracts.History.V1;
using Google.Protobuf.WellKnownTypes;

namespace Escalation.Ctl.Commands;

/// <summary>`asof &lt;case&gt; (--at T | --version N)`: the case as it stood at an earlier point of its stream.</summary>
internal static class AsOfCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var caseArgument = CaseRefs.CreateArgument();
        var at = new Option<DateTimeOffset?>("--at")
        {
            Description = "The moment to look at: a timestamp with an offset (2026-11-24T09:30:00+09:00) or a date (midnight UTC)",
            HelpName = "timestamp",
            CustomParser = Moments.Parse,
        };
        var version = new Option<long?>("--version")
        {
            Description = "The stream version to look at (1 = just after the case was opened)",
            HelpName = "N",
        };
        version.AtLeast(1L, "1 or more");

        var command = new Command("asof", "A case and its SLA clocks as they stood at a moment (--at) or after a stream version (--version)")
        {
            caseArgument, at, version,
        };
        Validation.OneOf(command, at, version);
        command.SetAction((parse, cancellation) => HistoryService.RunAsync(parse, globals, cancellation, async (channel, output) =>
        {
            var request = new GetCaseAsOfRequest { Case = parse.GetRequiredValue(caseArgument) };
            if (parse.GetValue(at) is { } moment)
            {
                request.At = Timestamp.FromDateTimeOffset(moment);
            }
            else if (parse.GetValue(version) is { } streamVersion)
            {
                request.Version = streamVersion;
            }

            var asOf = await new CaseHistory.CaseHistoryClient(channel).GetCaseAsOfAsync(request, cancellationToken: cancellation);
            if (output.Json)
            {
                output.WriteJson(asOf);
            }
            else
            {
                CaseSummaryView.Write(output, asOf.Summary, asOf.MeasuredAt);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
