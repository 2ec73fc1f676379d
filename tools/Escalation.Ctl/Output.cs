using Google.Protobuf;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Escalation.Ctl;

/// <summary>Where a command prints: tables through Spectre.Console, or protobuf JSON with --json.</summary>
internal sealed class Output(bool json)
{
    private static readonly JsonFormatter ProtoJson = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    // Without a terminal Spectre assumes 80 columns and would wrap wide tables.
    private const int RedirectedWidth = 1000;

    public bool Json { get; } = json;

    /// <summary>A person is watching a terminal: colours and live progress bars make sense.</summary>
    public bool IsInteractive => !Json && !Console.IsOutputRedirected;

    public void WriteJson(IMessage message) => Console.Out.WriteLine(ProtoJson.Format(message));

    public void WriteLine(string text = "") => Console.Out.WriteLine(text);

    /// <summary>Writes a table or grid; into a file or pipe as plain text without ANSI codes, padding or blank border rows.</summary>
    public void Write(IRenderable renderable)
    {
        if (!Console.IsOutputRedirected)
        {
            AnsiConsole.Write(renderable);
            return;
        }

        var text = new StringWriter();
        var plain = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        plain.Profile.Width = RedirectedWidth;
        plain.Write(renderable);
        foreach (var line in text.ToString().Split('\n').Select(line => line.TrimEnd()).Where(line => line.Length > 0))
        {
            Console.Out.WriteLine(line);
        }
    }
}
