using System.CommandLine;
using System.Globalization;
using Escalation.Contracts.History.V1;
using Grpc.Core;

namespace Escalation.Ctl.Commands;

/// <summary>`history &lt;case&gt;`: the events of one case, optionally waiting until an event type shows up.</summary>
internal static class HistoryCommand
{
    private const int DefaultTimeoutSeconds = 60;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static Command Create(GlobalOptions globals)
    {
        var caseArgument = CaseRefs.CreateArgument();
        var waitFor = new Option<string>("--wait-for")
        {
            Description = "Poll until the case has an event of this type, e.g. NotificationSent",
            HelpName = "type",
        };
        var timeout = new Option<int?>("--timeout")
        {
            Description = $"Seconds to keep polling until the case exists (and has the --wait-for event); {DefaultTimeoutSeconds} when only --wait-for is given",
            HelpName = "seconds",
        };
        timeout.AtLeast(1, "a positive number of seconds");

        var command = new Command("history", "The events of one case in stream order, with who appended them and what caused them")
        {
            caseArgument, waitFor, timeout,
        };
        command.SetAction((parse, cancellation) => HistoryService.RunAsync(parse, globals, cancellation, async (channel, output) =>
        {
            var history = new CaseHistoryReader(new CaseHistory.CaseHistoryClient(channel), parse.GetRequiredValue(caseArgument));
            var eventType = parse.GetValue(waitFor);
            var timeoutSeconds = parse.GetValue(timeout);
            var polls = eventType is not null || timeoutSeconds is not null;
            var deadline = DateTime.UtcNow.AddSeconds(polls ? timeoutSeconds ?? DefaultTimeoutSeconds : 0);
            while (true)
            {
                var lastTry = DateTime.UtcNow >= deadline;
                try
                {
                    await history.ReadNewEventsAsync(cancellation);
                    if (eventType is null || history.Events.Any(e => e.Type == eventType))
                    {
                        break;
                    }
                }
                catch (RpcException notYet) when (!lastTry && notYet.StatusCode is StatusCode.NotFound or StatusCode.Unavailable)
                {
                }

                if (lastTry)
                {
                    Console.Error.WriteLine($"Timed out after {timeoutSeconds ?? DefaultTimeoutSeconds} s waiting for {eventType}; showing what there is.");
                    break;
                }

                await Task.Delay(PollInterval, cancellation);
            }

            if (output.Json)
            {
                output.WriteJson(history.ToResponse());
            }
            else
            {
                WriteTable(output, history);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void WriteTable(Output output, CaseHistoryReader history)
    {
        var events = history.Events;
        output.WriteLine($"Case {history.Reference} ({history.CaseId}) — {events.Count} events");
        output.WriteLine($"{"v",3}  {"position",8}  {"time (UTC)",-23}  {"+ms",6}  {"event",-22}  {"actor",-22}  caused by");
        var first = events.Count > 0 ? events[0].Timestamp.ToDateTimeOffset() : default;
        var causes = events.ToDictionary(e => e.EventId, e => $"{e.Type} v{e.Version}");
        foreach (var e in events)
        {
            var at = e.Timestamp.ToDateTimeOffset();
            var cause = causes.GetValueOrDefault(e.CausationId, e.CausationId);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{e.Version,3}  {e.GlobalPosition,8}  {at:yyyy-MM-dd HH:mm:ss.fff}  {(at - first).TotalMilliseconds,6:0}  {e.Type,-22}  {e.Actor,-22}  {cause}"));
        }

        var contact = events.FirstOrDefault(e => e.Type == "ContactReceived");
        var routed = events.FirstOrDefault(e => e.Type == "EscalationRouted");
        if (contact is not null && routed is not null)
        {
            var contactToRouted = routed.Timestamp.ToDateTimeOffset() - contact.Timestamp.ToDateTimeOffset();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"contact → routed: {contactToRouted.TotalMilliseconds:0} ms"));
        }

        var traceId = events.Select(e => e.TraceId).FirstOrDefault(id => id.Length > 0);
        if (traceId is not null)
        {
            output.WriteLine($"trace id: {traceId}");
        }
    }

    /// <summary>Reads a case stream page by page and remembers where it stopped, so each poll fetches only new events.</summary>
    private sealed class CaseHistoryReader(CaseHistory.CaseHistoryClient client, CaseRef caseRef)
    {
        private const int PageSize = 1000;
        private readonly List<CaseEvent> events = [];
        private long afterVersion;

        public string CaseId { get; private set; } = "";

        public string Reference { get; private set; } = "";

        public IReadOnlyList<CaseEvent> Events => events;

        public async Task ReadNewEventsAsync(CancellationToken cancellation)
        {
            GetHistoryResponse page;
            do
            {
                var request = new GetHistoryRequest { AfterVersion = afterVersion, PageSize = PageSize };
                if (caseRef.CaseCase == CaseRef.CaseOneofCase.CaseId)
                {
                    request.CaseId = caseRef.CaseId;
                }
                else
                {
                    request.Reference = caseRef.Reference;
                }

                page = await client.GetHistoryAsync(request, cancellationToken: cancellation);
                CaseId = page.CaseId;
                Reference = page.Reference;
                events.AddRange(page.Events);
                afterVersion = Math.Max(afterVersion, page.NextAfterVersion);
            }
            while (!page.EndOfStream);
        }

        public GetHistoryResponse ToResponse() => new()
        {
            CaseId = CaseId,
            Reference = Reference,
            Events = { events },
            NextAfterVersion = afterVersion,
            EndOfStream = true,
        };
    }
}
