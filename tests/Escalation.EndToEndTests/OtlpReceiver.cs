using System.Collections.Concurrent;
using Escalation.EndToEndTests.Otlp;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Escalation.EndToEndTests;

public sealed record ReceivedSpan(
    string Service,
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    SpanKind Kind,
    DateTimeOffset Start,
    DateTimeOffset End,
    string Scope,
    IReadOnlyDictionary<string, string> Attributes,
    int StatusCode)
{
    public string? this[string attribute] => Attributes.GetValueOrDefault(attribute);

    public override string ToString() => $"{Service}: {Name} ({Kind})";
}

public sealed record ReceivedLog(string Service, string TraceId, string SpanId, string Severity, string Body, IReadOnlyDictionary<string, string> Attributes);

/// <summary>One data point of a metric: its attributes and value (for a histogram, the count; <see cref="Sum"/> its sum).</summary>
public sealed record ReceivedPoint(IReadOnlyDictionary<string, string> Attributes, double Value, double? Sum = null);

public sealed record ReceivedMetric(string Service, string Instance, string Name, string Unit, IReadOnlyList<ReceivedPoint> Points);

/// <summary>
/// An OTLP/gRPC endpoint (Kestrel, HTTP/2 on a free port) that the services' real OpenTelemetry exporters send their
/// traces, logs and metrics to, standing in for Jaeger or a collector. It keeps spans and logs by trace id and the
/// latest export of each metric per service instance.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ReceivedSpan>> _spans = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ReceivedLog>> _logs = new();
    private readonly ConcurrentDictionary<(string Instance, string Name), ReceivedMetric> _metrics = new();
    private WebApplication? _app;

    public Uri Address { get; private set; } = null!;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var receiver = new OtlpReceiver();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Directory.CreateTempSubdirectory("otlp-receiver-").FullName });
        builder.Logging.ClearProviders();
        var port = PlatformFixture.FreePort();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenLocalhost(port, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = 64 * 1024 * 1024);
        builder.Services.AddSingleton(receiver);
        var app = builder.Build();
        app.MapGrpcService<TraceEndpoint>();
        app.MapGrpcService<LogsEndpoint>();
        app.MapGrpcService<MetricsEndpoint>();
        await app.StartAsync();
        receiver._app = app;
        receiver.Address = new Uri($"http://localhost:{port}");
        return receiver;
    }

    public IReadOnlyList<ReceivedSpan> SpansOf(string traceId) => _spans.TryGetValue(traceId, out var spans) ? spans.ToList() : [];

    public IReadOnlyList<ReceivedLog> LogsOf(string traceId) => _logs.TryGetValue(traceId, out var logs) ? logs.ToList() : [];

    /// <summary>The latest export of <paramref name="name"/> from every service instance that exports it.</summary>
    public IReadOnlyList<ReceivedMetric> MetricsNamed(string name) => _metrics.Values.Where(metric => metric.Name == name).ToList();

    /// <summary>Every metric name exported so far, for failure messages.</summary>
    public IReadOnlyList<string> MetricNames => _metrics.Keys.Select(key => key.Name).Distinct().Order().ToList();

    /// <summary>Export calls received per signal, for failure messages.</summary>
    public string Exports => $"traces {_traceExports}, logs {_logExports}, metrics {_metricExports}";

    private int _traceExports, _logExports, _metricExports;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private void Add(ExportTraceServiceRequest request)
    {
        Interlocked.Increment(ref _traceExports);
        foreach (var resource in request.ResourceSpans)
        {
            var service = ServiceOf(resource.Resource);
            foreach (var scope in resource.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    var received = new ReceivedSpan(service, Hex(span.TraceId), Hex(span.SpanId), span.ParentSpanId.IsEmpty ? null : Hex(span.ParentSpanId),
                        span.Name, span.Kind, FromUnixNanos(span.StartTimeUnixNano), FromUnixNanos(span.EndTimeUnixNano), scope.Scope?.Name ?? "",
                        AttributesOf(span.Attributes), span.Status?.Code ?? 0);
                    _spans.GetOrAdd(received.TraceId, _ => new ConcurrentQueue<ReceivedSpan>()).Enqueue(received);
                }
            }
        }
    }

    private void Add(ExportLogsServiceRequest request)
    {
        Interlocked.Increment(ref _logExports);
        foreach (var resource in request.ResourceLogs)
        {
            var service = ServiceOf(resource.Resource);
            foreach (var record in resource.ScopeLogs.SelectMany(scope => scope.LogRecords).Where(record => !record.TraceId.IsEmpty))
            {
                var received = new ReceivedLog(service, Hex(record.TraceId), Hex(record.SpanId), record.SeverityText, TextOf(record.Body),
                    AttributesOf(record.Attributes));
                _logs.GetOrAdd(received.TraceId, _ => new ConcurrentQueue<ReceivedLog>()).Enqueue(received);
            }
        }
    }

    private void Add(ExportMetricsServiceRequest request)
    {
        Interlocked.Increment(ref _metricExports);
        foreach (var resource in request.ResourceMetrics)
        {
            var service = ServiceOf(resource.Resource);
            var instance = AttributesOf(resource.Resource?.Attributes).GetValueOrDefault("service.instance.id", service);
            foreach (var metric in resource.ScopeMetrics.SelectMany(scope => scope.Metrics))
            {
                IReadOnlyList<ReceivedPoint> points = metric.DataCase switch
                {
                    Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Select(PointOf).ToList(),
                    Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Select(PointOf).ToList(),
                    Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints
                        .Select(point => new ReceivedPoint(AttributesOf(point.Attributes), point.Count, point.HasSum ? point.Sum : null)).ToList(),
                    _ => [],
                };
                _metrics[(instance, metric.Name)] = new ReceivedMetric(service, instance, metric.Name, metric.Unit, points);
            }
        }
    }

    private static ReceivedPoint PointOf(NumberDataPoint point) =>
        new(AttributesOf(point.Attributes), point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble);

    private static string ServiceOf(Resource? resource) => AttributesOf(resource?.Attributes).GetValueOrDefault("service.name", "?");

    private static Dictionary<string, string> AttributesOf(IEnumerable<KeyValue>? attributes) =>
        (attributes ?? []).GroupBy(attribute => attribute.Key).ToDictionary(group => group.Key, group => TextOf(group.Last().Value));

    private static string TextOf(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.ArrayValue => string.Join(",", value.ArrayValue.Values.Select(TextOf)),
        _ => "",
    };

    private static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);

    private static DateTimeOffset FromUnixNanos(ulong nanos) => DateTimeOffset.UnixEpoch.AddTicks((long)(nanos / 100));

    private sealed class TraceEndpoint(OtlpReceiver receiver) : TraceService.TraceServiceBase
    {
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            receiver.Add(request);
            return Task.FromResult(new ExportTraceServiceResponse());
        }
    }

    private sealed class LogsEndpoint(OtlpReceiver receiver) : LogsService.LogsServiceBase
    {
        public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
        {
            receiver.Add(request);
            return Task.FromResult(new ExportLogsServiceResponse());
        }
    }

    private sealed class MetricsEndpoint(OtlpReceiver receiver) : MetricsService.MetricsServiceBase
    {
        public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
        {
            receiver.Add(request);
            return Task.FromResult(new ExportMetricsServiceResponse());
        }
    }
}
