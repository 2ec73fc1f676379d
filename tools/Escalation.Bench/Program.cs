using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Escalation.Bench;
using Escalation.Bench.Report;

// bench: measures a platform running on this machine (start it with infra/demo.sh) against the machine's own raw
// limits, measured in the same run, and writes the report to docs/benchmarks/.
var intake = new Option<Uri>("--intake") { Description = "Intake's HTTP address", DefaultValueFactory = _ => new Uri("http://localhost:5101") };
var history = new Option<Uri>("--history") { Description = "History's gRPC address", DefaultValueFactory = _ => new Uri("http://localhost:5107") };
var broker = new Option<Uri>("--rabbitmq") { Description = "RabbitMQ AMQP URI", DefaultValueFactory = _ => new Uri("amqp://guest:guest@localhost:5672/") };
var management = new Option<Uri>("--rabbitmq-management") { Description = "RabbitMQ management API", DefaultValueFactory = _ => new Uri("http://guest:guest@localhost:15672/") };
var postgres = new Option<string>("--postgres")
{
    Description = "PostgreSQL connection string (the platform's database)",
    DefaultValueFactory = _ => "Host=localhost;Database=escalation;Username=postgres;Password=postgres;SSL Mode=Disable;Maximum Pool Size=20",
};
var contacts = new Option<int>("--intake-contacts") { Description = "Contacts per intake run (flat out)", DefaultValueFactory = _ => 10000 };
var intakeWarmup = new Option<int>("--intake-warmup")
{
    Description = "Contacts sent the same way just before each intake run, not measured (JIT, connection pools); 0 for none",
    DefaultValueFactory = _ => 2000,
};
var rate = new Option<double?>("--sustained-rate") { Description = "Contacts/s offered in the sustained run (default: the measured AMQP intake rate)" };
var sustainedFor = new Option<int>("--sustained-seconds") { Description = "Length of the sustained run", DefaultValueFactory = _ => 60 };
var latencyRate = new Option<double?>("--latency-rate") { Description = "Contacts/s offered in the latency run (default: half the sustained capacity), for comparing runs at one rate" };
var latencyFor = new Option<int>("--latency-seconds") { Description = "Length of the half-rate latency run", DefaultValueFactory = _ => 30 };
var latencyRepeats = new Option<int>("--latency-repeats")
{
    Description = "How many times to run the latency run (each settles first); with more than one the report adds the median of their p99s",
    DefaultValueFactory = _ => 1,
};
latencyRepeats.Validators.Add(result =>
{
    if (result.GetValueOrDefault<int>() < 1) result.AddError("--latency-repeats must be 1 or more.");
});
var limitsFor = new Option<int>("--limits-seconds") { Description = "Length of each raw-limit measurement", DefaultValueFactory = _ => 10 };
var share = new Option<double>("--escalating-share") { Description = "Share of contacts that escalate", DefaultValueFactory = _ => 0.3 };
var label = new Option<string>("--label") { Description = "What this run measures (e.g. 'before', 'relay batching')", DefaultValueFactory = _ => "baseline" };
var output = new Option<DirectoryInfo>("--out") { Description = "Where the Markdown and JSON reports go", DefaultValueFactory = _ => new DirectoryInfo("docs/benchmarks") };
var apiKey = new Option<string>("--api-key")
{
    Description = "An API key with scopes contacts:submit and cases:read, and a high --contacts-per-second (or set $ESCALATION_API_KEY)",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ESCALATION_API_KEY") ?? "",
};
var soakMinutes = new Option<int?>("--soak-minutes")
{
    Description = "Instead of the benchmark: a soak of this many minutes at --sustained-rate (memory and queue depths sampled every 10 s)",
};
var only = new Option<string[]>("--only")
{
    Description = $"Run only these groups of phases ({string.Join(", ", BenchOptions.PhaseGroups)}); all by default",
    AllowMultipleArgumentsPerToken = true,
};
only.AcceptOnlyFromAmong([.. BenchOptions.PhaseGroups]);
var skipLimits = new Option<bool>("--skip-limits") { Description = "Do not measure the raw limits (ratios are left out)" };

var root = new RootCommand("bench: the escalation pipeline against this machine's raw PostgreSQL and RabbitMQ limits")
{
    intake, history, broker, management, postgres, apiKey, contacts, intakeWarmup, rate, sustainedFor, latencyRate, latencyFor, latencyRepeats, limitsFor, share, label, output, skipLimits, soakMinutes, only,
};
root.SetAction(async (parse, cancellationToken) =>
{
    var options = new BenchOptions(parse.GetRequiredValue(intake), parse.GetRequiredValue(broker), parse.GetRequiredValue(management),
        parse.GetRequiredValue(postgres), parse.GetRequiredValue(history), parse.GetRequiredValue(apiKey), parse.GetValue(contacts), parse.GetValue(rate),
        TimeSpan.FromSeconds(parse.GetValue(sustainedFor)), TimeSpan.FromSeconds(parse.GetValue(latencyFor)),
        TimeSpan.FromSeconds(parse.GetValue(limitsFor)), parse.GetValue(share), parse.GetValue(skipLimits),
        (parse.GetValue(only) ?? []).ToHashSet(StringComparer.Ordinal), parse.GetValue(latencyRate), parse.GetValue(intakeWarmup),
        parse.GetValue(latencyRepeats));
    var run = new RunInfo(DateTimeOffset.UtcNow, Git("rev-parse --short HEAD") + (Git("status --porcelain --untracked-files=no") is "" ? "" : "+changes"),
        $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})", Environment.ProcessorCount,
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), 1), RuntimeInformation.FrameworkDescription, parse.GetRequiredValue(label));

    await using var benchmark = new BenchmarkRun(options, TimeProvider.System);
    var directory = parse.GetRequiredValue(output);
    directory.Create();
    var name = $"{run.StartedAt:yyyy-MM-dd-HHmm}-{string.Concat(run.Label.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-'))}";
    string markdown, json;
    if (parse.GetValue(soakMinutes) is { } minutes)
    {
        var soakRate = parse.GetValue(rate) ?? throw new ArgumentException("A soak needs --sustained-rate (half the measured maximum).");
        var soak = await benchmark.SoakAsync(run, soakRate, TimeSpan.FromMinutes(minutes), TimeSpan.FromSeconds(10), cancellationToken);
        (markdown, json) = (ReportWriter.ToMarkdown(soak), ReportWriter.ToJson(soak));
    }
    else
    {
        var report = await benchmark.RunAsync(run, cancellationToken);
        (markdown, json) = (ReportWriter.ToMarkdown(report), ReportWriter.ToJson(report));
    }

    await File.WriteAllTextAsync(Path.Combine(directory.FullName, name + ".md"), markdown, cancellationToken);
    await File.WriteAllTextAsync(Path.Combine(directory.FullName, name + ".json"), json, cancellationToken);
    Console.WriteLine();
    Console.WriteLine(markdown);
    Console.WriteLine($"written: {Path.Combine(directory.FullName, name)}.md and .json");
    return 0;
});
return await root.Parse(args).InvokeAsync();

static string Git(string arguments)
{
    try
    {
        using var git = Process.Start(new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var text = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return git.ExitCode == 0 ? text : "unknown";
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return "unknown";
    }
}
