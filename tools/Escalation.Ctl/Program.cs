using Escalation.Contracts.History.V1;
using Grpc.Core;
using Grpc.Net.Client;

// escalationctl: ops CLI over the History gRPC service.
//   escalationctl history <case-id|ESC-reference> [--history-url http://localhost:5107] [--wait-for EventType] [--timeout 60] [--json]
if (args.Length < 2 || args[0] != "history")
{
    Console.Error.WriteLine("usage: escalationctl history <case-id|ESC-reference> [--history-url URL] [--wait-for EventType] [--timeout SECONDS] [--json]");
    return 2;
}

var options = Options.Parse(args.Skip(2).ToArray());
using var channel = GrpcChannel.ForAddress(options.HistoryUrl);
var client = new CaseHistory.CaseHistoryClient(channel);
var request = Guid.TryParse(args[1], out _) ? new GetHistoryRequest { CaseId = args[1] } : new GetHistoryRequest { Reference = args[1] };
request.PageSize = 1000;

var deadline = DateTime.UtcNow.AddSeconds(options.TimeoutSeconds);
GetHistoryResponse? history = null;
while (true)
{
    try
    {
        history = await client.GetHistoryAsync(request);
    }
    catch (RpcException notYet) when (notYet.StatusCode == StatusCode.NotFound && DateTime.UtcNow < deadline)
    {
    }

    if (history is not null && (options.WaitFor is null || history.Events.Any(e => e.Type == options.WaitFor)))
    {
        break;
    }

    if (DateTime.UtcNow >= deadline)
    {
        Console.Error.WriteLine(history is null
            ? $"Case {args[1]} not found."
            : $"Timed out after {options.TimeoutSeconds} s waiting for {options.WaitFor}; showing what there is.");
        if (history is null) return 1;
        break;
    }

    await Task.Delay(200);
}

Console.WriteLine($"Case {history.Reference} ({history.CaseId}) — {history.Events.Count} events");
Console.WriteLine($"{"v",3}  {"position",8}  {"time (UTC)",-23}  {"+ms",6}  {"event",-22}  {"actor",-22}  caused by");
var first = history.Events.Count > 0 ? history.Events[0].Timestamp.ToDateTimeOffset() : default;
var types = history.Events.ToDictionary(e => e.EventId, e => $"{e.Type} v{e.Version}");
foreach (var e in history.Events)
{
    var at = e.Timestamp.ToDateTimeOffset();
    var cause = types.GetValueOrDefault(e.CausationId, e.CausationId);
    Console.WriteLine($"{e.Version,3}  {e.GlobalPosition,8}  {at:yyyy-MM-dd HH:mm:ss.fff}  {(at - first).TotalMilliseconds,6:0}  {e.Type,-22}  {e.Actor,-22}  {cause}");
    if (options.Json)
    {
        Console.WriteLine($"       {e.Json}");
    }
}

var contact = history.Events.FirstOrDefault(e => e.Type == "ContactReceived");
var routed = history.Events.FirstOrDefault(e => e.Type == "EscalationRouted");
if (contact is not null && routed is not null)
{
    Console.WriteLine($"contact → routed: {(routed.Timestamp.ToDateTimeOffset() - contact.Timestamp.ToDateTimeOffset()).TotalMilliseconds:0} ms");
}

var traceId = history.Events.Select(e => e.TraceId).FirstOrDefault(id => id.Length > 0);
if (traceId is not null)
{
    Console.WriteLine($"trace id: {traceId}");
}

return 0;

internal sealed record Options(string HistoryUrl, string? WaitFor, int TimeoutSeconds, bool Json)
{
    public static Options Parse(string[] args)
    {
        var options = new Options(Environment.GetEnvironmentVariable("ESCALATION_HISTORY_URL") ?? "http://localhost:5107", null, 60, false);
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--history-url" => options with { HistoryUrl = args[++i] },
                "--wait-for" => options with { WaitFor = args[++i] },
                "--timeout" => options with { TimeoutSeconds = int.Parse(args[++i]) },
                "--json" => options with { Json = true },
                _ => throw new ArgumentException($"Unknown option {args[i]}"),
            };
        }

        return options;
    }
}
