using Hangfire;
using Portal.Core.Addons.Installations.Reconciler;

namespace Portal.Core.Addons.Installations.Jobs;

/// <summary>
/// Takes one add-on installation one step toward its spec. Enqueued by <see cref="AddonService"/> on every spec change,
/// by the cluster reconciler when a cluster is deleted, and by the resync job; reschedules itself (also to catch drift).
/// The type and method names are a stored Hangfire contract: do not rename.
/// </summary>
public sealed class ReconcileAddonJob(AddonReconciler reconciler)
{
    // The reconciler retries errors itself with backoff; Hangfire's retries would start parallel chains.
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(Guid installationId, CancellationToken ct) => reconciler.ReconcileAsync(installationId, ct);
}
