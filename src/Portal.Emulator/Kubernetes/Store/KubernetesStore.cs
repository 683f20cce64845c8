using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Kubernetes.Store;

/// <summary>A change to one object, as a watch stream and the simulated controllers see it.</summary>
public sealed record WatchEvent(string Type, string StorageKey, JsonObject Object, long ResourceVersion);

/// <summary>
/// Every emulated cluster's objects, in memory. One <see cref="ClusterStore"/> per cluster key, created with its
/// default namespaces on first use. <see cref="Export"/>/<see cref="Import"/> let the host keep a state file.
/// </summary>
public sealed class KubernetesStore(IOptions<KubernetesEmulatorOptions> options, TimeProvider clock, EmulatorCalls? calls = null)
{
    private readonly ConcurrentDictionary<string, ClusterStore> _clusters = new(StringComparer.Ordinal);
    private readonly Channel<(ClusterStore Cluster, WatchEvent Event)> _changes = Channel.CreateUnbounded<(ClusterStore, WatchEvent)>(
        new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Every change in every cluster, in order, for the simulated controllers.</summary>
    internal ChannelReader<(ClusterStore Cluster, WatchEvent Event)> Changes => _changes.Reader;

    private readonly Lock _gate = new();

    public ClusterStore Cluster(string key)
    {
        if (_clusters.TryGetValue(key, out var existing)) return existing;
        lock (_gate)
        {
            if (_clusters.TryGetValue(key, out existing)) return existing;
            var cluster = NewCluster(key);
            foreach (var ns in options.Value.DefaultNamespaces) cluster.Put("/namespaces", NewNamespace(ns), "ADDED");
            _clusters[key] = cluster;
            return cluster;
        }
    }

    private ClusterStore NewCluster(string key)
    {
        ClusterStore? cluster = null;
        cluster = new ClusterStore(key, e =>
        {
            if (e.Type == "ADDED" && calls is not null)
                calls.RecordCreation("kubernetes", e.StorageKey, key, $"{Json.Str(e.Object, "metadata", "namespace")}/{Json.Str(e.Object, "metadata", "name")}");
            _changes.Writer.TryWrite((cluster!, e));
        });
        return cluster;
    }

    public IReadOnlyCollection<ClusterStore> Clusters => _clusters.Values.ToArray();

    /// <summary>Forgets every cluster's objects (the emulator's reset endpoint).</summary>
    public void Reset() => _clusters.Clear();

    /// <summary>A JSON snapshot of every cluster's objects, for the emulator's state file.</summary>
    public JsonObject Export()
    {
        var clusters = new JsonObject();
        foreach (var (key, cluster) in _clusters.OrderBy(c => c.Key, StringComparer.Ordinal))
            clusters[key] = cluster.Export();
        return new JsonObject { ["kind"] = "KubernetesEmulatorState", ["clusters"] = clusters };
    }

    /// <summary>Replaces every cluster's objects with a snapshot <see cref="Export"/> made.</summary>
    public void Import(JsonObject state)
    {
        _clusters.Clear();
        if (state["clusters"] is not JsonObject clusters) return;
        foreach (var (key, snapshot) in clusters)
        {
            if (snapshot is not JsonObject s) continue;
            var cluster = NewCluster(key);
            cluster.Import(s);
            _clusters[key] = cluster;
        }
    }

    private JsonObject NewNamespace(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["uid"] = Guid.NewGuid().ToString(),
            ["creationTimestamp"] = Timestamp(clock.GetUtcNow()),
            ["labels"] = new JsonObject { ["kubernetes.io/metadata.name"] = name },
        },
        ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
        ["status"] = new JsonObject { ["phase"] = "Active" },
    };

    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// One cluster's objects, keyed by storage key (<c>group/plural</c>) and <c>namespace/name</c>, with a
/// cluster-wide resourceVersion counter like etcd's revision. Callers hold <see cref="Gate"/> across a
/// read-check-write so optimistic concurrency is exact. Stored objects are never handed out: reads clone.
/// </summary>
public sealed class ClusterStore
{
    private const int HistoryLimit = 2000;
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _objects = new(StringComparer.Ordinal);
    private readonly LinkedList<WatchEvent> _history = new();
    private readonly List<Channel<WatchEvent>> _watchers = [];
    private readonly Action<WatchEvent> _publish;
    private long _resourceVersion;

    internal ClusterStore(string key, Action<WatchEvent> publish)
    {
        Key = key;
        _publish = publish;
    }

    public string Key { get; }

    public Lock Gate { get; } = new();

    public long ResourceVersion { get { lock (Gate) return _resourceVersion; } }

    /// <summary>Bumped whenever a CustomResourceDefinition changes, so the served types can be cached.</summary>
    public long CrdGeneration { get; private set; }

    private static string ObjectKey(string? ns, string name) => $"{ns}/{name}";

