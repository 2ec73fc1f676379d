using System.CommandLine;
using Escalation.Contracts.History.V1;

namespace Escalation.Ctl.Commands;

/// <summary>`case &lt;case&gt;`: the case as it stands now.</summary>
internal static class CaseCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var caseArgument = CaseRefs.CreateArgument();
        var command = new Command("case", "A case as it stands now: status, tier, priority, owner, escalation and SLA clocks")
        {
            caseArgument,
        };
        command.SetAction((parse, cancellation) => HistoryService.RunAsync(parse, globals, cancellation, async (channel, output) =>
        {
            var request = new GetCaseRequest { Case = parse.GetRequiredValue(caseArgument) };
            var summary = await new CaseHistory.CaseHistoryClient(channel).GetCaseAsync(request, cancellationToken: cancellation);
            if (output.Json)
            {
                output.WriteJson(summary);
            }
            else
            {
                CaseSummaryView.Write(output, summary);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
