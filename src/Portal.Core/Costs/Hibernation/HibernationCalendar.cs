namespace Portal.Core.Costs.Hibernation;

/// <summary>A running window in UTC, from the schedule's local start to its local end.</summary>
public readonly record struct RunWindow(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;
}

/// <summary>
/// The schedule's arithmetic, in UTC instants so DST is handled once, in <see cref="ToUtc"/>:
/// a local time skipped by a spring-forward change is moved later by the gap (02:30 on the night Madrid jumps from
/// 02:00 to 03:00 means 03:30 CEST), and a local time that happens twice in an autumn change means its first
/// occurrence. Every answer is derived from the same windows, so <see cref="ShouldRun"/> and
/// <see cref="NextTransition"/> never disagree.
/// </summary>
public static class HibernationCalendar
{
    /// <summary>The longest a wake lasts when the schedule's next transition is further away (a Saturday click does not run the weekend).</summary>
    public static readonly TimeSpan DefaultMaxWake = TimeSpan.FromHours(12);

    public static bool ShouldRun(HibernationSchedule schedule, DateTimeOffset instant) => WindowAt(schedule, instant) is not null;

    /// <summary>The schedule says run, or an early wake is still in force.</summary>
    public static bool ShouldRun(HibernationSchedule schedule, WakeOverride? wake, DateTimeOffset instant) =>
        ShouldRun(schedule, instant) || (wake?.IsActiveAt(instant) ?? false);

    /// <summary>The window the instant falls in, if any.</summary>
    public static RunWindow? WindowAt(HibernationSchedule schedule, DateTimeOffset instant)
    {
        var zone = schedule.Zone;
        var localDate = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
        // A window that contains the instant began today or (overnight, or across a DST shift) yesterday.
        foreach (var window in WindowsStarting(schedule, zone, localDate.AddDays(-1), localDate))
            if (window.Contains(instant)) return window;
        return null;
    }

    /// <summary>
    /// The next instant after <paramref name="instant"/> at which the schedule switches the pool on or off, with the
    /// state it switches to; null when the schedule has no working days.
    /// </summary>
    public static (DateTimeOffset At, bool Runs)? NextTransition(HibernationSchedule schedule, DateTimeOffset instant)
    {
        if (schedule.WorkingDays.Count == 0) return null;
        var zone = schedule.Zone;
        var localDate = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
        // Eight days ahead always holds a working day's window.
        foreach (var window in WindowsStarting(schedule, zone, localDate.AddDays(-1), localDate.AddDays(8)))
        {
            if (window.Start > instant) return (window.Start, true);
            if (window.End > instant) return (window.End, false);
        }
        return null;
    }

    /// <summary>
    /// "Wake early": a pool woken while asleep runs until the schedule's next transition (its next start: from then on
    /// the schedule keeps it running until the window's end, as on any day), but no longer than
    /// <paramref name="maxWake"/> (default 12 h), so a click on Saturday does not keep a pool up until Monday evening.
    /// Waking a running pool changes nothing and returns null.
    /// </summary>
    public static WakeOverride? Wake(HibernationSchedule schedule, DateTimeOffset now, TimeSpan? maxWake = null)
    {
        if (ShouldRun(schedule, now)) return null;
        var cap = now + (maxWake ?? DefaultMaxWake);
        var until = NextTransition(schedule, now) is { } next && next.At < cap ? next.At : cap;
        return new WakeOverride(now, until);
    }

    /// <summary>The windows beginning on local dates <paramref name="from"/>..<paramref name="to"/>, in order.</summary>
    public static IEnumerable<RunWindow> WindowsStarting(HibernationSchedule schedule, TimeZoneInfo zone, DateOnly from, DateOnly to)
    {
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            if (!schedule.WorkingDays.Contains(day.DayOfWeek)) continue;
            var start = ToUtc(zone, day.ToDateTime(schedule.Start));
            var end = ToUtc(zone, (schedule.IsOvernight ? day.AddDays(1) : day).ToDateTime(schedule.End));
            if (end > start) yield return new RunWindow(start, end);
        }
    }

    /// <summary>Hours the schedule keeps the pool running between two instants (the parts of windows inside them).</summary>
    public static decimal RunningHours(HibernationSchedule schedule, DateTimeOffset from, DateTimeOffset to)
    {
        var zone = schedule.Zone;
        var first = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, zone).DateTime).AddDays(-1);
        var last = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to, zone).DateTime);
        var ticks = 0L;
        foreach (var window in WindowsStarting(schedule, zone, first, last))
        {
            var start = window.Start > from ? window.Start : from;
            var end = window.End < to ? window.End : to;
            if (end > start) ticks += (end - start).Ticks;
        }
        return (decimal)ticks / TimeSpan.TicksPerHour;
    }

    /// <summary>A wall-clock time in the zone as a UTC instant, with the DST rules in the class summary.</summary>
    public static DateTimeOffset ToUtc(TimeZoneInfo zone, DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        TimeSpan offset;
        if (zone.IsInvalidTime(local))
            // The offset in force just before the gap: applying it lands as far past the gap's start as the time was.
            offset = zone.GetUtcOffset(local.AddDays(-1));
        else if (zone.IsAmbiguousTime(local))
            offset = zone.GetAmbiguousTimeOffsets(local).Max(); // the larger offset is the earlier instant
        else
            offset = zone.GetUtcOffset(local);
        return new DateTimeOffset(local.Ticks - offset.Ticks, TimeSpan.Zero);
    }
}
