using CsCheck;
using Portal.Core.Common;
using Portal.Core.Costs;
using Portal.Core.Costs.Budgets;
using Portal.Core.Costs.Hibernation;

namespace Portal.Core.Tests.Costs;

public sealed class HibernationTests
{
    private static readonly HibernationSchedule MadridOffice = HibernationSchedule.Create("Europe/Madrid", HibernationSchedule.MondayToFriday, new TimeOnly(8, 0), new TimeOnly(20, 0));
    private static readonly HibernationSchedule NewYorkOffice = HibernationSchedule.Create("America/New_York", HibernationSchedule.MondayToFriday, new TimeOnly(9, 0), new TimeOnly(17, 0));
    private static readonly HibernationSchedule MadridNightlyBatch = HibernationSchedule.Create("Europe/Madrid", Enum.GetValues<DayOfWeek>(), new TimeOnly(22, 0), new TimeOnly(6, 0));

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void Madrid_OfficeHours_FollowTheWallClock_AcrossTheSpringChange()
    {
        // Friday 27 March is CET (UTC+1); Madrid moves to CEST (UTC+2) on Sunday 29 March at 02:00.
        Assert.True(HibernationCalendar.ShouldRun(MadridOffice, Utc(3, 27, 7, 30)));    // 08:30 CET
        Assert.False(HibernationCalendar.ShouldRun(MadridOffice, Utc(3, 27, 19, 30)));  // 20:30 CET
        Assert.False(HibernationCalendar.ShouldRun(MadridOffice, Utc(3, 28, 12, 0)));   // Saturday
        Assert.False(HibernationCalendar.ShouldRun(MadridOffice, Utc(3, 30, 5, 30)));   // Monday 07:30 CEST
        Assert.True(HibernationCalendar.ShouldRun(MadridOffice, Utc(3, 30, 6, 0)));     // Monday 08:00 CEST

        // The weekend sleep is one hour shorter: Friday 19:00Z to Monday 06:00Z.
        Assert.Equal((Utc(3, 30, 6, 0), true), HibernationCalendar.NextTransition(MadridOffice, Utc(3, 27, 19, 0)));
        Assert.Equal((Utc(3, 27, 19, 0), false), HibernationCalendar.NextTransition(MadridOffice, Utc(3, 27, 12, 0)));
    }

    [Fact]
    public void Madrid_OvernightWindow_IsAnHourShorterInSpring_AndAnHourLongerInAutumn()
    {
        // Saturday 28 March 22:00 CET → Sunday 06:00 CEST: 7 hours. Saturday 24 October 22:00 CEST → Sunday 06:00 CET: 9 hours.
        Assert.Equal(new RunWindow(Utc(3, 28, 21, 0), Utc(3, 29, 4, 0)), HibernationCalendar.WindowAt(MadridNightlyBatch, Utc(3, 29, 1, 30)));
        Assert.Equal(7m, HibernationCalendar.RunningHours(MadridNightlyBatch, Utc(3, 28, 12, 0), Utc(3, 29, 12, 0)));
        Assert.Equal(new RunWindow(Utc(10, 24, 20, 0), Utc(10, 25, 5, 0)), HibernationCalendar.WindowAt(MadridNightlyBatch, Utc(10, 25, 1, 30)));
        Assert.Equal(9m, HibernationCalendar.RunningHours(MadridNightlyBatch, Utc(10, 24, 12, 0), Utc(10, 25, 12, 0)));
        // Overnight: the window begun the evening before still runs in the early morning.
        Assert.True(HibernationCalendar.ShouldRun(MadridNightlyBatch, Utc(1, 14, 4, 0)));   // 05:00 CET
        Assert.False(HibernationCalendar.ShouldRun(MadridNightlyBatch, Utc(1, 14, 6, 0)));  // 07:00 CET
    }

