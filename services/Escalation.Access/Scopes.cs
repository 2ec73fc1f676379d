namespace Escalation.Access;

/// <summary>What an API key may do. A key carries one or more; each HTTP and gRPC endpoint requires one.</summary>
public static class Scopes
{
    /// <summary>Submit contacts to Intake (an upstream channel: phone, email, chat, chatbot, social, help desk).</summary>
    public const string ContactsSubmit = "contacts:submit";

    /// <summary>Read case histories, subscribe to the case feed, read KPIs, the routing directory and matrix.</summary>
    public const string CasesRead = "cases:read";

    /// <summary>Act on cases and escalations as an agent or supervisor (accept, resolve, close, reopen, …).</summary>
    public const string CasesWrite = "cases:write";

    /// <summary>Change the routing directory and matrix; replay and rebuild projections.</summary>
    public const string PlatformAdmin = "platform:admin";

    public static readonly IReadOnlyList<string> All = [ContactsSubmit, CasesRead, CasesWrite, PlatformAdmin];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}
