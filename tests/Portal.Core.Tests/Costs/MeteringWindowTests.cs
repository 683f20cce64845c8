using Portal.Core.Costs.Metering;

namespace Portal.Core.Tests.Costs;

public sealed class MeteringWindowTests
{
    private static DateTimeOffset At(int day, int hour, int minute = 0) => new(2026, 11, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void OnSchedule_OnlyTheHourJustEnded_IsMetered()
    {
        Assert.Equal([At(24, 9)], MeteringWindow.HoursToMeter(At(24, 8), At(24, 10, 5)));
    }

    [Fact]
    public void TheRunningHour_IsNeverMetered_AndAMeteredHourIsNotMeteredAgain()
    {
        Assert.Empty(MeteringWindow.HoursToMeter(At(24, 9), At(24, 10, 59)));
        Assert.Empty(MeteringWindow.HoursToMeter(At(24, 9), At(24, 10)));
        Assert.Equal([At(24, 10)], MeteringWindow.HoursToMeter(At(24, 9), At(24, 11)));
    }

    [Fact]
    public void ASixHourOutage_IsCaughtUp_OldestFirst()
    {
        // Last metered 03:00-04:00; the worker was down from 04:xx until 10:20.
        var hours = MeteringWindow.HoursToMeter(At(24, 3), At(24, 10, 20));

        Assert.Equal([At(24, 4), At(24, 5), At(24, 6), At(24, 7), At(24, 8), At(24, 9)], hours);
    }

    [Fact]
    public void CatchUp_IsBounded_ToTheMostRecentHours()
    {
        var hours = MeteringWindow.HoursToMeter(At(1, 0), At(24, 10), maxHours: 24);

        Assert.Equal(24, hours.Count);
        Assert.Equal(At(23, 10), hours[0]);
        Assert.Equal(At(24, 9), hours[^1]);
    }

    [Fact]
    public void NothingMeteredYet_StartsWithTheLastCompleteHour_AndOffsetsAreNormalisedToUtc()
    {
        var now = new DateTimeOffset(2026, 11, 24, 11, 30, 0, TimeSpan.FromHours(1)); // 10:30Z

        Assert.Equal([At(24, 9)], MeteringWindow.HoursToMeter(null, now));
        Assert.All(MeteringWindow.HoursToMeter(At(24, 5), now), h => Assert.Equal(TimeSpan.Zero, h.Offset));
    }
}
