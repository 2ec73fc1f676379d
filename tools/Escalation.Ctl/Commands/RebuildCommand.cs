using System.CommandLine;
using Escalation.Contracts.History.V1;
using Grpc.Core;
using Spectre.Console;

namespace Escalation.Ctl.Commands;

/// <summary>`rebuild &lt;projection&gt;`: rebuilds one of History's projections from the whole event store.</summary>
internal static class RebuildCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var projection = new Argument<string>("projection") { Description = "A projection name from `projections`, e.g. case-records" };
        var command = new Command("rebuild", "Rebuild a projection from the whole event store, showing progress")
        {
            projection,
        };
        command.SetAction((parse, cancellation) => HistoryService.RunAsync(parse, globals, cancellation, async (channel, output) =>
        {
            var name = parse.GetRequiredValue(projection);
            using var rebuild = new HistoryAdmin.HistoryAdminClient(channel)
                .RebuildProjection(new RebuildProjectionRequest { Name = name }, cancellationToken: cancellation);
            var last = output.IsInteractive
                ? await ShowProgressBarAsync(name, rebuild.ResponseStream, cancellation)
                : await WriteProgressLinesAsync(output, name, rebuild.ResponseStream, cancellation);

            if (last is not { Done: true })
            {
                Console.Error.WriteLine($"escalationctl: History stopped reporting before the rebuild of {name} was done.");
                return ExitCodes.Failed;
            }

            if (!output.Json)
            {
                output.WriteLine($"rebuilt {name} to position {last.Position}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Task<RebuildProgress?> ShowProgressBarAsync(
        string name, IAsyncStreamReader<RebuildProgress> progressStream, CancellationToken cancellation) =>
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape($"rebuilding {name}"));
                RebuildProgress? last = null;
                await foreach (var progress in progressStream.ReadAllAsync(cancellation))
                {
                    // A rebuild of an empty store has target 0; Spectre needs a positive maximum.
                    task.MaxValue = Math.Max(progress.Target, 1);
                    task.Value = progress.Position;
                    task.Description = Markup.Escape($"rebuilding {name}: {progress.Position}/{progress.Target}");
                    last = progress;
                }

                return last;
            });

    private static async Task<RebuildProgress?> WriteProgressLinesAsync(
        Output output, string name, IAsyncStreamReader<RebuildProgress> progressStream, CancellationToken cancellation)
    {
        RebuildProgress? last = null;
        await foreach (var progress in progressStream.ReadAllAsync(cancellation))
        {
            if (output.Json)
            {
                output.WriteJson(progress);
            }
            else
            {
                output.WriteLine($"rebuilding {name}: {progress.Position}/{progress.Target}");
            }

            last = progress;
        }

        return last;
    }
}