    [Fact]
    public void ALocalTimeSkippedOrRepeatedByDst_HasOneDefinedInstant()
    {
        var madrid = TimeZoneInfo.FindSystemTimeZoneById("Europe/Madrid");

        // 02:30 does not exist on 29 March: it is moved later by the gap, to 03:30 CEST.
        Assert.Equal(Utc(3, 29, 1, 30), HibernationCalendar.ToUtc(madrid, new DateTime(2026, 3, 29, 2, 30, 0)));
        // 02:30 happens twice on 25 October: the first one (CEST) is meant.
        Assert.Equal(Utc(10, 25, 0, 30), HibernationCalendar.ToUtc(madrid, new DateTime(2026, 10, 25, 2, 30, 0)));

        var earlyStart = HibernationSchedule.Create("Europe/Madrid", [DayOfWeek.Sunday], new TimeOnly(2, 30), new TimeOnly(4, 0));
        Assert.Equal(new RunWindow(Utc(3, 29, 1, 30), Utc(3, 29, 2, 0)), HibernationCalendar.WindowAt(earlyStart, Utc(3, 29, 1, 45)));
        Assert.Equal(new RunWindow(Utc(10, 25, 0, 30), Utc(10, 25, 3, 0)), HibernationCalendar.WindowAt(earlyStart, Utc(10, 25, 1, 0)));
    }

    [Fact]
    public void NewYork_OfficeHours_AcrossBothChanges()
    {
        // New York: EDT from Sunday 8 March, EST again from Sunday 1 November.
        Assert.Equal((Utc(3, 9, 13, 0), true), HibernationCalendar.NextTransition(NewYorkOffice, Utc(3, 6, 22, 0)));   // Fri 17:00 EST → Mon 09:00 EDT
        Assert.True(HibernationCalendar.ShouldRun(NewYorkOffice, Utc(3, 6, 21, 59)));
        Assert.False(HibernationCalendar.ShouldRun(NewYorkOffice, Utc(3, 6, 22, 0)));                              // the end is exclusive
        Assert.Equal((Utc(3, 9, 21, 0), false), HibernationCalendar.NextTransition(NewYorkOffice, Utc(3, 9, 13, 0)));
        Assert.Equal((Utc(11, 2, 14, 0), true), HibernationCalendar.NextTransition(NewYorkOffice, Utc(10, 30, 21, 0))); // Fri 17:00 EDT → Mon 09:00 EST
        Assert.True(HibernationCalendar.ShouldRun(NewYorkOffice, Utc(11, 2, 14, 0)));
        Assert.False(HibernationCalendar.ShouldRun(NewYorkOffice, Utc(11, 2, 13, 59)));
    }

    [Fact]
    public void ShouldRunAndNextTransition_NeverDisagree_AnyZoneAnyScheduleAnyInstant()
    {
        var genSchedule = Gen.Select(Gen.OneOf("Europe/Madrid", "America/New_York", "Australia/Lord_Howe", "UTC"),
            Gen.Enum<DayOfWeek>().HashSet[1, 7], Gen.Int[0, 47], Gen.Int[0, 47],
            (zone, days, start, end) => new HibernationSchedule(zone, days, new TimeOnly(start / 2, start % 2 * 30), new TimeOnly(end / 2, end % 2 * 30)))
            .Where(s => s.Start != s.End);
        var genInstant = Gen.Int[0, 365 * 24 * 4].Select(q => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(15 * q + 7));

        Gen.Select(genSchedule, genInstant).Sample((schedule, instant) =>
        {
            var now = HibernationCalendar.ShouldRun(schedule, instant);
            var next = HibernationCalendar.NextTransition(schedule, instant);
            Assert.NotNull(next);
            Assert.True(next.Value.At > instant);
            Assert.Equal(!now, next.Value.Runs);
            Assert.Equal(next.Value.Runs, HibernationCalendar.ShouldRun(schedule, next.Value.At));
            Assert.Equal(now, HibernationCalendar.ShouldRun(schedule, next.Value.At.AddTicks(-1)));
        });
    }

    [Fact]
    public void WakingEarly_RunsUntilTheScheduledStart_ThenTheScheduleTakesOver()
    {
        // Tuesday 24 November 07:00 CET, an hour before the window.
        var wake = HibernationCalendar.Wake(MadridOffice, Utc(11, 24, 6, 0));

        Assert.Equal(new WakeOverride(Utc(11, 24, 6, 0), Utc(11, 24, 7, 0)), wake);
        Assert.True(HibernationCalendar.ShouldRun(MadridOffice, wake, Utc(11, 24, 6, 30)));
        Assert.True(HibernationCalendar.ShouldRun(MadridOffice, wake, Utc(11, 24, 12, 0)));   // the schedule's own window
        Assert.False(HibernationCalendar.ShouldRun(MadridOffice, wake, Utc(11, 24, 19, 0)));  // and it ends as usual
    }

