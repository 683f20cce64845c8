using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Clusters.Jobs;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;

namespace Portal.Core.Clusters.Reconciler;

public static class ClusterReconcilerServiceCollectionExtensions
{
    /// <summary>The cluster reconciler, its job and its resync target. Needs AddPortalCloud, AddPortalReconciliation and Hangfire.</summary>
    public static IServiceCollection AddClusterReconciler(this IServiceCollection services)
    {
        services.AddPortalReconciliation();
        services.AddOptions<ClusterProvisioningOptions>().BindConfiguration(ClusterOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EnvironmentRoleHooks>();
        services.TryAddSingleton<ClusterReconciler>();
        services.TryAddTransient<ReconcileClusterJob>();
        services.AddSingleton(new ResyncTarget("cluster", FindDueAsync,
            (jobs, id) => jobs.Enqueue<ReconcileClusterJob>(j => j.RunAsync(id, CancellationToken.None))));
        return services;
    }

    /// <summary>
    /// Managed clusters that are not converged (observed generation behind, or a phase that is not terminal), free,
    /// and due; marked attempted until <paramref name="notBefore"/> so the next resync leaves them to their queued job.
    /// </summary>
    internal static async Task<IReadOnlyList<Guid>> FindDueAsync(PortalDbContext db, long now, long notBefore, CancellationToken ct)
    {
        var due = await db.Clusters
            .Where(c => c.Kind == ClusterKind.Managed
                        && (c.ObservedGeneration < c.Generation
                            || (c.Phase != ClusterPhase.Ready && c.Phase != ClusterPhase.Failed && c.Phase != ClusterPhase.Attached))
                        && c.LeaseUntilUnixMs < now
                        && c.NextAttemptAtUnixMs <= now)
            .OrderBy(c => c.NextAttemptAtUnixMs)
            .Select(c => c.Id)
            .Take(500)
            .ToListAsync(ct);
        if (due.Count > 0)
        {
            await db.Clusters.Where(c => due.Contains(c.Id) && c.NextAttemptAtUnixMs <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.NextAttemptAtUnixMs, notBefore), ct);
        }
        return due;
    }
}
