using System.Globalization;

namespace Portal.Core.Costs.Hibernation;

/// <summary>Schedules and switch times in words, the same on the cluster page, the cost page, events and the API.</summary>
public static class HibernationText
{
    private static readonly DayOfWeek[] Week =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    /// <summary>"Mon–Fri 08:00–18:00 Europe/Madrid"; runs of consecutive days are joined ("Mon–Wed, Fri").</summary>
    public static string Describe(HibernationSchedule schedule) =>
        $"{Days(schedule.WorkingDays)} {Time(schedule.Start)}–{Time(schedule.End)}{(schedule.IsOvernight ? " (overnight)" : "")} {schedule.TimeZone}";

    /// <summary>An instant as the schedule's local weekday and time: "Mon 08:00 Europe/Madrid".</summary>
    public static string LocalTime(HibernationSchedule schedule, DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, schedule.Zone);
        return $"{Short(local.DayOfWeek)} {local.ToString("HH:mm", CultureInfo.InvariantCulture)} {schedule.TimeZone}";
    }

    public static string Days(IReadOnlySet<DayOfWeek> days)
    {
        if (days.Count == 7) return "every day";
        var runs = new List<string>();
        for (var i = 0; i < Week.Length; i++)
        {
            if (!days.Contains(Week[i])) continue;
            var j = i;
            while (j + 1 < Week.Length && days.Contains(Week[j + 1])) j++;
            runs.Add(j == i ? Short(Week[i]) : j == i + 1 ? $"{Short(Week[i])}, {Short(Week[j])}" : $"{Short(Week[i])}–{Short(Week[j])}");
            i = j;
        }
        return string.Join(", ", runs);
    }

    private static string Short(DayOfWeek day) => day.ToString()[..3];

    private static string Time(TimeOnly time) => time.ToString("HH:mm", CultureInfo.InvariantCulture);
}
