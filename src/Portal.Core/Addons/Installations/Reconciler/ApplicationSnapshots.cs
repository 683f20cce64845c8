using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Portal.Core.Addons.Installations.Reconciler;

/// <summary>
/// The Argo CD Applications of a cluster as one list call saw them, shared by the settled add-ons' drift checks in this
/// process: ten add-ons on a cluster cost one read per resync round instead of ten. Only ever used to confirm that
/// nothing changed; anything that looks different is read again directly before the reconciler acts on it, so a stale
/// snapshot can delay noticing drift by at most <c>maxAge</c>, never cause a wrong write.
/// </summary>
public sealed class ApplicationSnapshots(TimeProvider clock)
{
    private sealed record Snapshot(DateTimeOffset TakenAt, Task<IReadOnlyDictionary<string, JsonObject>?> Items);

    private readonly ConcurrentDictionary<Guid, Snapshot> _byCluster = new();

    /// <summary>
    /// The cluster's Applications from a snapshot at most <paramref name="maxAge"/> old, listing them once when there is
    /// none; concurrent callers for one cluster share the same list call. Null when the cluster has no Application CRD.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, JsonObject>?> GetAsync(
        Guid clusterId, TimeSpan maxAge, Func<Task<IReadOnlyDictionary<string, JsonObject>?>> list)
    {
        var now = clock.GetUtcNow();
        if (_byCluster.TryGetValue(clusterId, out var held) && now - held.TakenAt <= maxAge && !held.Items.IsFaulted && !held.Items.IsCanceled)
            return await held.Items;
        var fresh = new Snapshot(now, list());
        _byCluster[clusterId] = fresh;
        try
        {
            return await fresh.Items;
        }
        catch
        {
            // A failed list must not be served to the next caller.
            _byCluster.TryRemove(new KeyValuePair<Guid, Snapshot>(clusterId, fresh));
            throw;
        }
    }

    /// <summary>Forgets a cluster's snapshot: after this process wrote one of its Applications, the next check lists again.</summary>
    public void Forget(Guid clusterId) => _byCluster.TryRemove(clusterId, out _);
}