    [Fact]
    public void WakingOnAWeekend_IsCapped_AndWakingARunningPool_ChangesNothing()
    {
        // Saturday 28 November 10:00 CET: the next start is Monday, the wake ends after 12 hours.
        var saturday = HibernationCalendar.Wake(MadridOffice, Utc(11, 28, 9, 0));
        Assert.Equal(Utc(11, 28, 21, 0), saturday!.Until);
        Assert.False(HibernationCalendar.ShouldRun(MadridOffice, saturday, Utc(11, 28, 21, 0)));
        Assert.Equal(Utc(11, 28, 13, 0), HibernationCalendar.Wake(MadridOffice, Utc(11, 28, 9, 0), TimeSpan.FromHours(4))!.Until);

        Assert.Null(HibernationCalendar.Wake(MadridOffice, Utc(11, 24, 10, 0)));
    }

    [Fact]
    public void MonthlySaving_IsHoursAsleepTimesNodesTimesPrice()
    {
        // November 2026 in Madrid: 21 weekdays × 12 h running of 720 h; 468 h asleep × 3 m5.large at 0.096 = 134.784.
        var saving = HibernationSavings.EstimateMonthly(MadridOffice, new BudgetMonth(2026, 11), 3, Money.UsdOf(0.096m));

        Assert.Equal(720m, saving.HoursInMonth);
        Assert.Equal(468m, saving.HoursAsleep);
        Assert.Equal(134.784m, saving.Saving.Amount);

        // With their 20 GiB gp3 root volumes: + 468 h × 3 × 20 GiB × 0.08 / 720 h = 3.12.
        var withDisks = HibernationSavings.EstimateMonthly(MadridOffice, new BudgetMonth(2026, 11), 3, Money.UsdOf(0.096m), 20, Money.UsdOf(0.08m));
        Assert.Equal(137.90m, withDisks.Saving.Cents);
    }

    [Fact]
    public void MonthlySaving_CountsTheRealHoursOfADstMonth()
    {
        // March 2026 in New York: 22 weekdays × 8 h = 176 h running of 744 h; DST moves the windows, not their length.
        var saving = HibernationSavings.EstimateMonthly(NewYorkOffice, new BudgetMonth(2026, 3), 2, Money.UsdOf(1.006m));

        Assert.Equal(744m, saving.HoursInMonth);
        Assert.Equal(568m, saving.HoursAsleep);
        Assert.Equal(568m * 2 * 1.006m, saving.Saving.Amount);
    }

    [Fact]
    public void ScalingToZero_RemembersTheSizes_AndWakingRestoresThem_Idempotently()
    {
        var running = new PoolSize(2, 3, 6);

        var sleep = HibernationDecision.Decide(shouldRun: false, running, remembered: null);
        Assert.Equal(new HibernationStep(new PoolSize(0, 0, 6), running, true), sleep);
        Assert.False(HibernationDecision.Decide(false, sleep.Target, sleep.Remembered).Changes);

        var wake = HibernationDecision.Decide(shouldRun: true, sleep.Target, sleep.Remembered);
        Assert.Equal(new HibernationStep(running, null, true), wake);
        Assert.False(HibernationDecision.Decide(true, wake.Target, wake.Remembered).Changes);
    }

    [Fact]
    public void Schedule_Validation_NamesTheFields()
    {
        var error = Assert.Throws<DomainValidationException>(() =>
            HibernationSchedule.Create("Mars/Olympus_Mons", [], new TimeOnly(9, 0, 30), new TimeOnly(9, 0, 30), "nodePools[2].schedule"));

        Assert.True(error.Errors.ContainsKey("nodePools[2].schedule.timeZone"));
        Assert.True(error.Errors.ContainsKey("nodePools[2].schedule.workingDays"));
        Assert.True(error.Errors.ContainsKey("nodePools[2].schedule.end"));
        Assert.True(error.Errors.ContainsKey("nodePools[2].schedule.start"));
    }
}
