using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Cloud.Aws;
using Portal.Core.Clusters;
using Portal.Core.Costs.Hibernation;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Testing;

namespace Portal.Web.Tests.Reconciliation;

/// <summary>
/// Hibernation end to end: real workers with Hangfire on PostgreSQL, the schedule job, the emulator over HTTP, and one
/// <see cref="TestClock"/> shared by the portal and the emulator, moved through a working day in Madrid.
/// </summary>
[Collection(HangfireCollection.Name)]
public sealed class HibernationTests
{
    // November: Madrid is UTC+1. 2026-11-23 is a Monday.
    private static readonly DateTimeOffset MondayTenInMadrid = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset MondayHalfPastSixInMadrid = new(2026, 11, 23, 17, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset TuesdayFivePastEightInMadrid = new(2026, 11, 24, 7, 5, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset SaturdayTenInMadrid = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private static readonly NodePoolScheduleSpec OfficeHours = new("Europe/Madrid",
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], "08:00", "18:00");

    private static NodePoolSpec Sleepy(string name = "dev") => ClusterWorld.Pool(name, min: 1, desired: 2, max: 3) with { Schedule = OfficeHours };

    private static async Task<EksScalingConfig> ScalingAsync(ClusterWorld world, Cluster cluster, string pool)
    {
        var environment = await world.Services.GetRequiredService<EnvironmentService>().GetAsync(world.Owner, world.Team.Slug, EnvironmentName.Dev, default);
        var session = await world.Services.GetRequiredService<AwsSessions>().AssumeAsync(environment.ProvisionerRoleArn, environment.ExternalId, "us-east-1", "test", default);
        return (await world.Services.GetRequiredService<EksClient>().DescribeNodegroupAsync(session, cluster.EksName, pool)).ScalingConfig!;
    }

    /// <summary>Waits until the emulator's node group has the sizes and the pool row agrees (asleep or not).</summary>
    private static async Task<Cluster> WaitForPoolAsync(ClusterWorld world, Guid clusterId, string pool, (int Min, int Desired, int Max) sizes, bool asleep)
    {
        var deadline = DateTimeOffset.UtcNow + ClusterWorld.Patience;
        while (true)
        {
            var cluster = (await world.FindAsync(clusterId))!;
            var row = cluster.NodePools.Single(p => p.Name == pool);
            EksScalingConfig? scaling = null;
            try
            {
                scaling = await ScalingAsync(world, cluster, pool);
            }
            catch (AwsServiceException e) when (e.IsNotFound)
            {
                // Not created yet.
            }
            if (scaling is not null && row.Asleep == asleep && (scaling.MinSize, scaling.DesiredSize, scaling.MaxSize) == (sizes.Min, sizes.Desired, sizes.Max)
                && cluster.Phase == ClusterPhase.Ready)
                return cluster;
            if (DateTimeOffset.UtcNow > deadline)
            {
                var events = string.Join("\n", (await world.EventsAsync(clusterId)).Select(e => $"  {e.Step} {e.Outcome}: {e.Message}"));
                throw new TimeoutException($"Pool {pool}: asleep {row.Asleep}, scaling {scaling}, phase {cluster.Phase}, message '{cluster.Message}'.\nEvents:\n{events}");
            }
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task ScheduledPool_ScalesToZeroAfterHours_AndComesBackToItsSizesInTheMorning()
    {
        var clock = new TestClock(MondayTenInMadrid);
        await using var world = await ClusterWorld.CreateAsync(clock: clock);
        var view = await world.RequestAsync("batch", "1.34", Sleepy("dev"), ClusterWorld.Pool("general"));
        var ready = await world.WaitForReadyAsync(view.Cluster.Id);
        Assert.Equal((1, 2, 3), Sizes(await ScalingAsync(world, ready, "dev")));
        var readyEvents = (await world.EventsAsync(ready.Id)).Count;

        clock.SetUtcNow(MondayHalfPastSixInMadrid);
        var night = await WaitForPoolAsync(world, ready.Id, "dev", (0, 0, 3), asleep: true);
        var dev = night.NodePools.Single(p => p.Name == "dev");
        Assert.Equal(new PoolSize(1, 2, 3), dev.RememberedSize);
        // Only the scheduled pool sleeps, and the cluster stays Ready: hibernation is not a change anyone asked for.
        Assert.Equal((1, 2, 3), Sizes(await ScalingAsync(world, night, "general")));
        Assert.Equal(ClusterPhase.Ready, night.Phase);
        Assert.Equal(night.Generation, night.ObservedGeneration);
        var nightEvents = (await world.EventsAsync(ready.Id)).Skip(readyEvents).ToList();
        Assert.Contains(nightEvents, e => e.Step == "nodegroup:dev" && e.Message.Contains("Pool dev asleep until Tue 08:00 Europe/Madrid"));
        Assert.DoesNotContain(nightEvents, e => e.Step is "ready" or "spec-changed");

        clock.SetUtcNow(TuesdayFivePastEightInMadrid);
        var morning = await WaitForPoolAsync(world, ready.Id, "dev", (1, 2, 3), asleep: false);
        Assert.Null(morning.NodePools.Single(p => p.Name == "dev").RememberedSize);
        Assert.Contains(await world.EventsAsync(ready.Id), e => e.Step == "nodegroup:dev" && e.Message.Contains("Pool dev woke until Tue 18:00 Europe/Madrid"));
        Assert.Equal(ClusterPhase.Ready, morning.Phase);
    }

    [Fact]
    public async Task WakeEarly_RunsThePoolUntilTheWakeEnds_ThenItSleepsAgain()
    {
        var clock = new TestClock(SaturdayTenInMadrid);
        await using var world = await ClusterWorld.CreateAsync(clock: clock);
        var view = await world.RequestAsync("weekend", "1.34", Sleepy("dev"));
        // Created on a Saturday: the pool is made at its sizes, then put to sleep.
        await WaitForPoolAsync(world, view.Cluster.Id, "dev", (0, 0, 3), asleep: true);

        var woken = await world.Services.GetRequiredService<HibernationService>().WakeAsync(world.Owner, world.Team.Slug, "weekend", "dev", null, default);
        // The next switch is Monday 08:00, so the 12-hour cap ends the wake: Saturday 22:00 in Madrid.
        Assert.Equal(SaturdayTenInMadrid.AddHours(12), woken.Pool.WakeUntil);
        await WaitForPoolAsync(world, view.Cluster.Id, "dev", (1, 2, 3), asleep: false);
        Assert.Contains(await world.EventsAsync(view.Cluster.Id), e => e.Message.Contains("Pool dev woke early, until Sat 22:00 Europe/Madrid"));

        clock.SetUtcNow(SaturdayTenInMadrid.AddHours(12).AddMinutes(1));
        var asleep = await WaitForPoolAsync(world, view.Cluster.Id, "dev", (0, 0, 3), asleep: true);
        var dev = asleep.NodePools.Single(p => p.Name == "dev");
        Assert.Equal(new PoolSize(1, 2, 3), dev.RememberedSize);
        Assert.Null(dev.WakeUntil);
        Assert.Contains(await world.EventsAsync(view.Cluster.Id), e => e.Message.Contains("Pool dev asleep until Mon 08:00 Europe/Madrid"));
    }

    [Fact]
    public async Task WorkerKilledRightAfterScalingToZero_TheNextWorkerStillWakesThePoolToItsSizes()
    {
        var clock = new TestClock(MondayTenInMadrid);
        await using var world = await ClusterWorld.CreateAsync(clock: clock);
        var view = await world.RequestAsync("crashy", "1.34", Sleepy("dev"));
        await world.WaitForReadyAsync(view.Cluster.Id);
        var updates = world.Emulator.Calls.Count("eks", "UpdateNodegroupConfig");

        clock.SetUtcNow(MondayHalfPastSixInMadrid);
        // Killed as soon as EKS has been told to scale to zero: the run's status write is lost with the process.
        await world.WaitForCallsAsync("eks", "UpdateNodegroupConfig", updates + 1);
        await world.StopWorkerAsync(world.Workers.Single());
        clock.Advance(TimeSpan.FromMinutes(1)); // the dead worker's lease runs out
        await world.StartWorkerAsync();
        var night = await WaitForPoolAsync(world, view.Cluster.Id, "dev", (0, 0, 3), asleep: true);
        // What it remembers is the pool's sizes, not the zeros it found on the second run.
        Assert.Equal(new PoolSize(1, 2, 3), night.NodePools.Single().RememberedSize);

        clock.SetUtcNow(TuesdayFivePastEightInMadrid);
        await WaitForPoolAsync(world, view.Cluster.Id, "dev", (1, 2, 3), asleep: false);
    }

    [Fact]
    public async Task RemovingTheScheduleOfASleepingPool_WakesIt()
    {
        var clock = new TestClock(MondayHalfPastSixInMadrid);
        await using var world = await ClusterWorld.CreateAsync(clock: clock);
        var view = await world.RequestAsync("evening", "1.34", Sleepy("dev"));
        await WaitForPoolAsync(world, view.Cluster.Id, "dev", (0, 0, 3), asleep: true);

        await world.RetryOnConflictAsync(() => world.Clusters.UpdateClusterAsync(world.Owner, world.Team.Slug, "evening",
            new ClusterChanges(NodePools: [ClusterWorld.Pool("dev", min: 1, desired: 2, max: 3)]), null, default));
        var awake = await WaitForPoolAsync(world, view.Cluster.Id, "dev", (1, 2, 3), asleep: false);
        Assert.Null(awake.NodePools.Single().Schedule);
        Assert.Null(awake.NodePools.Single().RememberedSize);
    }

    private static (int?, int?, int?) Sizes(EksScalingConfig scaling) => (scaling.MinSize, scaling.DesiredSize, scaling.MaxSize);
}
