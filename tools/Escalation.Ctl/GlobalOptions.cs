using System.CommandLine;
using System.CommandLine.Parsing;

namespace Escalation.Ctl;

/// <summary>The options every command takes: where History's gRPC endpoint is, the API key, and whether to print JSON.</summary>
internal sealed class GlobalOptions
{
    private const string HistoryUrlVariable = "ESCALATION_HISTORY_URL";
    private const string ApiKeyVariable = "ESCALATION_API_KEY";
    private const string DefaultHistoryUrl = "http://localhost:5107";

    public Option<Uri> HistoryUrl { get; } = new("--history-url")
    {
        Description = $"History's gRPC endpoint (or set ${HistoryUrlVariable})",
        HelpName = "url",
        Recursive = true,
        CustomParser = result => ToHistoryUrl(result.Tokens[0].Value, "--history-url", result),
        DefaultValueFactory = result => Environment.GetEnvironmentVariable(HistoryUrlVariable) is { } fromEnvironment
            ? ToHistoryUrl(fromEnvironment, $"${HistoryUrlVariable}", result)
            : new Uri(DefaultHistoryUrl),
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = $"An API key with scope cases:read (platform:admin for projections, rebuild and erase-customer); or set ${ApiKeyVariable}",
        HelpName = "key",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ApiKeyVariable),
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON instead of tables: one document, or one object per line for streams",
        Recursive = true,
    };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(HistoryUrl);
        root.Options.Add(ApiKey);
        root.Options.Add(Json);
    }

    private static Uri ToHistoryUrl(string text, string source, ArgumentResult result)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            return url;
        }

        result.AddError($"{source}: '{text}' is not an http:// or https:// URL.");
        return new Uri(DefaultHistoryUrl);
    }
}
