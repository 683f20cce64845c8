using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Clusters;
using Portal.Core.Clusters.Jobs;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;

namespace Portal.Core.Costs.Hibernation;

/// <summary>
/// Recurring (every <see cref="ReconciliationOptions.ResyncInterval"/>): enqueues a reconcile of exactly the Ready
/// clusters with a pool whose schedule (or wake) disagrees with how the reconciler last left it: asleep inside its
/// hours, awake outside them, or asleep with its schedule removed. One query over pools that have or had a schedule; no
/// cloud call, and clusters without schedules are never read. Level-triggered: a missed minute is caught on the next.
/// Clusters in any other phase are being reconciled already, and their node-pool step applies the schedule itself.
/// </summary>
public sealed class ApplyHibernationSchedulesJob(
    IDbContextFactory<PortalDbContext> contexts,
    IBackgroundJobClient jobs,
    IOptions<ReconciliationOptions> options,
    TimeProvider clock,
    ILogger<ApplyHibernationSchedulesJob> logger)
{
    public const string RecurringJobId = "apply-hibernation-schedules";

    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var pools = await (
            from pool in db.NodePools.AsNoTracking()
            join cluster in db.Clusters.AsNoTracking() on pool.ClusterId equals cluster.Id
            where (pool.Schedule != null || pool.Asleep || pool.RememberedMinSize != null)
                  && cluster.Kind == ClusterKind.Managed && cluster.Phase == ClusterPhase.Ready && cluster.DeletionRequestedAt == null
                  && cluster.LeaseOwner == null && cluster.NextAttemptAtUnixMs <= nowMs
            select pool).ToListAsync(ct);
        var due = pools.Where(p => NeedsSwitch(p, now)).Select(p => p.ClusterId).Distinct().ToList();
        if (due.Count == 0) return;
        // Like the resync: not again on the next run while the job waits in a queue.
        var notBefore = nowMs + (long)options.Value.ResyncInterval.TotalMilliseconds;
        await db.Clusters.Where(c => due.Contains(c.Id)).ExecuteUpdateAsync(set => set.SetProperty(c => c.NextAttemptAtUnixMs, notBefore), ct);
        foreach (var id in due) jobs.Enqueue<ReconcileClusterJob>(j => j.RunAsync(id, CancellationToken.None));
        logger.LogInformation("Hibernation: enqueued {Count} cluster(s) whose pools cross a schedule switch", due.Count);
    }

    /// <summary>The pool should run but sleeps, or should sleep but runs (or kept sizes to restore after its schedule went).</summary>
    public static bool NeedsSwitch(NodePool pool, DateTimeOffset now) => pool.Schedule is { } schedule
        ? HibernationCalendar.ShouldRun(schedule, pool.Wake, now) == pool.Asleep
        : pool.Asleep || pool.RememberedSize is not null;
}
