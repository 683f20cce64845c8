using Portal.Core.Catalog;
using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Costs.Hibernation;
using Portal.Core.Persistence;

namespace Portal.Core.Tests.Costs;

/// <summary>The schedule in the cluster spec (ClusterSpecRules), its stored form, words, and the schedule job's test.</summary>
public sealed class HibernationScheduleRulesTests
{
    private static readonly NodePoolScheduleSpec OfficeHours = new("Europe/Madrid",
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], "08:00", "18:00");

    private static ClusterSpecRules Rules() => new(new ClusterOptions(), new InstanceTypeCatalog());

    private static IReadOnlyDictionary<string, string[]> Check(params NodePoolSpec[] pools)
    {
        var errors = new ValidationErrors();
        Rules().CheckNodePools(errors, pools);
        try
        {
            errors.ThrowIfAny();
            return new Dictionary<string, string[]>();
        }
        catch (DomainValidationException e)
        {
            return e.Errors;
        }
    }

    private static NodePoolSpec Pool(string name, NodePoolScheduleSpec? schedule = null, Dictionary<string, string>? labels = null) =>
        new(name, ["m5.large"], CapacityType.OnDemand, 1, 2, 3, Labels: labels, Schedule: schedule);

    [Fact]
    public void AValidSchedule_Passes_AndIsAppliedToThePoolRow()
    {
        Assert.Empty(Check(Pool("general"), Pool("nightly", OfficeHours)));
        var row = new NodePool { Name = "nightly", AmiType = NodePool.StandardAmiType };
        Rules().Apply(row, Pool("nightly", OfficeHours));
        Assert.Equal("Europe/Madrid", row.Schedule!.TimeZone);
        Assert.Equal(new TimeOnly(18, 0), row.Schedule.End);
    }

    [Fact]
    public void EveryBadField_IsNamedWithItsPath()
    {
        var errors = Check(Pool("general"), Pool("nightly", new NodePoolScheduleSpec("Mars/Olympus", [], "8am", "24:00")));
        Assert.Equal(["nodePools[1].schedule.end", "nodePools[1].schedule.start", "nodePools[1].schedule.timeZone", "nodePools[1].schedule.workingDays"],
            errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("nodePools[0].schedule.end", Check(Pool("a", OfficeHours with { End = "08:00" })).Keys);
        Assert.Contains("nodePools[0].schedule.workingDays", Check(Pool("a", OfficeHours with { WorkingDays = [DayOfWeek.Monday, DayOfWeek.Monday] })).Keys);
    }

    [Fact]
    public void EndpointGpuPools_AreRefusedASchedule()
    {
        var errors = Check(Pool("gpu", OfficeHours, new Dictionary<string, string> { [ClusterService.EndpointCapacityLabel] = ClusterService.EndpointCapacityValue }));
        Assert.Contains("inference endpoints", Assert.Single(errors["nodePools[0].schedule"]));
    }

    [Fact]
    public void ChangingTheSizesOfASleepingPool_ChangesWhatItWakesUpTo()
    {
        var row = new NodePool { Name = "nightly", AmiType = NodePool.StandardAmiType };
        Rules().Apply(row, Pool("nightly", OfficeHours));
        row.RememberedSize = new PoolSize(1, 2, 3);
        Rules().Apply(row, Pool("nightly", OfficeHours) with { MinSize = 2, DesiredSize = 4, MaxSize = 6 });
        Assert.Equal(new PoolSize(2, 4, 6), row.RememberedSize);
    }

    [Fact]
    public void TheStoredForm_RoundTrips()
    {
        var schedule = HibernationSchedule.Create("America/New_York", [DayOfWeek.Sunday, DayOfWeek.Saturday], new TimeOnly(22, 30), new TimeOnly(6, 0));
        var text = HibernationScheduleColumn.Write(schedule);
        Assert.Equal("""{"timeZone":"America/New_York","workingDays":["sunday","saturday"],"start":"22:30","end":"06:00"}""", text);
        Assert.Equal(text, HibernationScheduleColumn.Write(HibernationScheduleColumn.Read(text)));
    }

    [Fact]
    public void SchedulesAndInstants_ReadAsWords()
    {
        var schedule = ClusterSpecRules.ToSchedule(OfficeHours)!;
        Assert.Equal("Mon–Fri 08:00–18:00 Europe/Madrid", HibernationText.Describe(schedule));
        Assert.Equal("Mon, Tue, Thu, Sat, Sun", HibernationText.Days(new HashSet<DayOfWeek> { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Thursday, DayOfWeek.Saturday, DayOfWeek.Sunday }));
        Assert.Equal("Mon 08:00 Europe/Madrid", HibernationText.LocalTime(schedule, new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void TheScheduleJob_PicksPoolsWhoseStateDisagreesWithTheirSchedule()
    {
        var monday7pm = new DateTimeOffset(2026, 11, 23, 18, 0, 0, TimeSpan.Zero); // 19:00 in Madrid
        NodePool Row(bool asleep) => new() { Name = "p", AmiType = NodePool.StandardAmiType, Schedule = ClusterSpecRules.ToSchedule(OfficeHours), Asleep = asleep };
        Assert.True(ApplyHibernationSchedulesJob.NeedsSwitch(Row(asleep: false), monday7pm));
        Assert.False(ApplyHibernationSchedulesJob.NeedsSwitch(Row(asleep: true), monday7pm));
        var woken = Row(asleep: true);
        (woken.WokenAt, woken.WakeUntil) = (monday7pm, monday7pm.AddHours(2));
        Assert.True(ApplyHibernationSchedulesJob.NeedsSwitch(woken, monday7pm.AddHours(1)));
        Assert.False(ApplyHibernationSchedulesJob.NeedsSwitch(woken, monday7pm.AddHours(3)));
        // A pool whose schedule went while it slept must wake.
        Assert.True(ApplyHibernationSchedulesJob.NeedsSwitch(new NodePool { Name = "p", AmiType = "x", Asleep = true }, monday7pm));
    }
}
