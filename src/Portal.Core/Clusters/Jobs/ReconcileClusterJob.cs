using Hangfire;
using Portal.Core.Clusters.Reconciler;

namespace Portal.Core.Clusters.Jobs;

/// <summary>
/// Takes one cluster one step toward its spec (see ARCHITECTURE.md, "Resources and reconciliation"). Enqueued by
/// <c>ClusterService</c> on every spec change and by the resync job; reschedules itself until converged.
/// The type and method names are a stored Hangfire contract: do not rename.
/// </summary>
public sealed class ReconcileClusterJob(ClusterReconciler reconciler)
{
    // The reconciler retries cloud errors itself, with backoff, and the resync recovers anything a crash lost;
    // Hangfire's own retries would only start parallel chains of reschedules.
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(Guid clusterId, CancellationToken ct) => reconciler.ReconcileAsync(clusterId, ct);
}
