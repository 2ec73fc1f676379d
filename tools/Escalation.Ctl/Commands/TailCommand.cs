using System.CommandLine;
using System.Globalization;
using Escalation.Contracts.History.V1;
using Grpc.Core;

namespace Escalation.Ctl.Commands;

/// <summary>`tail`: follows the global feed of case events as they are committed.</summary>
internal static class TailCommand
{
    private static readonly string Header = $"{"position",10}  {"time (UTC)",-23}  {"case",-36}  {"event",-24}  actor";

    public static Command Create(GlobalOptions globals)
    {
        var from = new Option<long?>("--from")
        {
            Description = "Start after this global position (default: from the first event)",
            HelpName = "position",
        };
        from.AtLeast(0L, "0 or more");
        var fromNow = new Option<bool>("--now") { Description = "Only events committed from now on" };
        var types = Filter("--type", "type", "Only events of this type, e.g. EscalationRouted (repeatable)");
        var priorities = Filter("--priority", "priority", "Only events of cases with this priority at that event, P1..P4 (repeatable)");
        var teams = Filter("--team", "team", "Only events of cases owned by this team at that event (repeatable)");
        var categories = Filter("--category", "category", "Only events of cases of this category (repeatable)");
        var count = new Option<int?>("--count") { Description = "Stop after this many events", HelpName = "N" };
        count.AtLeast(1, "1 or more");
        var untilCaughtUp = new Option<bool>("--until-caught-up")
        {
            Description = "Stop once the events before the start have been served (when the feed turns live)",
        };

        var command = new Command("tail", "Follow case events across all cases as they are committed (Ctrl+C to stop)")
        {
            from, fromNow, types, priorities, teams, categories, count, untilCaughtUp,
        };
        Validation.OneOf(command, from, fromNow, optional: true);
        command.SetAction((parse, cancellation) => HistoryService.RunAsync(parse, globals, cancellation, async (channel, output) =>
        {
            var request = new SubscribeRequest
            {
                EventTypes = { parse.GetValue(types) ?? [] },
                Priorities = { parse.GetValue(priorities) ?? [] },
                Teams = { parse.GetValue(teams) ?? [] },
                Categories = { parse.GetValue(categories) ?? [] },
            };
            if (parse.GetValue(fromNow))
            {
                request.FromNow = true;
            }
            else
            {
                request.AfterPosition = parse.GetValue(from) ?? 0;
            }

            var maximumEvents = parse.GetValue(count);
            var stopWhenCaughtUp = parse.GetValue(untilCaughtUp);
            using var subscription = new CaseFeed.CaseFeedClient(channel).Subscribe(request, cancellationToken: cancellation);
            var events = 0;
            try
            {
                await foreach (var message in subscription.ResponseStream.ReadAllAsync(cancellation))
                {
                    if (output.Json)
                    {
                        output.WriteJson(message);
                    }

                    switch (message.MessageCase)
                    {
                        case FeedMessage.MessageOneofCase.Event:
                            if (!output.Json)
                            {
                                if (events == 0)
                                {
                                    output.WriteLine(Header);
                                }

                                output.WriteLine(Line(message.Event));
                            }

                            if (++events == maximumEvents)
                            {
                                return ExitCodes.Ok;
                            }

                            break;
                        case FeedMessage.MessageOneofCase.CaughtUp:
                            if (!output.Json)
                            {
                                output.WriteLine($"caught up at {message.CaughtUp.Position}");
                            }

                            if (stopWhenCaughtUp)
                            {
                                return ExitCodes.Ok;
                            }

                            break;
                    }
                }
            }
            catch (Exception stopped) when (cancellation.IsCancellationRequested && HistoryService.IsCancellation(stopped))
            {
                return ExitCodes.Ok;
            }

            Console.Error.WriteLine("escalationctl: History closed the feed.");
            return ExitCodes.Failed;
        }));
        return command;
    }

    private static Option<string[]> Filter(string name, string helpName, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
    };

    private static string Line(CaseEvent e) => string.Create(
        CultureInfo.InvariantCulture,
        $"{e.GlobalPosition,10}  {e.Timestamp.ToDateTimeOffset():yyyy-MM-dd HH:mm:ss.fff}  {e.CaseId,-36}  {e.Type,-24}  {e.Actor}");
}
