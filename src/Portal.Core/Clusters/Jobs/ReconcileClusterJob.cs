namespace Portal.Core.Clusters.Jobs;

/// <summary>
/// Takes one cluster one step toward its spec (see ARCHITECTURE.md, "Resources and reconciliation"). Enqueued by
/// <c>ClusterService</c> on every spec change and by the resync job; reschedules itself until converged.
/// The type and method names are a stored Hangfire contract: do not rename.
/// </summary>
public sealed class ReconcileClusterJob
{
    public Task RunAsync(Guid clusterId, CancellationToken ct) => Task.CompletedTask;
}
