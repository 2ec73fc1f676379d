using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Escalation.Bench.Measuring;

/// <summary>
/// The platform's processes on this machine (each service's <c>dotnet Escalation.X.dll</c>, PostgreSQL's backends,
/// RabbitMQ's Erlang VM), read from /proc: CPU time used, for "where the time goes", and resident memory.
/// </summary>
public static partial class ServiceProcesses
{
    private static readonly double TicksPerSecond = 100; // USER_HZ, 100 on Linux x86_64 and arm64

    /// <summary>Process group name → pids, found now (PostgreSQL's backends come and go; read this per snapshot).</summary>
    public static Dictionary<string, List<int>> Find()
    {
        var groups = new Dictionary<string, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }

            var group = GroupOf(commandLine);
            if (group is null) continue;
            if (!groups.TryGetValue(group, out var pids)) groups[group] = pids = [];
            pids.Add(pid);
        }

        return groups;
    }

    public static string? GroupOf(string commandLine) =>
        ServiceDll().Match(commandLine) is { Success: true } service ? service.Groups[1].Value
        : commandLine.StartsWith("postgres", StringComparison.Ordinal) || commandLine.Contains("/postgresql/", StringComparison.Ordinal) ? "postgres"
        : commandLine.Contains("beam.smp", StringComparison.Ordinal) ? "rabbitmq"
        : null;

    /// <summary>
    /// CPU seconds (user + system) used so far by each group's live processes and by their children that have exited:
    /// PostgreSQL's backends come and go, and an exited backend's time is added to the postmaster's.
    /// </summary>
    public static Dictionary<string, double> CpuSeconds() =>
        Find().ToDictionary(group => group.Key, group => group.Value.Sum(pid => ReadCpuTicks(pid)) / TicksPerSecond);

    /// <summary>CPU seconds the whole machine has spent busy (user, nice, system, interrupts) since boot.</summary>
    public static double MachineBusySeconds()
    {
        // "cpu  user nice system idle iowait irq softirq steal ..."
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[1]) + long.Parse(fields[2]) + long.Parse(fields[3]) + long.Parse(fields[6]) + long.Parse(fields[7])) / TicksPerSecond;
    }

    /// <summary>Seconds during which at least one runnable task waited for a CPU, since boot; null without PSI.</summary>
    public static double? CpuPressureSeconds()
    {
        try
        {
            // "some avg10=0.00 avg60=0.00 avg300=0.00 total=12345" (microseconds)
            var some = File.ReadLines("/proc/pressure/cpu").First(line => line.StartsWith("some ", StringComparison.Ordinal));
            return long.Parse(some[(some.LastIndexOf("total=", StringComparison.Ordinal) + "total=".Length)..]) / 1e6;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// The memory of each .NET service (one process each). Without <paramref name="withPss"/>, from the kernel's
    /// counters (<c>/proc/pid/status</c>), and Pss is 0: PSS needs <c>smaps_rollup</c>, which walks every mapping of
    /// the process under its memory-map lock, 5–7 ms of CPU and up to 150 ms of waiting a service here, while the
    /// service's own mapping changes (the JIT's, the GC's) wait for it.
    /// </summary>
    public static Dictionary<string, ServiceMemory> ServiceMemory(bool withPss = true) =>
        Find().Where(group => group.Key is not ("postgres" or "rabbitmq"))
            .ToDictionary(group => group.Key, group => withPss ? ReadMemory(group.Value[0]) : ReadCounters(group.Value[0]));

    /// <summary>Rss and anonymous memory from the kernel's per-process counters (VmRSS, RssAnon): no page walk.</summary>
    public static ServiceMemory ReadCounters(int pid) => ReadMegabytes($"/proc/{pid}/status") is { } fields
        ? new ServiceMemory(fields.GetValueOrDefault("VmRSS"), 0, fields.GetValueOrDefault("RssAnon"))
        : new ServiceMemory(0, 0, 0);

    private static long ReadCpuTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime, stime, cutime, cstime: fields 14 to 17 of the whole line
            return long.Parse(fields[11]) + long.Parse(fields[12]) + long.Parse(fields[13]) + long.Parse(fields[14]);
        }
        catch (IOException) { return 0; }
    }

    /// <summary>
    /// Rss counts every page mapped, shared ones too (the runtime and framework assemblies every service maps); Pss
    /// divides each shared page among the processes mapping it; Anonymous is the process's own heap and code.
    /// </summary>
    public static ServiceMemory ReadMemory(int pid) => ReadMegabytes($"/proc/{pid}/smaps_rollup") is { } fields
        ? new ServiceMemory(fields.GetValueOrDefault("Rss"), fields.GetValueOrDefault("Pss"), fields.GetValueOrDefault("Anonymous"))
        : new ServiceMemory(0, 0, 0);

    /// <summary>The "Name: 1234 kB" lines of a /proc file, in MB; null when the process is gone.</summary>
    private static Dictionary<string, double>? ReadMegabytes(string path)
    {
        try
        {
            return File.ReadLines(path)
                .Select(line => line.Split(':', 2))
                .Where(pair => pair.Length == 2)
                .ToDictionary(pair => pair[0], pair => long.TryParse(pair[1].Trim().Split(' ')[0], out var kilobytes) ? kilobytes / 1024.0 : 0);
        }
        catch (IOException) { return null; }
    }

    /// <summary>
    /// Stops the named services' processes (SIGSTOP) until the returned handle is disposed (SIGCONT). On a machine
    /// shared by every service, this measures one service as if the others ran elsewhere: their work waits in
    /// RabbitMQ and in the event store and is done once they continue.
    /// </summary>
    public static IDisposable Pause(IEnumerable<string> services)
    {
        var groups = Find();
        var pids = services.SelectMany(s => groups.GetValueOrDefault(s) ?? []).ToList();
        foreach (var pid in pids) Signal(pid, StopSignal);
        return new Resumer(pids);
    }

    private const int StopSignal = 19, ContinueSignal = 18; // SIGSTOP, SIGCONT on Linux x86_64 and arm64

    private static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0) throw new InvalidOperationException($"Could not signal process {pid} (errno {Marshal.GetLastPInvokeError()}).");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private sealed class Resumer(List<int> pids) : IDisposable
    {
        public void Dispose()
        {
            foreach (var pid in pids) Kill(pid, ContinueSignal);
        }
    }

    [GeneratedRegex(@"Escalation\.(Intake|Triage|Routing|SlaWatch|Notification|History)\.dll")]
    private static partial Regex ServiceDll();
}

