namespace Escalation.Ctl;

internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The case, rules version or projection was not found, or the service failed.</summary>
    public const int Failed = 1;

    public const int BadUsage = 2;

    /// <summary>Stopped with Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
