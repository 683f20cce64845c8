using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Portal.Core.Costs.Hibernation;

namespace Portal.Core.Persistence;

/// <summary>
/// A node pool's schedule as one JSON text column (<c>{"timeZone":"Europe/Madrid","workingDays":["monday"],"start":"08:00","end":"18:00"}</c>):
/// the same on SQLite and PostgreSQL, never queried inside (the hibernation job evaluates schedules in C#).
/// </summary>
internal static class HibernationScheduleColumn
{
    private sealed record Stored(string TimeZone, string[] WorkingDays, string Start, string End);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static readonly ValueConverter<HibernationSchedule?, string> Converter = new(s => Write(s!), s => Read(s));

    // Records compare their day sets by reference; compare what is stored instead.
    public static readonly ValueComparer<HibernationSchedule?> Comparer = new(
        (a, b) => (a == null ? null : Write(a)) == (b == null ? null : Write(b)),
        s => s == null ? 0 : Write(s).GetHashCode(StringComparison.Ordinal),
        s => s == null ? null : Read(Write(s)));

    public static string Write(HibernationSchedule schedule) => JsonSerializer.Serialize(new Stored(
        schedule.TimeZone,
        [.. schedule.WorkingDays.Order().Select(d => d.ToString().ToLowerInvariant())],
        schedule.Start.ToString("HH:mm", CultureInfo.InvariantCulture),
        schedule.End.ToString("HH:mm", CultureInfo.InvariantCulture)), Json);

    public static HibernationSchedule Read(string text)
    {
        var stored = JsonSerializer.Deserialize<Stored>(text, Json)!;
        return new HibernationSchedule(stored.TimeZone,
            stored.WorkingDays.Select(d => Enum.Parse<DayOfWeek>(d, ignoreCase: true)).ToHashSet(),
            TimeOnly.ParseExact(stored.Start, "HH:mm", CultureInfo.InvariantCulture),
            TimeOnly.ParseExact(stored.End, "HH:mm", CultureInfo.InvariantCulture));
    }
}
