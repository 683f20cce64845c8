using Hangfire;
using Portal.Core.Addons.Installations.Reconciler;

namespace Portal.Core.Addons.Installations.Jobs;

/// <summary>
/// Checks one cluster's settled add-on installations for drift in one run (<see cref="AddonReconciler.CheckDriftAsync"/>).
/// Enqueued by the resync job for clusters whose settled installations are due. The type and method names are a stored
/// Hangfire contract: do not rename.
/// </summary>
public sealed class CheckAddonDriftJob(AddonReconciler reconciler)
{
    // A failed check writes nothing; the installations stay due and the next resync round checks them again.
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(Guid clusterId, CancellationToken ct) => reconciler.CheckDriftAsync(clusterId, ct);
}