/// <summary>A service's memory in MB (see <see cref="ServiceProcesses.ServiceMemory"/>).</summary>
public sealed record ServiceMemory(double Rss, double Pss, double Anonymous)
{
    public ServiceMemory Max(ServiceMemory other) =>
        new(Math.Max(Rss, other.Rss), Math.Max(Pss, other.Pss), Math.Max(Anonymous, other.Anonymous));
}

/// <summary>
/// Samples each service's memory every interval while a run goes on, keeping the peak of each measure: Rss and
/// anonymous memory every time from the kernel's counters, Pss every <c>pssEvery</c>-th time only (its page walk
/// holds up the service it reads; see <see cref="ServiceProcesses.ServiceMemory"/>).
/// </summary>
public sealed class MemorySampler : IAsyncDisposable
{
    private readonly Dictionary<string, ServiceMemory> _peak = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly int _pssEvery;
    private readonly Task _loop;
    private long _samples;

    public MemorySampler(TimeSpan interval, int pssEvery)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pssEvery, 1);
        _pssEvery = pssEvery;
        _loop = SampleAsync(interval);
    }

    public IReadOnlyDictionary<string, ServiceMemory> Peak { get { lock (_peak) return new Dictionary<string, ServiceMemory>(_peak); } }

    private Task SampleAsync(TimeSpan interval) => Periodically.RunAsync(interval, TimeProvider.System, () =>
    {
        var sample = ServiceProcesses.ServiceMemory(withPss: _samples++ % _pssEvery == 0);
        lock (_peak)
        {
            foreach (var (service, memory) in sample)
            {
                _peak[service] = _peak.TryGetValue(service, out var peak) ? peak.Max(memory) : memory;
            }
        }

        return Task.CompletedTask;
    }, _stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
