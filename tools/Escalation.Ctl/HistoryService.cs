using System.CommandLine;
using Escalation.Access;
using Grpc.Core;
using Grpc.Net.Client;

namespace Escalation.Ctl;

/// <summary>Runs a command against History's gRPC endpoint and turns failures into exit codes.</summary>
internal static class HistoryService
{
    public static async Task<int> RunAsync(
        ParseResult parse,
        GlobalOptions globals,
        CancellationToken cancellation,
        Func<GrpcChannel, Output, Task<int>> run)
    {
        var output = new Output(parse.GetValue(globals.Json));
        using var channel = GrpcChannel.ForAddress(parse.GetRequiredValue(globals.HistoryUrl), new GrpcChannelOptions
        {
            HttpHandler = new BearerKeyHandler(parse.GetValue(globals.ApiKey)),
        });
        try
        {
            return await run(channel, output);
        }
        catch (Exception stopped) when (cancellation.IsCancellationRequested && IsCancellation(stopped))
        {
            return ExitCodes.Interrupted;
        }
        catch (RpcException failure)
        {
            Console.Error.WriteLine(Describe(failure));
            if (failure.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
            {
                Console.Error.WriteLine("escalationctl: pass an API key with the needed scope as --api-key or $ESCALATION_API_KEY.");
            }

            return failure.StatusCode == StatusCode.InvalidArgument ? ExitCodes.BadUsage : ExitCodes.Failed;
        }
    }

    public static bool IsCancellation(Exception exception) =>
        exception is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled };

    private static string Describe(RpcException failure)
    {
        // Connection failures carry only "Error connecting to subchannel." as detail; the socket error says why.
        var cause = failure.Status.DebugException?.Message;
        return cause is null
            ? $"escalationctl: {failure.StatusCode}: {failure.Status.Detail}"
            : $"escalationctl: {failure.StatusCode}: {failure.Status.Detail} ({cause})";
    }
}
