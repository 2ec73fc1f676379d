using System.Text.Json;
using System.Text.Json.Nodes;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Escalation.Access;
using Escalation.Contracts.History.V1;
using Grpc.Net.Client;
using Npgsql;

namespace Escalation.EndToEndTests;

/// <summary>
/// All six services as real processes (the built service assemblies) against the real Postgres and RabbitMQ, plus
/// Postfix's smtp-sink as the mail server. Logs go to a temporary folder that failing tests print.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public static readonly string[] Services = ["Intake", "Triage", "Routing", "SlaWatch", "Notification", "History"];
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(90);

    private readonly ConcurrentDictionary<string, Process> _processes = [];
    private readonly ConcurrentDictionary<string, int> _httpPorts = [];
    private Process? _smtpSink;
    private int _smtpPort;
    private int _extraInstances;
    private GrpcChannel? _historyChannel;

    private int _grpcPort;
    public Infrastructure Infrastructure { get; } = new();
    public string WorkDirectory { get; } = Directory.CreateTempSubdirectory("escalation-e2e-").FullName;
    public string MailDirectory => Path.Combine(WorkDirectory, "mail");
    public HttpClient Intake { get; private set; } = null!;

    /// <summary>A key with every scope, which the suite's clients send; security tests issue narrower ones.</summary>
    public string OperatorKey { get; private set; } = null!;

    /// <summary>How long services trust a key they looked up (short here, so revocation tests do not wait 30 s).</summary>
    public static readonly TimeSpan KeyCacheFor = TimeSpan.FromSeconds(1);

    private NpgsqlDataSource? _database;

    /// <summary>The platform's key table, for tests that issue, rotate and revoke keys.</summary>
    public ApiKeyStore ApiKeys { get; private set; } = null!;

    /// <summary>A new key of a client of its own, as a token.</summary>
    public async Task<string> IssueKeyAsync(string[] scopes, string? channel = null, int? contactsPerSecond = null) =>
        (await ApiKeys.IssueAsync($"e2e-{Guid.NewGuid():N}", scopes, channel, contactsPerSecond, null, DateTimeOffset.UtcNow, CancellationToken.None)).Token;

    private string _notificationKey = null!;
    public WebhookReceiver Webhooks { get; private set; } = null!;

    /// <summary>Where every service exports its traces, logs and metrics (OTLP/gRPC).</summary>
    public OtlpReceiver Otlp { get; private set; } = null!;

    /// <summary>The HTTP base address of a service (health endpoints, Intake's API).</summary>
    public Uri HttpAddress(string service) => new($"http://127.0.0.1:{_httpPorts[service]}/");
    public CaseHistory.CaseHistoryClient History { get; private set; } = null!;
    public CaseFeed.CaseFeedClient Feed { get; private set; } = null!;
    public Kpis.KpisClient Kpis { get; private set; } = null!;
    public HistoryAdmin.HistoryAdminClient HistoryAdmin { get; private set; } = null!;

    /// <summary>An HTTP client for a service that sends <paramref name="apiKey"/> (the operator's key by default; "" for none).</summary>
    public HttpClient CreateClient(string service, string? apiKey = null) =>
        new(new BearerKeyHandler(apiKey ?? OperatorKey)) { BaseAddress = HttpAddress(service) };

    /// <summary>A channel to History's gRPC endpoint that sends <paramref name="apiKey"/> on every call ("" for none).</summary>
    public GrpcChannel CreateHistoryChannel(string apiKey) =>
        GrpcChannel.ForAddress(HistoryGrpcAddress, new GrpcChannelOptions { HttpHandler = new BearerKeyHandler(apiKey) });

    /// <summary>History's gRPC address (for the ops CLI).</summary>
    public string HistoryGrpcAddress => $"http://127.0.0.1:{_grpcPort}";

    public async ValueTask InitializeAsync()
    {
        await Infrastructure.StartAsync();
        StartSmtpSink(out _smtpPort);
        Webhooks = await WebhookReceiver.StartAsync();
        Otlp = await OtlpReceiver.StartAsync();

        var grpcPort = _grpcPort = FreePort();
        foreach (var service in Services)
        {
            _httpPorts[service] = FreePort();
        }

        WriteSlaDrillPolicy();
        WriteTriageRulesLibrary();

        // The bootstrap escalationctl does as the owner: the key table, and the keys the services are configured with.
        _database = NpgsqlDataSource.Create(Infrastructure.PostgresConnectionString);
        ApiKeys = new ApiKeyStore(_database);
        await ApiKeys.EnsureSchemaAsync(CancellationToken.None);
        OperatorKey = (await ApiKeys.IssueAsync("e2e-operator", Scopes.All, channel: null, contactsPerSecond: 1_000_000, expiresAt: null,
            DateTimeOffset.UtcNow, CancellationToken.None)).Token;
        _notificationKey = (await ApiKeys.IssueAsync("notification", [Scopes.CasesRead], null, null, null, DateTimeOffset.UtcNow, CancellationToken.None)).Token;

        // A release: each service's migrate as the owner (one at a time, on the migration lock), then the grants.
        await Task.WhenAll(Services.Select(MigrateAsync));
        await Infrastructure.GrantServiceRolesAsync();
        foreach (var service in Services)
        {
            StartService(service, grpcPort);
        }

        await Task.WhenAll(Services.Select(WaitUntilReadyAsync));

        Intake = CreateClient("Intake");
        _historyChannel = CreateHistoryChannel(OperatorKey);
        History = new CaseHistory.CaseHistoryClient(_historyChannel);
        Feed = new CaseFeed.CaseFeedClient(_historyChannel);
        Kpis = new Kpis.KpisClient(_historyChannel);
        HistoryAdmin = new HistoryAdmin.HistoryAdminClient(_historyChannel);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Values.Append(_smtpSink).OfType<Process>())
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        Intake?.Dispose();
        _historyChannel?.Dispose();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (Webhooks is not null)
        {
            await Webhooks.DisposeAsync();
        }

        if (Otlp is not null)
        {
            await Otlp.DisposeAsync();
        }

        await Infrastructure.DisposeAsync();
    }

    /// <summary>The last lines of every service log, for failure messages.</summary>
    public string LogTails(int lines = 40) => string.Join("\n", Services.Select(service =>
    {
        var path = Path.Combine(WorkDirectory, $"{service}.log");
        var tail = File.Exists(path) ? File.ReadLines(path).TakeLast(lines) : [];
        return $"--- {service} ---\n{string.Join("\n", tail)}";
    }));

    /// <summary>Category whose SLA targets are seconds (first response 6 s, 24×7), for tests that wait for warnings and breaches.</summary>
    public const string SlaDrillCategory = "sla-drill";

    /// <summary>The drill category's first-response target.</summary>
    public static readonly TimeSpan SlaDrillFirstResponse = TimeSpan.FromSeconds(6);

    private string SlaPolicyPath => Path.Combine(WorkDirectory, "sla-policy.e2e.json");

    /// <summary>The shipped SLA policy plus drill targets for <see cref="SlaDrillCategory"/>.</summary>
    private void WriteSlaDrillPolicy()
    {
        var policy = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "services", "Escalation.SlaWatch", "Policies", "sla-policy.json")))!;
        var targets = policy["targets"]!.AsArray();
        foreach (var priority in new[] { "P1", "P2", "P3", "P4" })
        {
            targets.Add(new JsonObject
            {
                ["priority"] = priority, ["tier"] = null, ["category"] = SlaDrillCategory, ["calendar"] = "24x7",
                ["firstResponse"] = SlaDrillFirstResponse.ToString(), ["nextResponse"] = "00:00:06", ["resolution"] = "01:00:00", ["escalationAcknowledgement"] = "00:00:06",
            });
        }

        File.WriteAllText(SlaPolicyPath, policy.ToJsonString());
    }

    /// <summary>A triage rules version whose bot-confidence threshold is 0.8 instead of 0.4, for replay tests.</summary>
    public const string ConfidentBotRulesVersion = "e2e-confident-bot";

    public static string ShippedTriageRulesPath => Path.Combine(RepositoryRoot, "services", "Escalation.Triage", "Rules", "triage-rules.json");

    private string TriageRulesDirectory => Path.Combine(WorkDirectory, "triage-rules");

    /// <summary>History's replay library: the shipped triage rules plus <see cref="ConfidentBotRulesVersion"/>.</summary>
    private void WriteTriageRulesLibrary()
    {
        Directory.CreateDirectory(TriageRulesDirectory);
        var shipped = File.ReadAllText(ShippedTriageRulesPath);
        File.WriteAllText(Path.Combine(TriageRulesDirectory, "triage-rules.json"), shipped);
        File.WriteAllText(Path.Combine(TriageRulesDirectory, "triage-rules.confident-bot.json"), ConfidentBotRules(shipped));
    }

    /// <summary>The shipped rules with the bot-confidence threshold raised to 0.8, under <see cref="ConfidentBotRulesVersion"/>.</summary>
    public static string ConfidentBotRules(string shipped)
    {
        var rules = JsonNode.Parse(shipped, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        rules["version"] = ConfidentBotRulesVersion;
        rules["botConfidence"]!["below"] = 0.8;
        return rules.ToJsonString();
    }

    /// <summary>Notification's timings for tests: three attempts, retries within a second, a webhook timeout of 4 s, leases of 6 s.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotificationDrill = new Dictionary<string, string>
    {
        ["Retry__MaxAttempts"] = "3",
        ["Retry__BaseDelay"] = "00:00:00.300",
        ["Retry__MaxDelay"] = "00:00:01",
        ["Retry__Lease"] = "00:00:06",
        ["Webhooks__Timeout"] = "00:00:04",
    };

    /// <summary>Starts one more instance of a service (own ports and log), for multi-instance tests.</summary>
    public async Task<string> StartExtraInstanceAsync(string service, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var instance = $"{service}#{Interlocked.Increment(ref _extraInstances)}";
        _httpPorts[instance] = FreePort();
        StartService(instance, FreePort(), settings);
        await WaitUntilReadyAsync(instance);
        return instance;
    }

    /// <summary>Starts a stopped instance again on its own ports (its log continues).</summary>
    public async Task RestartInstanceAsync(string instance)
    {
        StartService(instance, _grpcPort);
        await WaitUntilReadyAsync(instance);
    }

    public async Task StopInstanceAsync(string instance)
    {
        var process = _processes[instance];
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public string LogOf(string instance)
    {
        var path = Path.Combine(WorkDirectory, $"{instance}.log");
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }

    private void StartService(string instance, int grpcPort, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var start = StartInfo(instance, grpcPort, [], settings);
        var log = new StreamWriter(new FileStream(Path.Combine(WorkDirectory, $"{instance}.log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) lock (log) log.WriteLine(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (log) log.WriteLine(line.Data); };
        process.Exited += (_, _) => { lock (log) log.Dispose(); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[instance] = process;
    }

    /// <summary>
    /// Runs the service's <c>migrate</c> command as the database owner, as a release would before the services (which
    /// run as roles that may not change the schema) start.
    /// </summary>
    private async Task MigrateAsync(string service)
    {
        var (exitCode, output) = await RunToExitAsync(service, ["migrate"], new Dictionary<string, string?>
        {
            ["ConnectionStrings__postgres"] = Infrastructure.PostgresConnectionString,
        });
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{service} migrate exited with {exitCode}:\n{output}");
        }
    }

    /// <summary>
    /// Runs a service process (a command, or a start expected to fail) until it exits by itself, or kills it after a
    /// minute; its exit code (null when killed) and everything it wrote.
    /// </summary>
    public async Task<(int? ExitCode, string Output)> RunToExitAsync(string service, string[] arguments, IReadOnlyDictionary<string, string?> settings)
    {
        var start = StartInfo(service, _grpcPort, arguments, settings);
        start.Environment["Urls"] = start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        int? exitCode;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            exitCode = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            exitCode = null;
        }

        return (exitCode, await output + await errors);
    }

    private ProcessStartInfo StartInfo(string instance, int grpcPort, string[] arguments, IReadOnlyDictionary<string, string?>? settings)
    {
        var service = instance.Split('#')[0];
        var assembly = ServiceAssembly(service);
        var start = new ProcessStartInfo("dotnet", [assembly, .. arguments])
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var url = $"http://127.0.0.1:{_httpPorts[instance]}";
        start.Environment["ConnectionStrings__postgres"] = Infrastructure.PostgresConnectionStringOf(service);
        start.Environment["Database__MigrateAtStartup"] = "false";
        start.Environment["ConnectionStrings__rabbitmq"] = Infrastructure.RabbitMqUriOf(service);
        start.Environment["Urls"] = url;
        start.Environment["ASPNETCORE_URLS"] = url;
        start.Environment["Kestrel__Endpoints__Http__Url"] = service == "History" ? url : null;
        start.Environment["Kestrel__Endpoints__Grpc__Url"] = service == "History" ? $"http://127.0.0.1:{grpcPort}" : null;
        start.Environment["Notification__Smtp__Host"] = "127.0.0.1";
        start.Environment["Notification__Smtp__Port"] = _smtpPort.ToString();
        start.Environment["Notification__DirectoryAddress"] = $"http://127.0.0.1:{_httpPorts["Routing"]}/";
        start.Environment["Notification__Webhooks__SigningSecrets__0"] = WebhookReceiver.Secret;
        start.Environment["Notification__DirectoryApiKey"] = _notificationKey;
        start.Environment["Access__CacheFor"] = KeyCacheFor.ToString();
        foreach (var (key, value) in NotificationDrill)
        {
            start.Environment[$"Notification__{key}"] = value;
        }

        start.Environment["Logging__LogLevel__Default"] = "Information";
        start.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = Otlp.Address.ToString();
        start.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        start.Environment["OTEL_BLRP_SCHEDULE_DELAY"] = "200";
        start.Environment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
        start.Environment["Sla__Gauges__Refresh"] = "00:00:01";
        start.Environment["Kpis__Refresh"] = "00:00:02";
        // Only traces a caller asked to sample (a sampled traceparent) are recorded: the observability tests send one,
        // the rest of the suite's load is not slowed by exporting spans nobody reads.
        start.Environment["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio";
        start.Environment["OTEL_TRACES_SAMPLER_ARG"] = "0";
        start.Environment["Sla__PolicyFile"] = service is "SlaWatch" or "History" ? SlaPolicyPath : null;
        start.Environment["History__TriageRulesDirectory"] = TriageRulesDirectory;
        // Pages far smaller than the suite's event count, so every subscription reads (and prefetches) many pages.
        start.Environment["Feed__PageSize"] = service == "History" ? "200" : null;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        return start;
    }

    /// <summary>Whether the instance answers <c>/health/ready</c> with 200 (not listening or too busy to answer is not ready).</summary>
    public async Task<bool> IsReadyAsync(string instance)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri(HttpAddress(instance), "health/ready"));
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception unreachable) when (unreachable is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task WaitUntilReadyAsync(string service)
    {
        var deadline = DateTime.UtcNow + StartupDeadline;
        while (DateTime.UtcNow < deadline)
        {
            if (_processes[service].HasExited)
            {
                throw new InvalidOperationException($"{service} exited with {_processes[service].ExitCode}.\n{LogTails()}");
            }

            if (await IsReadyAsync(service))
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{service} was not ready within {StartupDeadline}.\n{LogTails()}");
    }

    private void StartSmtpSink(out int port)
    {
        Directory.CreateDirectory(MailDirectory);
        if (!OperatingSystem.IsWindows())
        {
            // smtp-sink drops root privileges to -u after binding, so that user must reach and write the dump folder.
            File.SetUnixFileMode(WorkDirectory, (UnixFileMode)0x1ED); // 0755
            File.SetUnixFileMode(MailDirectory, (UnixFileMode)0x1FF); // 0777
        }

        port = FreePort();
        var executable = new[] { "/usr/sbin/smtp-sink", "/usr/bin/smtp-sink" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("smtp-sink (Debian package postfix) is required: run infra/start-dependencies.sh.");
        _smtpSink = Process.Start(new ProcessStartInfo(executable, ["-u", "nobody", "-d", Path.Combine(MailDirectory, "%Y%m%d%H%M%S."), $"127.0.0.1:{port}", "100"])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        });
    }

    /// <summary>The repository root: the folder above the test binaries that holds Escalation.Platform.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Escalation.Platform.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Escalation.Platform.sln not found above the test binaries.");
        }

        return root;
    }

    private static string ServiceAssembly(string service)
    {
        var root = RepositoryRoot;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // bin/<Configuration>/net10.0
        var path = Path.Combine(root, "services", $"Escalation.{service}", "bin", configuration, "net10.0", $"Escalation.{service}.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the solution first: {path} is missing.");
    }

    /// <summary>
    /// A port nobody listens on, for a service or receiver to listen on, taken from below the kernel's ephemeral range. A
    /// port the kernel hands out for port 0 lies inside that range, so any outgoing connection (to Postgres, RabbitMQ, a
    /// service) may take it as its local port before the service binds it, or while a stopped service is down before
    /// its restart; that start then fails with "address already in use" and every later test with it.
    /// </summary>
    public static int FreePort()
    {
        var (first, last) = ListenPortRange;
        var size = last - first + 1;
        for (var attempt = 0; attempt < size; attempt++)
        {
            var port = first + (int)((uint)Interlocked.Increment(ref _nextListenPort) % (uint)size);
            if (NobodyListensOn(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free port between {first} and {last}.");
    }

    private static readonly (int First, int Last) ListenPortRange = BelowEphemeralPorts();

    // A random start, so that two suites on one machine do not walk the same ports in step.
    private static int _nextListenPort = Random.Shared.Next(0, 10_000);

    private static (int First, int Last) BelowEphemeralPorts()
    {
        const string EphemeralRange = "/proc/sys/net/ipv4/ip_local_port_range";
        var range = File.Exists(EphemeralRange) ? File.ReadAllText(EphemeralRange).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : [];
        var firstEphemeral = range.Length > 0 && int.TryParse(range[0], out var low)
            ? low
            : 49_152; // the IANA dynamic range, which Windows and macOS use
        var last = firstEphemeral - 1;
        return (Math.Max(1_024, last - 9_999), last);
    }

    private static bool NobodyListensOn(int port)
    {
        IPAddress[] loopbacks = Socket.OSSupportsIPv6 ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : [IPAddress.Loopback];
        foreach (var address in loopbacks)
        {
            try
            {
                using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(address, port));
            }
            catch (SocketException unusable) when (unusable.SocketErrorCode != SocketError.AddressAlreadyInUse && address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // No IPv6 loopback on this machine: nothing can listen there either.
            }
            catch (SocketException)
            {
                return false;
            }
        }

        return true;
    }
}
