using Escalation.Contracts;
using NodaTime;

namespace Escalation.Routing.Directory;

/// <summary>Where an agent stands in the acknowledgement chain: agents first, then the team lead, then the manager.</summary>
public enum AgentRole { Agent, TeamLead, Manager }

/// <summary>Working hours on some days of the week, in the shift's time zone; an end before the start runs past midnight.</summary>
public sealed record ShiftPeriod(IReadOnlyList<DayOfWeek> Days, TimeOnly Start, TimeOnly End);

/// <summary>A weekly shift in an IANA time zone (e.g. <c>Asia/Tokyo</c>).</summary>
public sealed record Shift(string TimeZone, IReadOnlyList<ShiftPeriod> Periods)
{
    public static bool IsKnownZone(string id) => DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) is not null;

    /// <summary>Whether <paramref name="instant"/> falls in a period, read in the shift's own time zone.</summary>
    public bool Covers(DateTimeOffset instant)
    {
        var local = Instant.FromDateTimeOffset(instant).InZone(DateTimeZoneProviders.Tzdb[TimeZone]).LocalDateTime;
        var time = local.TimeOfDay.ToTimeOnly();
        var today = local.DayOfWeek.ToDayOfWeek();
        var yesterday = local.PlusDays(-1).DayOfWeek.ToDayOfWeek();
        return Periods.Any(p => p.Start < p.End
            ? p.Days.Contains(today) && time >= p.Start && time < p.End
            : (p.Days.Contains(today) && time >= p.Start) || (p.Days.Contains(yesterday) && time < p.End));
    }
}

/// <summary>Recent performance: resolution rate per category in [0, 1], and CSAT in [1, 5] when the channel supplies one.</summary>
public sealed record AgentPerformance(IReadOnlyDictionary<string, double> ResolutionRateByCategory, double? Csat);

/// <summary>An agent in the directory (a Marten document in the routing schema).</summary>
/// <param name="Id">Agent id, e.g. <c>aiko.tanaka</c>.</param>
/// <param name="Skills">Capabilities and products the agent handles (matched against the escalation's required capability and product).</param>
/// <param name="Languages">Language tags the agent serves (primary subtags compare: <c>ja</c> serves <c>ja-JP</c>).</param>
/// <param name="Shift">Working hours; null means always on shift (e.g. an on-call rotation).</param>
/// <param name="MaxConcurrent">Most open escalations the agent holds at once; routing never exceeds it.</param>
/// <param name="Available">The agent's own switch (break, meeting); unavailable agents get nothing new.</param>
/// <param name="LastAssignedAt">When routing last gave the agent an escalation (round robin among equals).</param>
/// <param name="Email">Where notification tells the agent of escalations routed to them (and, for leads and managers, of P1s and breaches).</param>
public sealed record AgentProfile(
    string Id,
    string Name,
    string Team,
    Tier Tier,
    AgentRole Role,
    IReadOnlyList<string> Skills,
    IReadOnlyList<string> Languages,
    Shift? Shift,
    int MaxConcurrent,
    bool Available,
    AgentPerformance? Performance,
    DateTimeOffset? LastAssignedAt = null,
    string? Email = null)
{
    public bool Speaks(string language) => Languages.Any(l => string.Equals(Primary(l), Primary(language), StringComparison.OrdinalIgnoreCase));

    public bool Has(string skill) => Skills.Contains(skill, StringComparer.OrdinalIgnoreCase);

    private static string Primary(string tag) => tag.Split('-', 2)[0];
}

internal static class NodaDays
{
    public static DayOfWeek ToDayOfWeek(this IsoDayOfWeek day) => day == IsoDayOfWeek.Sunday ? DayOfWeek.Sunday : (DayOfWeek)(int)day;
}