    public JsonObject? Get(string storageKey, string? ns, string name)
    {
        lock (Gate)
        {
            return _objects.TryGetValue(storageKey, out var items) && items.TryGetValue(ObjectKey(ns, name), out var obj)
                ? Json.Clone(obj) : null;
        }
    }

    public List<JsonObject> List(string storageKey, string? ns = null)
    {
        lock (Gate)
        {
            if (!_objects.TryGetValue(storageKey, out var items)) return [];
            return items.Values
                .Where(o => ns is null || Json.Str(o, "metadata", "namespace") == ns)
                .Select(Json.Clone).ToList();
        }
    }

    /// <summary>Every object of every type in a namespace (namespace deletion, garbage collection).</summary>
    public List<(string StorageKey, JsonObject Object)> All(string? ns = null)
    {
        lock (Gate)
        {
            return _objects.SelectMany(t => t.Value.Values
                    .Where(o => ns is null || Json.Str(o, "metadata", "namespace") == ns)
                    .Select(o => (t.Key, Json.Clone(o))))
                .ToList();
        }
    }

    /// <summary>Stores an object with the next resourceVersion and tells watchers. Returns the stored copy.</summary>
    public JsonObject Put(string storageKey, JsonObject obj, string eventType)
    {
        lock (Gate)
        {
            var stored = Json.Clone(obj);
            var rv = ++_resourceVersion;
            Json.Metadata(stored)["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
            if (!_objects.TryGetValue(storageKey, out var items))
                _objects[storageKey] = items = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            items[ObjectKey(Json.Str(stored, "metadata", "namespace"), Json.Str(stored, "metadata", "name")!)] = stored;
            if (storageKey == "apiextensions.k8s.io/customresourcedefinitions") CrdGeneration++;
            Publish(new WatchEvent(eventType, storageKey, Json.Clone(stored), rv));
            return Json.Clone(stored);
        }
    }

    public JsonObject? Remove(string storageKey, string? ns, string name)
    {
        lock (Gate)
        {
            if (!_objects.TryGetValue(storageKey, out var items) || !items.Remove(ObjectKey(ns, name), out var removed))
                return null;
            var rv = ++_resourceVersion;
            Json.Metadata(removed)["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
            if (storageKey == "apiextensions.k8s.io/customresourcedefinitions") CrdGeneration++;
            Publish(new WatchEvent("DELETED", storageKey, Json.Clone(removed), rv));
            return Json.Clone(removed);
        }
    }

    private void Publish(WatchEvent e)
    {
        _history.AddLast(e);
        if (_history.Count > HistoryLimit) _history.RemoveFirst();
        foreach (var watcher in _watchers) watcher.Writer.TryWrite(e);
        _publish(e);
    }

    /// <summary>
    /// Starts a watch: the events after <paramref name="sinceResourceVersion"/> still in the history, then every
    /// later event. Returns null when that version is older than the history keeps (the apiserver's 410 Gone).
    /// </summary>
    public (ChannelReader<WatchEvent> Reader, IDisposable Subscription)? Watch(long? sinceResourceVersion)
    {
        lock (Gate)
        {
            var channel = Channel.CreateUnbounded<WatchEvent>();
            if (sinceResourceVersion is long since && since < _resourceVersion)
            {
                var oldest = _history.First?.Value.ResourceVersion ?? long.MaxValue;
                if (since < oldest - 1) return null;
                foreach (var e in _history.Where(e => e.ResourceVersion > since)) channel.Writer.TryWrite(e);
            }
            _watchers.Add(channel);
            return (channel.Reader, new Unsubscribe(this, channel));
        }
    }

    private sealed class Unsubscribe(ClusterStore store, Channel<WatchEvent> channel) : IDisposable
    {
        public void Dispose()
        {
            lock (store.Gate) store._watchers.Remove(channel);
            channel.Writer.TryComplete();
        }
    }

    internal JsonObject Export()
    {
        lock (Gate)
        {
            var resources = new JsonObject();
            foreach (var (storageKey, items) in _objects.OrderBy(o => o.Key, StringComparer.Ordinal))
                resources[storageKey] = new JsonArray(items.Values.Select(o => (JsonNode)Json.Clone(o)).ToArray());
            return new JsonObject { ["resourceVersion"] = _resourceVersion, ["resources"] = resources };
        }
    }

    internal void Import(JsonObject snapshot)
    {
        lock (Gate)
        {
            _objects.Clear();
            _resourceVersion = Json.Long(snapshot, "resourceVersion") ?? 0;
            if (snapshot["resources"] is not JsonObject resources) return;
            foreach (var (storageKey, list) in resources)
            {
                var items = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
                foreach (var obj in (list as JsonArray ?? []).OfType<JsonObject>())
                    items[ObjectKey(Json.Str(obj, "metadata", "namespace"), Json.Str(obj, "metadata", "name")!)] = Json.Clone(obj);
                _objects[storageKey] = items;
            }
            CrdGeneration++;
        }
    }
}
