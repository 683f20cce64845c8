using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Clusters;
using Portal.Core.Clusters.Jobs;
using Portal.Core.Common;
using Portal.Core.Costs.Budgets;
using Portal.Core.Costs.Prices;
using Portal.Core.Costs.Storage;
using Portal.Core.Events;
using Portal.Core.Persistence;

namespace Portal.Core.Costs.Hibernation;

/// <summary>A pool after a wake, with its cluster (for the response).</summary>
public sealed record WokenPool(ClusterView Cluster, NodePool Pool);

/// <summary>
/// What one schedule saves a month. <see cref="Saving"/> is null when the price is unknown (<see cref="Problem"/> says
/// why: no table for the region, or the instance type is not in it); the figure is never guessed.
/// </summary>
public sealed record PoolSaving(
    string Team,
    string Cluster,
    string Pool,
    string Region,
    HibernationSchedule Schedule,
    string InstanceType,
    CapacityType CapacityType,
    int Nodes,
    bool Asleep,
    decimal HoursAsleep,
    decimal HoursInMonth,
    Money? NodeHourly,
    Money? Saving,
    PriceSource? PriceSource,
    bool Estimated,
    string? Problem);

public sealed record HibernationSavingsReport(BudgetMonth Month, IReadOnlyList<PoolSaving> Pools, Money Total);

