using Escalation.History.Kpis;
using Escalation.ServiceDefaults.Access;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Marten;
using JasperFx;
using JasperFx.Events.Daemon;
using V1 = Escalation.Contracts.History.V1;

namespace Escalation.History.Admin;

/// <summary>The projection daemon of this instance while it leads (the relay and the projections run together).</summary>
public sealed class RunningDaemon
{
    public IProjectionDaemon? Current { get; set; }

    /// <summary>One rebuild at a time: Marten's daemon fails a rebuild started while another is under way.</summary>
    public SemaphoreSlim RebuildGate { get; } = new(1, 1);
}

/// <summary>gRPC <c>HistoryAdmin</c>: the projections History keeps and rebuilding them with progress.</summary>
public sealed partial class HistoryAdminService(RunningDaemon daemon, EventProgression progression, IDocumentStore store, TimeProvider time,
    ILogger<HistoryAdminService> logger)
    : V1.HistoryAdmin.HistoryAdminBase
{
    public static readonly IReadOnlyList<string> Projections = [CaseRecordProjection.ProjectionName];
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ShardTimeout = TimeSpan.FromMinutes(10);

    public override async Task<V1.ListProjectionsResponse> ListProjections(V1.ListProjectionsRequest request, ServerCallContext context)
    {
        var rows = await progression.AllAsync(context.CancellationToken);
        var response = new V1.ListProjectionsResponse { HighWaterMark = rows.GetValueOrDefault(EventProgression.HighWaterMarkName) };
        response.Projections.AddRange(Projections.Select(name => new V1.ProjectionState { Name = name, Position = rows.GetValueOrDefault(EventProgression.ShardOf(name)) }));
        return response;
    }

    public override async Task<V1.EraseCustomerResponse> EraseCustomer(V1.EraseCustomerRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.CustomerId))
        {
            throw GrpcErrors.Invalid("customer_id", "A customer id is required.");
        }

        var now = time.GetUtcNow();
        var requestedBy = context.GetHttpContext().User.KeyId() ?? "unknown";
        var cases = await CustomerErasure.EraseAsync(store, request.CustomerId, requestedBy, now, context.CancellationToken);
        if (cases.Count == 0)
        {
            throw GrpcErrors.NotFound("No case names this customer (or its data was erased already).");
        }

        LogErased(cases.Count);
        var response = new V1.EraseCustomerResponse { ErasedAt = Timestamp.FromDateTimeOffset(now) };
        response.CaseIds.AddRange(cases.Select(id => id.ToString()));
        return response;
    }

    public override async Task RebuildProjection(V1.RebuildProjectionRequest request, IServerStreamWriter<V1.RebuildProgress> responseStream,
        ServerCallContext context)
    {
        if (!Projections.Contains(request.Name))
        {
            throw GrpcErrors.NotFound($"No projection '{request.Name}'; known: {string.Join(", ", Projections)}.");
        }

        var cancellation = context.CancellationToken;
        if (daemon.Current is null)
        {
            throw NotLeading();
        }

        // A second request waits for the rebuild under way, then rebuilds again: its caller asked for records that
        // include everything up to its own request.
        await daemon.RebuildGate.WaitAsync(cancellation);
        try
        {
            var leading = daemon.Current ?? throw NotLeading();
            try
            {
                await RebuildAsync(leading, request.Name, responseStream, cancellation);
            }
            catch (Exception stopped) when (stopped is not RpcException && !ReferenceEquals(daemon.Current, leading) && !cancellation.IsCancellationRequested)
            {
                // The relay lease moved and this instance's daemon stopped under the rebuild (Marten then throws
                // whatever its disposed parts throw): say so, rather than "exception was thrown by handler".
                LogRebuildStopped(stopped, request.Name);
                throw new RpcException(new Status(StatusCode.Aborted,
                    "This History instance stopped running the projections during the rebuild (the relay lease moved); ask again."));
            }
        }
        finally
        {
            daemon.RebuildGate.Release();
        }
    }

    private static RpcException NotLeading() =>
        new(new Status(StatusCode.FailedPrecondition, "This History instance does not run the projections; ask the one that leads the relay."));

    private async Task RebuildAsync(IProjectionDaemon running, string name, IServerStreamWriter<V1.RebuildProgress> responseStream,
        CancellationToken cancellation)
    {
        var target = await progression.HighWaterMarkAsync(cancellation);
        LogRebuilding(name, target);
        var rebuild = running.RebuildProjectionAsync(name, ShardTimeout, cancellation);
        while (!rebuild.IsCompleted)
        {
            await Task.WhenAny(rebuild, Task.Delay(ProgressInterval, time, cancellation));
            var position = await progression.ProjectionPositionAsync(name, cancellation);
            await responseStream.WriteAsync(new V1.RebuildProgress { Name = name, Position = Math.Min(position, target), Target = target }, cancellation);
        }

        await rebuild;
        await ResumeAsync(running, name, cancellation);
        var done = await progression.ProjectionPositionAsync(name, cancellation);
        await responseStream.WriteAsync(new V1.RebuildProgress { Name = name, Position = done, Target = target, Done = true }, cancellation);
        LogRebuilt(name, done);
    }

    /// <summary>
    /// The daemon stops the projection's continuous agent to rebuild and, without Marten's coordinator (ours runs under
    /// the relay lease), never starts it again: new events would not reach the projection until the next leadership.
    /// </summary>
    private static async Task ResumeAsync(IProjectionDaemon running, string projection, CancellationToken cancellation)
    {
        var shard = EventProgression.ShardOf(projection);
        if (!running.CurrentAgents().Any(agent => agent.Name.Identity == shard && agent.Status == AgentStatus.Running))
        {
            await running.StartAgentAsync(shard, cancellation);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuilding projection {Projection} up to {Target}")]
    private partial void LogRebuilding(string projection, long target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebuilding projection {Projection} stopped: this instance no longer leads the relay")]
    private partial void LogRebuildStopped(Exception exception, string projection);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuilt projection {Projection} to {Position}")]
    private partial void LogRebuilt(string projection, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Erased a customer's personal data from {Cases} case(s)")]
    private partial void LogErased(int cases);
}
