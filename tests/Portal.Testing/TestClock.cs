namespace Portal.Testing;

/// <summary>
/// A clock tests move by hand, so expiry, last-used granularity and timestamps are exact instead of racing the wall
/// clock. Starts on a whole second (PostgreSQL keeps microseconds, SQLite keeps text: both round-trip it exactly).
/// </summary>
public sealed class TestClock : TimeProvider
{
    public static readonly DateTimeOffset DefaultStart = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private long _utcTicks;

    public TestClock(DateTimeOffset? start = null) => _utcTicks = (start ?? DefaultStart).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(by), "Time only moves forward.");
        Interlocked.Add(ref _utcTicks, by.Ticks);
    }

    public void SetUtcNow(DateTimeOffset now) => Interlocked.Exchange(ref _utcTicks, now.UtcTicks);
}