/// <summary>
/// The people's side of hibernation: "wake now" on a sleeping pool (audited, reconciled at once) and the estimated
/// monthly saving of every schedule of a team. The reconciler does the scaling (ClusterReconciler, hibernation).
/// </summary>
public sealed class HibernationService(
    IDbContextFactory<PortalDbContext> contexts,
    PriceTableStore prices,
    IBackgroundJobClient jobs,
    IOptions<CostOptions> options,
    TimeProvider clock,
    ILogger<HibernationService> logger)
{
    /// <summary>The longest a "wake now" with an explicit end may last.</summary>
    public static readonly TimeSpan MaxWake = TimeSpan.FromDays(7);

    /// <summary>
    /// Wakes a sleeping pool until <paramref name="until"/> (default: the schedule's next switch, at most 12 hours
    /// away, per <see cref="HibernationCalendar.Wake"/>). Maintainers and owners. 409 when the pool has no schedule or
    /// is not asleep; asking again while it wakes moves the end.
    /// </summary>
    public async Task<WokenPool> WakeAsync(PortalActor actor, string teamSlug, string clusterName, string poolName, DateTimeOffset? until, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var cluster = await db.Clusters.Include(c => c.NodePools).FirstOrDefaultAsync(c => c.TeamId == grant.Team.Id && c.Name == clusterName, ct)
                      ?? throw new NotFoundException("Cluster", $"{teamSlug}/{clusterName}");
        var pool = cluster.NodePools.FirstOrDefault(p => p.Name == poolName)
                   ?? throw new NotFoundException("Node pool", $"{teamSlug}/{clusterName}/{poolName}");
        if (cluster.DeletionRequestedAt is not null) throw new ConflictException($"Cluster '{clusterName}' is being deleted.");
        if (pool.Schedule is not { } schedule)
            throw new ConflictException($"Node pool '{poolName}' has no schedule: it never sleeps, so there is nothing to wake.");
        var now = clock.GetUtcNow();
        if (!pool.Asleep)
            throw new ConflictException($"Node pool '{poolName}' is not asleep (its schedule is {HibernationText.Describe(schedule)}); there is nothing to wake.");

        WakeOverride wake;
        if (until is { } end)
        {
            if (end <= now) throw new DomainValidationException("until", "must be in the future.");
            if (end > now + MaxWake) throw new DomainValidationException("until", $"must be at most {MaxWake.TotalDays:0} days from now.");
            wake = new WakeOverride(now, end.ToUniversalTime());
        }
        else
        {
            // Asleep by our record but inside its window (the reconciler has not switched it yet): run until the window ends.
            wake = HibernationCalendar.Wake(schedule, now)
                   ?? new WakeOverride(now, HibernationCalendar.WindowAt(schedule, now)?.End ?? now + HibernationCalendar.DefaultMaxWake);
        }

        var before = Snapshot(pool);
        (pool.WokenAt, pool.WakeUntil) = (wake.WokenAt, wake.Until);
        var target = $"{teamSlug}/{clusterName}";
        AuditLog.Record(db, actor, now, "cluster.node-pool.wake", "cluster", target, grant.Team.Id, before, Snapshot(pool));
        EventLog.RecordCluster(db, now, cluster, $"nodegroup:{pool.Name}", EventOutcome.Info,
            $"{actor.Name} woke pool {pool.Name} early, until {HibernationText.LocalTime(schedule, wake.Until)}.");
        await db.SaveChangesAsync(ct);
        try
        {
            jobs.Enqueue<ReconcileClusterJob>(j => j.RunAsync(cluster.Id, CancellationToken.None));
        }
        catch (Exception e)
        {
            // The wake is stored; the hibernation job finds the pool asleep inside its wake on its next run.
            logger.LogWarning(e, "Could not enqueue the reconcile of cluster {ClusterId} after a wake", cluster.Id);
        }
        var environment = await db.Environments.Where(e => e.Id == cluster.EnvironmentId).Select(e => e.Name).FirstAsync(ct);
        return new WokenPool(new ClusterView(cluster, teamSlug, environment), pool);
    }

    /// <summary>
    /// Every scheduled pool of the team with its estimated saving in <paramref name="month"/> (default: this UTC month),
    /// priced in its cluster's region: on-demand from the price table, spot as on-demand × (1 − Costs:SpotEstimateDiscount),
    /// marked estimated. Nodes: the desired size it runs when awake.
    /// </summary>
    public async Task<HibernationSavingsReport> EstimateSavingsAsync(PortalActor actor, string teamSlug, BudgetMonth? month, CancellationToken ct)
    {
        var forMonth = month ?? BudgetMonth.Of(clock.GetUtcNow());
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var pools = await (
            from pool in db.NodePools.AsNoTracking()
            join cluster in db.Clusters.AsNoTracking() on pool.ClusterId equals cluster.Id
            join environment in db.Environments.AsNoTracking() on cluster.EnvironmentId equals environment.Id
            where cluster.TeamId == grant.Team.Id && pool.Schedule != null
            select new { Cluster = cluster.Name, environment.Region, Pool = pool }).ToListAsync(ct);
        var book = await prices.LoadBookAsync(ct);
        var rows = pools.OrderBy(p => p.Cluster, StringComparer.Ordinal).ThenBy(p => p.Pool.Name, StringComparer.Ordinal)
            .Select(p => Estimate(teamSlug, p.Cluster, p.Region, p.Pool, book, forMonth)).ToList();
        return new HibernationSavingsReport(forMonth, rows, Money.Sum(rows.Where(r => r.Saving is not null).Select(r => r.Saving!.Value)));
    }

    private PoolSaving Estimate(string team, string cluster, string region, NodePool pool, PriceBook book, BudgetMonth month)
    {
        var schedule = pool.Schedule!;
        var type = pool.InstanceTypes.FirstOrDefault() ?? "";
        var nodes = pool.RememberedDesiredSize ?? pool.DesiredSize;
        var hours = (decimal)month.Hours;
        var asleep = hours - HibernationCalendar.RunningHours(schedule, month.Start, month.End);
        PoolSaving Unpriced(string problem) => new(team, cluster, pool.Name, region, schedule, type, pool.CapacityType, nodes, pool.Asleep,
            asleep, hours, null, null, null, false, problem);
        if (!book.TryGetRegion(region, out var regionPrices)) return Unpriced(PriceBook.MissingTable(region));
        var price = pool.CapacityType == CapacityType.Spot
            ? SpotPricing.EstimateFromOnDemand(regionPrices, type, options.Value.SpotEstimateDiscount)
            : regionPrices.OnDemandHourly(type);
        if (price is null) return Unpriced($"{type} has no price in the {region} table ({regionPrices.Table.Source}).");
        var gp3 = regionPrices.EbsGp3PerGbMonth();
        var saving = HibernationSavings.EstimateMonthly(schedule, month, nodes, price.Amount, pool.DiskSizeGiB, gp3.Amount);
        return new PoolSaving(team, cluster, pool.Name, region, schedule, type, pool.CapacityType, nodes, pool.Asleep,
            saving.HoursAsleep, saving.HoursInMonth, price.Amount, saving.Saving.AtLineScale(), price.Source, price.Estimated || gp3.Estimated, null);
    }

    private static object Snapshot(NodePool pool) => new { pool = pool.Name, asleep = pool.Asleep, wokenAt = pool.WokenAt, wakeUntil = pool.WakeUntil };
}
