using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Addons.Installations.Jobs;
using Portal.Core.Addons.Installations.Reconciler;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;

namespace Portal.Core.Addons.Installations;

public static class AddonsServiceCollectionExtensions
{
    /// <summary>The installation service (the catalogue is AddPortalAddonCatalog's). It needs Hangfire's IBackgroundJobClient (the host's).</summary>
    public static IServiceCollection AddPortalAddons(this IServiceCollection services)
    {
        // A factory, like ClusterService: resolving it without Hangfire fails loudly; tools that never touch add-ons need neither.
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<AddonService>(sp));
        return services;
    }

    /// <summary>The add-on reconciler, its job and its resync target. Needs AddPortalCloud, AddPortalReconciliation and Hangfire.</summary>
    public static IServiceCollection AddAddonReconciler(this IServiceCollection services)
    {
        services.AddPortalReconciliation();
        services.AddOptions<EnvironmentRoleHooks>();
        services.TryAddSingleton<ApplicationSnapshots>();
        services.TryAddSingleton<AddonReconciler>();
        services.TryAddTransient<ReconcileAddonJob>();
        services.TryAddTransient<CheckAddonDriftJob>();
        services.AddSingleton(new ResyncTarget("add-on installation", FindDueAsync,
            (jobs, id) => jobs.Enqueue<ReconcileAddonJob>(j => j.RunAsync(id, CancellationToken.None))));
        services.AddSingleton(new ResyncTarget("cluster's settled add-ons (drift check)", FindDriftChecksDueAsync,
            (jobs, clusterId) => jobs.Enqueue<CheckAddonDriftJob>(j => j.RunAsync(clusterId, CancellationToken.None))));
        return services;
    }

    /// <summary>
    /// Installations not converged, or settled but not healthy ones due for their next look (every phase but Failed
    /// reschedules itself), whose lease is free and whose next attempt is due; marked attempted until <paramref name="notBefore"/>.
    /// Settled, healthy installations are <see cref="FindDriftChecksDueAsync"/>'s.
    /// </summary>
    internal static async Task<IReadOnlyList<Guid>> FindDueAsync(PortalDbContext db, long now, long notBefore, CancellationToken ct)
    {
        var due = await db.AddonInstallations
            .Where(a => (a.ObservedGeneration < a.Generation || a.Phase != AddonPhase.Failed)
                        && a.LeaseUntilUnixMs < now
                        && a.NextAttemptAtUnixMs <= now)
            .Where(AddonReconciler.NotSettledHealthy)
            .OrderBy(a => a.NextAttemptAtUnixMs)
            .Select(a => a.Id)
            .Take(500)
            .ToListAsync(ct);
        if (due.Count > 0)
        {
            await db.AddonInstallations.Where(a => due.Contains(a.Id) && a.NextAttemptAtUnixMs <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.NextAttemptAtUnixMs, notBefore), ct);
        }
        return due;
    }

    /// <summary>
    /// Clusters with settled, healthy installations due for their drift check: one <see cref="CheckAddonDriftJob"/> per
    /// cluster checks them all. Their installations are marked attempted until <paramref name="notBefore"/>.
    /// </summary>
    internal static async Task<IReadOnlyList<Guid>> FindDriftChecksDueAsync(PortalDbContext db, long now, long notBefore, CancellationToken ct)
    {
        var due = db.AddonInstallations.Where(AddonReconciler.SettledHealthy).Where(a => a.LeaseUntilUnixMs < now && a.NextAttemptAtUnixMs <= now);
        var clusters = await due.Select(a => a.ClusterId).Distinct().OrderBy(id => id).Take(500).ToListAsync(ct);
        if (clusters.Count > 0)
        {
            await due.Where(a => clusters.Contains(a.ClusterId)).ExecuteUpdateAsync(s => s.SetProperty(a => a.NextAttemptAtUnixMs, notBefore), ct);
        }
        return clusters;
    }
}
