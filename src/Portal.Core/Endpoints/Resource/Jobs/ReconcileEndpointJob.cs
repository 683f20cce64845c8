using Hangfire;

namespace Portal.Core.Endpoints.Resource.Jobs;

/// <summary>
/// Takes one inference endpoint one step toward its spec. Enqueued by <see cref="EndpointService"/> on every spec
/// change and by the resync job; reschedules itself until converged, then keeps its status fresh.
/// The type and method names are a stored Hangfire contract: do not rename.
/// </summary>
public sealed class ReconcileEndpointJob(EndpointReconciler reconciler)
{
    // The reconciler retries itself with backoff; Hangfire's retries would only start parallel chains.
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(Guid endpointId, CancellationToken ct) => reconciler.ReconcileAsync(endpointId, ct);
}
