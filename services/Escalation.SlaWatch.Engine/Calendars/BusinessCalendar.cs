using NodaTime;

namespace Escalation.SlaWatch.Engine.Calendars;

/// <summary>Opening hours on one day: several periods (a lunch break splits the day); an end before the start runs past midnight.</summary>
public sealed record OpeningPeriod(LocalTime Start, LocalTime End);

/// <summary>
/// A business calendar in one time zone: weekly opening periods and closed dates (holidays). Elapsed SLA time counts
/// only open time. <see cref="AlwaysOpen"/> calendars (24×7) count every instant.
/// </summary>
/// <remarks>
/// Local times are mapped to instants leniently: a period starting in a daylight-saving gap starts when the clocks
/// resume; in an overlap the earlier instant wins. A holiday closes the periods that start on that local date
/// (an overnight period started the evening before still runs).
/// </remarks>
public sealed class BusinessCalendar
{
    private static readonly Duration MaxSearch = Duration.FromDays(3 * 366);

    private readonly IReadOnlyDictionary<IsoDayOfWeek, IReadOnlyList<OpeningPeriod>> _week;
    private readonly HashSet<LocalDate> _holidays;

    public BusinessCalendar(string id, DateTimeZone zone, bool alwaysOpen, IReadOnlyDictionary<IsoDayOfWeek, IReadOnlyList<OpeningPeriod>> week,
        IEnumerable<LocalDate> holidays)
    {
        Id = id;
        Zone = zone;
        AlwaysOpen = alwaysOpen;
        _week = week;
        _holidays = holidays.ToHashSet();
        if (!alwaysOpen && !week.Values.Any(periods => periods.Count > 0))
        {
            throw new InvalidOperationException($"Calendar {id} is never open.");
        }
    }

    public string Id { get; }
    public DateTimeZone Zone { get; }
    public bool AlwaysOpen { get; }

    public static BusinessCalendar TwentyFourSeven { get; } = new("24x7", DateTimeZone.Utc, alwaysOpen: true, new Dictionary<IsoDayOfWeek, IReadOnlyList<OpeningPeriod>>(), []);

    /// <summary>The instant at which <paramref name="amount"/> of open time has passed since <paramref name="start"/>.</summary>
    public Instant Add(Instant start, Duration amount)
    {
        if (amount <= Duration.Zero)
        {
            return start;
        }

        if (AlwaysOpen)
        {
            return start + amount;
        }

        var left = amount;
        foreach (var open in OpenIntervals(start))
        {
            var length = open.End - open.Start;
            if (left <= length)
            {
                return open.Start + left;
            }

            left -= length;
        }

        throw new InvalidOperationException($"Calendar {Id} has no {amount} of open time within three years of {start}.");
    }

    /// <summary>Open time between two instants (zero when <paramref name="to"/> is not after <paramref name="from"/>).</summary>
    public Duration Between(Instant from, Instant to)
    {
        if (to <= from)
        {
            return Duration.Zero;
        }

        if (AlwaysOpen)
        {
            return to - from;
        }

        var total = Duration.Zero;
        foreach (var open in OpenIntervals(from))
        {
            if (open.Start >= to)
            {
                break;
            }

            total += (open.End < to ? open.End : to) - open.Start;
        }

        return total;
    }

    /// <summary>Open intervals in order, the first clipped to start no earlier than <paramref name="from"/>.</summary>
    private IEnumerable<(Instant Start, Instant End)> OpenIntervals(Instant from)
    {
        var day = from.InZone(Zone).Date.PlusDays(-1); // an overnight period of the day before may still be open
        var limit = from + MaxSearch;
        for (; day.AtStartOfDayInZone(Zone).ToInstant() < limit; day = day.PlusDays(1))
        {
            if (_holidays.Contains(day) || !_week.TryGetValue(day.DayOfWeek, out var periods))
            {
                continue;
            }

            foreach (var period in periods.OrderBy(p => p.Start))
            {
                var start = (day + period.Start).InZoneLeniently(Zone).ToInstant();
                var endDate = period.End > period.Start ? day : day.PlusDays(1);
                var end = (endDate + period.End).InZoneLeniently(Zone).ToInstant();
                if (end <= from || end <= start)
                {
                    continue;
                }

                yield return (start < from ? from : start, end);
            }
        }
    }
}
