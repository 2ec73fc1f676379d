using System.CommandLine;
using Escalation.Contracts.History.V1;
using Google.Protobuf.Collections;
using static Escalation.Ctl.Rendering;

namespace Escalation.Ctl.Commands;

/// <summary>`replay &lt;case&gt; (--rules V | --rules-file PATH)`: what a version or draft of the triage rules would have decided.</summary>
internal static class ReplayCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var caseArgument = CaseRefs.CreateArgument();
        var rulesVersion = new Option<string>("--rules")
        {
            Description = "A triage rules version History knows, e.g. 2026.11.2",
            HelpName = "version",
        };
        var rulesFile = new Option<FileInfo>("--rules-file")
        {
            Description = "A draft rules document in the triage-rules.json format, to try a change before shipping it",
            HelpName = "path",
        }.AcceptExistingOnly();

        var command = new Command("replay", "Re-run triage rules over a recorded case and compare with the recorded decisions (appends nothing)")
        {
            caseArgument, rulesVersion, rulesFile,
        };
        Validation.OneOf(command, rulesVersion, rulesFile);
        command.SetAction((parse, cancellation) => HistoryService.RunAsync(parse, globals, cancellation, async (channel, output) =>
        {
            var request = new ReplayCaseRequest { Case = parse.GetRequiredValue(caseArgument) };
            if (parse.GetValue(rulesFile) is { } draft)
            {
                request.RulesJson = await File.ReadAllTextAsync(draft.FullName, cancellation);
            }
            else
            {
                request.RulesVersion = parse.GetRequiredValue(rulesVersion);
            }

            var replay = await new CaseHistory.CaseHistoryClient(channel).ReplayCaseAsync(request, cancellationToken: cancellation);
            if (output.Json)
            {
                output.WriteJson(replay);
            }
            else
            {
                WriteComparison(output, replay);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void WriteComparison(Output output, ReplayCaseResponse replay)
    {
        output.WriteLine($"Case {replay.Reference} ({replay.CaseId}) replayed with triage rules {replay.RulesVersion}");
        output.WriteLine();
        WriteDecisions(output, "recorded decisions", replay.Recorded);
        WriteDecisions(output, "replayed decisions", replay.Replayed);

        if (replay.Differences.Count > 0)
        {
            output.WriteLine("differences");
            var differences = CreateTable(NumberColumn("stimulus version"), Column("recorded decision"), Column("replayed decision"));
            foreach (var difference in replay.Differences)
            {
                differences.AddTextRow(Number(difference.StimulusVersion), Decision(difference.Recorded), Decision(difference.Replayed));
            }

            output.Write(differences);
        }

        output.WriteLine($"{replay.Differences.Count} difference(s)");
    }

    private static void WriteDecisions(Output output, string heading, RepeatedField<TriageDecision> decisions)
    {
        if (decisions.Count == 0)
        {
            output.WriteLine($"{heading}: none");
            output.WriteLine();
            return;
        }

        output.WriteLine(heading);
        var table = CreateTable(Column("stimulus event"), Column("decision"), Column("rules version"));
        foreach (var decision in decisions)
        {
            table.AddTextRow(decision.StimulusEventId, Decision(decision), OrNone(decision.RulesVersion));
        }

        output.Write(table);
        output.WriteLine();
    }
}
