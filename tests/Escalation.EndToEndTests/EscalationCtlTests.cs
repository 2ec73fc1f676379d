using System.Diagnostics;
using System.Text.Json;

namespace Escalation.EndToEndTests;

/// <summary>The ops CLI (tools/Escalation.Ctl) as an operator runs it, against the real History service (issue 8).</summary>
public sealed class EscalationCtlTests(PlatformFixture platform)
{
    private readonly PlatformDriver _driver = new(platform);

    [Fact]
    public async Task History_case_asof_and_replay_print_tables_and_json()
    {
        var contact = PlatformDriver.CustomerContact($"ctl-{Guid.NewGuid():N}", "billing", "請求書の送付先を変更したいです", botConfidence: 0.7);
        var accepted = (await _driver.PostAsync(contact, null)).Body;
        var reference = accepted.Reference;

        var table = await RunAsync("history", reference, "--wait-for", "SlaClockStarted", "--timeout", "60");
        Assert.Equal(0, table.ExitCode);
        Assert.StartsWith($"Case {reference} ({accepted.CaseId})", table.Out);
        Assert.Contains("TicketOpened", table.Out);
        Assert.Contains("service:intake", table.Out);

        using var history = JsonDocument.Parse((await RunAsync("history", reference, "--json")).Out);
        var events = history.RootElement.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal("TicketOpened", events[0].GetProperty("type").GetString());
        Assert.Equal(Enumerable.Range(1, events.Count).Select(v => v.ToString()), events.Select(e => e.GetProperty("version").GetString()));

        var summary = await RunAsync("case", accepted.CaseId.ToString());
        Assert.Equal(0, summary.ExitCode);
        Assert.Contains(reference, summary.Out);
        Assert.Contains("FirstResponse", summary.Out);

        using var opened = JsonDocument.Parse((await RunAsync("asof", reference, "--version", "1", "--json")).Out);
        Assert.Equal("Open", opened.RootElement.GetProperty("summary").GetProperty("status").GetString());
        Assert.Equal("1", opened.RootElement.GetProperty("summary").GetProperty("version").GetString());

        var replay = await RunAsync("replay", reference, "--rules", PlatformFixture.ConfidentBotRulesVersion);
        Assert.Equal(0, replay.ExitCode);
        Assert.Contains("low-bot-confidence", replay.Out);
        Assert.Contains("1 difference", replay.Out);

        var draft = Path.Combine(platform.WorkDirectory, "draft-rules.json");
        await File.WriteAllTextAsync(draft, PlatformFixture.ConfidentBotRules(await File.ReadAllTextAsync(PlatformFixture.ShippedTriageRulesPath, TestContext.Current.CancellationToken)),
            TestContext.Current.CancellationToken);
        using var drafted = JsonDocument.Parse((await RunAsync("replay", reference, "--rules-file", draft, "--json")).Out);
        Assert.Single(drafted.RootElement.GetProperty("differences").EnumerateArray());
    }

    [Fact]
    public async Task Tail_kpi_projections_and_rebuild_work_for_scripts()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var category = $"ctl-{Guid.NewGuid():N}"[..16];
        var start = (await platform.HistoryAdmin.ListProjectionsAsync(new(), cancellationToken: cancellation)).HighWaterMark;
        var accepted = (await _driver.PostAsync(PlatformDriver.CustomerContact($"{category}-1", category, "住所変更をお願いします", channel: "Email"), null)).Body;
        await _driver.WaitForEventAsync(accepted.CaseId, "sla_clock_started");

        var tail = await RunAsync("tail", "--from", start.ToString(), "--category", category, "--until-caught-up", "--json");
        Assert.Equal(0, tail.ExitCode);
        var lines = tail.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var tailed = lines.Where(l => l.TryGetProperty("event", out _)).Select(l => l.GetProperty("event")).ToList();
        Assert.Contains(tailed, e => e.GetProperty("type").GetString() == "TicketOpened");
        Assert.All(tailed, e => Assert.Equal(accepted.CaseId.ToString(), e.GetProperty("caseId").GetString()));
        Assert.True(lines[^1].TryGetProperty("caughtUp", out _));

