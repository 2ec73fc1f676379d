using System.Text.Json;
using System.Text.Json.Serialization;
using Escalation.Contracts;
using Escalation.SlaWatch.Engine.Calendars;
using NodaTime;

namespace Escalation.SlaWatch.Engine;

public sealed record PeriodJson(TimeOnly Start, TimeOnly End);

public sealed record CalendarJson(string TimeZone, bool AlwaysOpen, IReadOnlyDictionary<DayOfWeek, IReadOnlyList<PeriodJson>> Week, IReadOnlyList<DateOnly> Holidays);

/// <summary>Targets for a priority (and optionally a tier or category); the most specific entry wins.</summary>
public sealed record SlaTarget(
    Priority Priority,
    Tier? Tier,
    string? Category,
    string Calendar,
    TimeSpan FirstResponse,
    TimeSpan NextResponse,
    TimeSpan Resolution,
    TimeSpan EscalationAcknowledgement)
{
    public TimeSpan For(SlaMetric metric) => metric switch
    {
        SlaMetric.FirstResponse => FirstResponse,
        SlaMetric.NextResponse => NextResponse,
        SlaMetric.Resolution => Resolution,
        _ => EscalationAcknowledgement,
    };
}

/// <summary>
/// A versioned SLA policy (Policies/sla-policy.json): targets per priority × tier (× category), the calendars they
/// count in, warning thresholds, the priority a case has before any escalation, and whether the resolution clock
/// pauses while the case waits on the customer. Every clock records the policy id, version and calendar.
/// </summary>
public sealed record SlaPolicy(
    string Id,
    int Version,
    IReadOnlyList<int> Thresholds,
    IReadOnlyDictionary<CustomerTier, Priority> InitialPriority,
    bool PauseResolutionWhileAwaitingCustomer,
    IReadOnlyDictionary<string, CalendarJson> Calendars,
    IReadOnlyList<SlaTarget> Targets)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
    };

    private IReadOnlyDictionary<string, BusinessCalendar>? _compiled;

    public static SlaPolicy Load(string path) => Parse(File.ReadAllText(path), path);

    public static SlaPolicy Parse(string json, string source = "policy")
    {
        try
        {
            var policy = JsonSerializer.Deserialize<SlaPolicy>(json, Json) ?? throw new InvalidOperationException($"SLA policy {source} is empty.");
            return policy.Validated(source);
        }
        catch (JsonException error)
        {
            throw new InvalidOperationException($"SLA policy {source} is not valid: {error.Message}", error);
        }
    }

    public BusinessCalendar Calendar(string id) => (_compiled ??= Compile())[id];

    /// <summary>The most specific target for the case's priority, tier and category.</summary>
    public SlaTarget TargetFor(Priority priority, Tier tier, string category) => Targets
        .Where(t => t.Priority == priority && (t.Tier is null || t.Tier == tier) && (t.Category is null || string.Equals(t.Category, category, StringComparison.OrdinalIgnoreCase)))
        .OrderByDescending(t => (t.Category is null ? 0 : 2) + (t.Tier is null ? 0 : 1))
        .First();

    public Priority InitialPriorityOf(CustomerTier tier) => InitialPriority.TryGetValue(tier, out var p) ? p : Priority.P4;

    private SlaPolicy Validated(string source)
    {
        var problems = new List<string>();
        if (Thresholds.Any(t => t is < 1 or > 99) || Thresholds.Distinct().Count() != Thresholds.Count) problems.Add("thresholds must be distinct percentages in [1, 99]");
        problems.AddRange(Enum.GetValues<Priority>().Where(p => !Targets.Any(t => t.Priority == p && t.Tier is null && t.Category is null))
            .Select(p => $"no catch-all target for {p} (tier and category null)"));
        problems.AddRange(Targets.Where(t => !Calendars.ContainsKey(t.Calendar)).Select(t => $"target {t.Priority} names unknown calendar '{t.Calendar}'"));
        problems.AddRange(Targets.Where(t => new[] { t.FirstResponse, t.NextResponse, t.Resolution, t.EscalationAcknowledgement }.Any(d => d <= TimeSpan.Zero))
            .Select(t => $"target {t.Priority} has a non-positive duration"));
        foreach (var (id, calendar) in Calendars)
        {
            if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(calendar.TimeZone) is null) problems.Add($"calendar '{id}': unknown time zone '{calendar.TimeZone}'");
            foreach (var (day, periods) in calendar.Week)
            {
                var sorted = periods.OrderBy(p => p.Start).ToList();
                if (sorted.Zip(sorted.Skip(1)).Any(pair => pair.First.End > pair.Second.Start || pair.First.End < pair.First.Start))
                {
                    problems.Add($"calendar '{id}' {day}: periods overlap (only the last period of a day may run past midnight)");
                }
            }
        }

        if (problems.Count == 0)
        {
            try
            {
                _ = Compile();
            }
            catch (InvalidOperationException error)
            {
                problems.Add(error.Message);
            }
        }

        return problems.Count == 0 ? this : throw new InvalidOperationException($"SLA policy {source} is not valid: {string.Join("; ", problems)}.");
    }

    private Dictionary<string, BusinessCalendar> Compile() => Calendars.ToDictionary(c => c.Key, c => c.Value.AlwaysOpen
        ? new BusinessCalendar(c.Key, DateTimeZoneProviders.Tzdb[c.Value.TimeZone], true, new Dictionary<IsoDayOfWeek, IReadOnlyList<OpeningPeriod>>(), [])
        : new BusinessCalendar(c.Key, DateTimeZoneProviders.Tzdb[c.Value.TimeZone], false,
            c.Value.Week.ToDictionary(d => d.Key == DayOfWeek.Sunday ? IsoDayOfWeek.Sunday : (IsoDayOfWeek)(int)d.Key,
                d => (IReadOnlyList<OpeningPeriod>)d.Value.Select(p => new OpeningPeriod(LocalTime.FromTimeOnly(p.Start), LocalTime.FromTimeOnly(p.End))).ToList()),
            c.Value.Holidays.Select(LocalDate.FromDateOnly)));
}
