using System.CommandLine;
using System.CommandLine.Invocation;
using Escalation.Ctl;
using Escalation.Ctl.Commands;

var globals = new GlobalOptions();
var root = new RootCommand("escalationctl: ops CLI over History's gRPC API (case histories, past state, triage replays, the event feed, KPIs, projections) and the API keys")
{
    HistoryCommand.Create(globals),
    CaseCommand.Create(globals),
    AsOfCommand.Create(globals),
    ReplayCommand.Create(globals),
    TailCommand.Create(globals),
    KpiCommand.Create(globals),
    ProjectionsCommand.Create(globals),
    RebuildCommand.Create(globals),
    EraseCustomerCommand.Create(globals),
    KeysCommand.Create(globals),
};
globals.AddTo(root);

var parse = root.Parse(args);
if (parse.Action is ParseErrorAction)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"escalationctl: {error.Message}");
    }

    var commandPath = parse.CommandResult.Command == root ? "escalationctl" : $"escalationctl {parse.CommandResult.Command.Name}";
    Console.Error.WriteLine($"Run '{commandPath} --help' for usage.");
    return ExitCodes.BadUsage;
}

// System.CommandLine 2.0.0 hooks Ctrl+C (and so cancels the actions' token) only when given a termination timeout.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(2) });