        var kpis = await _driver.PollAsync(async () =>
        {
            var run = await RunAsync("kpi", "--by", "category", "--json");
            using var json = JsonDocument.Parse(run.Out);
            return json.RootElement.GetProperty("rows").EnumerateArray().Any(r => r.GetProperty("key").GetString() == category) ? run.Out : null;
        }, "escalationctl kpi never showed the new category");
        Assert.Contains(category, kpis);
        // Polled too: other test classes rebuild case-records, which empties the records until the replay passes this case.
        var kpiTable = await _driver.PollAsync(async () => await RunAsync("kpi", "--by", "category") is var run && run.Out.Contains(category) ? run : null,
            "escalationctl kpi's table never showed the new category");
        Assert.Equal(0, kpiTable.ExitCode);

        var projections = await RunAsync("projections");
        Assert.Contains("case-records", projections.Out);

        // Only the instance that leads the relay rebuilds; other tests move the lead between History instances.
        var rebuild = await _driver.PollAsync(async () =>
        {
            var run = await RunAsync("rebuild", "case-records");
            return run.Err.Contains("does not run the projections", StringComparison.Ordinal) ? null : run;
        }, "the History instance never led the relay");
        Assert.Equal(0, rebuild.ExitCode);
        Assert.Matches(@"rebuilt case-records to position \d+", rebuild.Out);
    }

    [Fact]
    public async Task Keys_are_issued_listed_without_secrets_and_revoked_and_an_unknown_customer_cannot_be_erased()
    {
        var client = $"ctl-{Guid.NewGuid():N}";
        var issued = await RunAsync("keys", "issue", "--client", client, "--scope", "cases:read", "contacts:submit", "--channel", "Email");
        Assert.Equal(0, issued.ExitCode);
        var token = issued.Out.Trim();
        Assert.True(Escalation.Access.ApiKeyToken.TryParse(token, out var keyId, out var secret), issued.Out);

        var listed = await RunAsync("keys", "list", "--json");
        Assert.Equal(0, listed.ExitCode);
        var line = Assert.Single(listed.Out.Split('\n'), l => l.Contains(keyId));
        Assert.Contains("\"active\"", line);
        Assert.Contains("\"Email\"", line);
        Assert.DoesNotContain(secret, listed.Out);

        Assert.Equal(0, (await RunAsync("keys", "revoke", keyId)).ExitCode);
        Assert.Contains("\"revoked\"", Assert.Single((await RunAsync("keys", "list", "--json")).Out.Split('\n'), l => l.Contains(keyId)));
        Assert.Equal(2, (await RunAsync("keys", "issue", "--client", client, "--scope", "cases:delete")).ExitCode);

        var erase = await RunAsync("erase-customer", $"nobody-{client}");
        Assert.Equal(1, erase.ExitCode);
        Assert.Contains("NotFound", erase.Err);
    }

    [Fact]
    public async Task Bad_usage_exits_2_and_an_unknown_case_exits_1_with_one_line()
    {
        var asOf = await RunAsync("asof", "ESC-1");
        Assert.Equal(2, asOf.ExitCode);
        Assert.Contains("--at", asOf.Err);

        var unknown = await RunAsync("case", "ESC-0");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("ESC-0", unknown.Err);
        Assert.Single(unknown.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private sealed record Run(int ExitCode, string Out, string Err);

    private async Task<Run> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", [CtlAssembly, .. arguments, "--history-url", platform.HistoryGrpcAddress])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ESCALATION_API_KEY"] = platform.OperatorKey;
        start.Environment["ConnectionStrings__postgres"] = platform.Infrastructure.PostgresConnectionString;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return new Run(process.ExitCode, await output, await error);
    }

    private static string CtlAssembly
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            var path = Path.Combine(PlatformFixture.RepositoryRoot, "tools", "Escalation.Ctl", "bin", configuration, "net10.0", "escalationctl.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"Build the solution first: {path} is missing.");
        }
    }
}
