namespace Portal.Core.Costs.Metering;

public static class MeteringWindow
{
    /// <summary>
    /// The whole UTC hours to meter now, oldest first: every hour that has ended since the last metered one
    /// (<paramref name="lastMetered"/> is that hour's start; null = nothing metered yet, so only the hour just ended).
    /// After downtime this returns the missed hours too (catch-up), but never more than <paramref name="maxHours"/>:
    /// the oldest are dropped, since the state they would be metered from is only what is observed now.
    /// </summary>
    public static IReadOnlyList<DateTimeOffset> HoursToMeter(DateTimeOffset? lastMetered, DateTimeOffset now, int maxHours = 24 * 7)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHours, 1);
        var current = StartOfHour(now);           // still running: not metered until it ends
        var lastComplete = current.AddHours(-1);
        var first = lastMetered is { } last ? StartOfHour(last).AddHours(1) : lastComplete;
        var earliest = current.AddHours(-maxHours);
        if (first < earliest) first = earliest;
        var hours = new List<DateTimeOffset>();
        for (var h = first; h <= lastComplete; h = h.AddHours(1)) hours.Add(h);
        return hours;
    }

    /// <summary>The UTC hour containing the instant.</summary>
    public static DateTimeOffset StartOfHour(DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerHour, TimeSpan.Zero);
    }
}
