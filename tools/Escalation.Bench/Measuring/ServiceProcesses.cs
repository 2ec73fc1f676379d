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

    /// <summary>CPU seconds (user + system) used so far by each group's live processes.</summary>
    public static Dictionary<string, double> CpuSeconds() =>
        Find().ToDictionary(group => group.Key, group => group.Value.Sum(pid => ReadCpuTicks(pid)) / TicksPerSecond);

    /// <summary>Resident set size in MB of each .NET service (one process each).</summary>
    public static Dictionary<string, double> ServiceResidentMegabytes() =>
        Find().Where(group => group.Key is not ("postgres" or "rabbitmq"))
            .ToDictionary(group => group.Key, group => group.Value.Sum(ReadResidentKilobytes) / 1024.0);

    private static long ReadCpuTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime (fields 14 and 15 of the whole line)
        }
        catch (IOException) { return 0; }
    }

    private static long ReadResidentKilobytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (IOException) { return 0; }
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

/// <summary>Samples each service's resident memory every interval while a run goes on, keeping the peak.</summary>
public sealed class MemorySampler : IAsyncDisposable
{
    private readonly Dictionary<string, double> _peak = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public MemorySampler(TimeSpan interval) => _loop = SampleAsync(interval);

    public IReadOnlyDictionary<string, double> PeakMegabytes { get { lock (_peak) return new Dictionary<string, double>(_peak); } }

    private async Task SampleAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            var sample = ServiceProcesses.ServiceResidentMegabytes();
            lock (_peak)
            {
                foreach (var (service, megabytes) in sample)
                {
                    _peak[service] = Math.Max(megabytes, _peak.GetValueOrDefault(service));
                }
            }
        }
        while (await timer.WaitForNextTickAsync(_stop.Token).AsTask().ContinueWith(t => !t.IsCanceled && t.Result));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
