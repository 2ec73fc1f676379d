using System.Diagnostics;

namespace Escalation.Bench.Limits;

/// <summary>Warm-up followed by the measured interval; operations finishing outside the interval are not counted.</summary>
internal sealed class MeasuredWindow(TimeSpan warmup, TimeSpan duration)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public bool HasEnded => _clock.Elapsed >= warmup + duration;

    public bool IsOpen => _clock.Elapsed is var now && now >= warmup && now < warmup + duration;
}

internal static class Payloads
{
    /// <summary>A JSON object of about <paramref name="length"/> characters, shaped like a small case event.</summary>
    public static string JsonOfLength(int length)
    {
        const string start = "{\"type\":\"ContactReceived\",\"channel\":\"Chat\",\"author\":\"Customer\",\"text\":\"";
        const string end = "\"}";
        return start + new string('x', length - start.Length - end.Length) + end;
    }
}
