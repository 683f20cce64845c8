using Portal.Core.Common;

namespace Portal.Core.Costs.Hibernation;

/// <summary>
/// When a node pool runs: on each of <paramref name="WorkingDays"/> (in the pool's IANA <paramref name="TimeZone"/>)
/// from <paramref name="Start"/> to <paramref name="End"/> local time. An <paramref name="End"/> earlier than
/// <paramref name="Start"/> is an overnight window: it begins on the working day and ends the next morning (a working
/// day is the day a window begins). Outside every window the pool is scaled to zero.
/// </summary>
public sealed record HibernationSchedule(string TimeZone, IReadOnlySet<DayOfWeek> WorkingDays, TimeOnly Start, TimeOnly End)
{
    public static readonly IReadOnlySet<DayOfWeek> MondayToFriday =
        new HashSet<DayOfWeek> { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday };

    public bool IsOvernight => End < Start;

    /// <summary>The zone; throws for an unknown id (validate with <see cref="Check"/> first).</summary>
    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    /// <summary>A valid schedule or a <see cref="DomainValidationException"/> naming the fields (under <paramref name="field"/>).</summary>
    public static HibernationSchedule Create(string timeZone, IEnumerable<DayOfWeek> workingDays, TimeOnly start, TimeOnly end, string field = "schedule")
    {
        var schedule = new HibernationSchedule(timeZone, workingDays.ToHashSet(), start, end);
        var errors = new ValidationErrors();
        Check(errors, field, schedule);
        errors.ThrowIfAny();
        return schedule;
    }

    public static void Check(ValidationErrors errors, string field, HibernationSchedule schedule)
    {
        if (string.IsNullOrWhiteSpace(schedule.TimeZone) || !TimeZoneInfo.TryFindSystemTimeZoneById(schedule.TimeZone, out _))
            errors.Add($"{field}.timeZone", $"'{schedule.TimeZone}' is not an IANA time zone such as Europe/Madrid.");
        if (schedule.WorkingDays.Count == 0) errors.Add($"{field}.workingDays", "name at least one day; a pool that never runs should be scaled to zero instead.");
        if (schedule.Start == schedule.End) errors.Add($"{field}.end", "must differ from start; a pool that always runs needs no schedule.");
        if (schedule.Start.Second != 0 || schedule.Start.Millisecond != 0) errors.Add($"{field}.start", "must be a whole minute (HH:mm).");
        if (schedule.End.Second != 0 || schedule.End.Millisecond != 0) errors.Add($"{field}.end", "must be a whole minute (HH:mm).");
    }
}

/// <summary>
/// A "wake early" click: the pool runs from <paramref name="WokenAt"/> until <paramref name="Until"/>, whatever the
/// schedule says. Built by <see cref="HibernationCalendar.Wake"/>.
/// </summary>
public sealed record WakeOverride(DateTimeOffset WokenAt, DateTimeOffset Until)
{
    public bool IsActiveAt(DateTimeOffset instant) => instant >= WokenAt && instant < Until;
}
