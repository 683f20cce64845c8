using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Endpoints.Resource.Jobs;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;

namespace Portal.Core.Endpoints.Resource;

public static class EndpointReconcilerServiceCollectionExtensions
{
    /// <summary>The endpoint reconciler, its job and its resync target. Needs AddPortalCloud, the cluster reconciler's set-up and Hangfire.</summary>
    public static IServiceCollection AddEndpointReconciler(this IServiceCollection services)
    {
        services.AddPortalReconciliation();
        services.AddOptions<EnvironmentRoleHooks>();
        services.TryAddSingleton<EndpointReconciler>();
        services.TryAddTransient<ReconcileEndpointJob>();
        services.AddSingleton(new ResyncTarget("inference endpoint", FindDueAsync,
            (jobs, id) => jobs.Enqueue<ReconcileEndpointJob>(j => j.RunAsync(id, CancellationToken.None))));
        return services;
    }

    /// <summary>
    /// Endpoints that are not converged, or converged ones whose status refresh is due (a lost schedule must not
    /// leave replicas and the scaling reason stale for ever); free and due; marked attempted until <paramref name="notBefore"/>.
    /// </summary>
    internal static async Task<IReadOnlyList<Guid>> FindDueAsync(PortalDbContext db, long now, long notBefore, CancellationToken ct)
    {
        var due = await db.InferenceEndpoints
            .Where(e => (e.ObservedGeneration < e.Generation
                         || (e.Phase != EndpointPhase.Ready && e.Phase != EndpointPhase.ScaledToZero && e.Phase != EndpointPhase.Failed)
                         || (e.Phase != EndpointPhase.Failed && e.NextAttemptAtUnixMs > 0))
                        && e.LeaseUntilUnixMs < now
                        && e.NextAttemptAtUnixMs <= now)
            .OrderBy(e => e.NextAttemptAtUnixMs)
            .Select(e => e.Id)
            .Take(500)
            .ToListAsync(ct);
        if (due.Count > 0)
        {
            await db.InferenceEndpoints.Where(e => due.Contains(e.Id) && e.NextAttemptAtUnixMs <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.NextAttemptAtUnixMs, notBefore), ct);
        }
        return due;
    }
}
