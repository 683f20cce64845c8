using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Portal.Emulator.Kubernetes.Server;
using Portal.Emulator.Kubernetes.Specs;
using Portal.Emulator.Kubernetes.Store;

namespace Portal.Emulator.Kubernetes.Controllers;

/// <summary>
/// Simulated controllers, driven by the store's change stream and the injected <see cref="TimeProvider"/>:
/// Deployments and StatefulSets become available, Jobs complete, Namespaces delete their contents, Argo CD Applications sync
/// (or degrade on an unknown source), KEDA ScaledObjects become Ready and own their HPA, dependents are garbage
/// collected, and a deleted CRD takes its custom resources along. Each step is level-triggered: it re-reads the
/// object and writes only when something changes, so the controllers settle instead of looping.
/// </summary>
public sealed class KubernetesControllers(
    KubernetesStore store,
    KubernetesApiServer api,
    KubernetesSpecs specs,
    IOptions<KubernetesEmulatorOptions> options,
    TimeProvider clock,
    ILogger<KubernetesControllers> logger) : BackgroundService
{
    private const string Deployments = "apps/deployments";
    private const string StatefulSets = "apps/statefulsets";
    private const string Jobs = "batch/jobs";
    private const string Namespaces = "/namespaces";
    private const string Applications = "argoproj.io/applications";
    private const string ScaledObjects = "keda.sh/scaledobjects";
    private const string KedaFinalizer = "finalizer.keda.sh";
    private const string ArgoFinalizer = "resources-finalizer.argocd.argoproj.io";

    private readonly ConcurrentDictionary<string, ITimer> _timers = new(StringComparer.Ordinal);

    private KubernetesEmulatorOptions Options => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (cluster, change) in store.Changes.ReadAllAsync(stoppingToken))
                Run(() => Dispatch(cluster, change));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        foreach (var timer in _timers.Values) timer.Dispose();
        _timers.Clear();
        base.Dispose();
    }

    private void Run(Action work)
    {
        try { work(); }
        catch (Exception e)
        {
            // A simulated controller that fails retries on the next change, as a real one would.
            logger.LogWarning(e, "Simulated controller step failed");
        }
    }

    private void Dispatch(ClusterStore cluster, WatchEvent change)
    {
        var obj = change.Object;
        var ns = Json.Str(obj, "metadata", "namespace");
        var name = Json.Str(obj, "metadata", "name")!;
        var deleting = obj["metadata"]?["deletionTimestamp"] is not null;
        if (change.Type == "DELETED")
        {
            CollectGarbage(cluster, Json.Str(obj, "metadata", "uid"));
            if (change.StorageKey == ResourceCatalog.CrdStorageKey) RemoveCustomResources(cluster, obj);
            return;
        }
        switch (change.StorageKey)
        {
            case Deployments when !deleting:
                ReconcileDeployment(cluster, ns, name);
                foreach (var so in cluster.List(ScaledObjects, ns).Where(so => Json.Str(so, "spec", "scaleTargetRef", "name") == name))
                    Schedule(cluster, $"so/{ns}/{Json.Str(so, "metadata", "name")}", TimeSpan.Zero, () => ReconcileScaledObject(cluster, ns!, Json.Str(so, "metadata", "name")!));
                break;
            case StatefulSets when !deleting:
                ReconcileStatefulSet(cluster, ns, name);
                break;
            case Jobs when !deleting:
                ReconcileJob(cluster, ns, name);
                break;
            case Namespaces when deleting:
                Schedule(cluster, $"ns/{name}", Options.NamespaceDeletionDelay, () => FinishNamespace(cluster, name));
                break;
            case Applications:
                ReconcileApplication(cluster, ns!, name, obj, deleting);
                break;
            case ScaledObjects when deleting:
                Schedule(cluster, $"so/{ns}/{name}", TimeSpan.Zero, () => FinalizeScaledObject(cluster, ns!, name));
                break;
            case ScaledObjects:
                Schedule(cluster, $"so/{ns}/{name}", Options.ScaledObjectReadyDelay, () => ReconcileScaledObject(cluster, ns!, name));
                break;
        }
    }

    /// <summary>Runs <paramref name="work"/> after <paramref name="delay"/> on the injected clock; a newer schedule for the same id replaces an older one.</summary>
    private void Schedule(ClusterStore cluster, string id, TimeSpan delay, Action work)
    {
        var key = $"{cluster.Key}|{id}";
        if (delay <= TimeSpan.Zero)
        {
            if (_timers.TryRemove(key, out var pending)) pending.Dispose();
            Run(work);
            return;
        }
        ITimer? timer = null;
        timer = clock.CreateTimer(_ =>
        {
            if (_timers.TryGetValue(key, out var current) && ReferenceEquals(current, timer)) _timers.TryRemove(key, out ITimer? _);
            Run(work);
        }, null, delay, Timeout.InfiniteTimeSpan);
        if (_timers.TryGetValue(key, out var older) && older is not null)
        {
            // Keep the earlier deadline: a burst of changes must not postpone readiness forever.
            timer.Dispose();
            return;
        }
        _timers[key] = timer;
    }

    private ResourceType? TypeOf(ClusterStore cluster, string storageKey) => api.Types(cluster).FindStorage(storageKey);

    private string Now() => KubernetesStore.Timestamp(clock.GetUtcNow());

    /// <summary>Sets a condition, keeping its lastTransitionTime when its status did not change. Returns the status object.</summary>
    /// <param name="withTransitionTime">
    /// False for KEDA's resources: their Condition type has no lastTransitionTime, and a field the CRD's schema does
    /// not declare would be pruned by a real API server (and fail the next strict apply of the object here).
    /// </param>
    private void SetCondition(JsonObject status, string type, string value, string reason, string message, bool withUpdateTime = false, bool withTransitionTime = true)
    {
        if (status["conditions"] is not JsonArray conditions) status["conditions"] = conditions = [];
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => Json.Str(c, "type") == type);
        var transition = existing is not null && Json.Str(existing, "status") == value ? Json.Str(existing, "lastTransitionTime") ?? Now() : Now();
        var condition = new JsonObject { ["type"] = type, ["status"] = value };
        if (withUpdateTime) condition["lastUpdateTime"] = existing is not null && Json.Str(existing, "status") == value && Json.Str(existing, "reason") == reason ? Json.Str(existing, "lastUpdateTime") : Now();
        if (withTransitionTime) condition["lastTransitionTime"] = transition;
        condition["reason"] = reason;
        condition["message"] = message;
        if (existing is null) conditions.Add(condition);
        else conditions[conditions.IndexOf(existing)] = condition;
    }

    // ---- Deployments: the new generation is observed at once, the replicas become ready after the delay.

    private void ReconcileDeployment(ClusterStore cluster, string? ns, string name)
    {
        if (TypeOf(cluster, Deployments) is not { } type) return;
        var current = cluster.Get(Deployments, ns, name);
        if (current is null || Json.Str(current, "spec", "paused") == "true") return;
        var generation = Json.Long(current, "metadata", "generation") ?? 1;
        var replicas = Json.Long(current, "spec", "replicas") ?? 1;
        if (Json.Long(current, "status", "observedGeneration") == generation && Json.Long(current, "status", "replicas") == replicas) return;
        api.Mutate(cluster, type, ns, name, d =>
        {
            var status = Json.Obj(d, "status");
            status["observedGeneration"] = generation;
            status["replicas"] = replicas;
            status["updatedReplicas"] = replicas;
            var ready = Math.Min(Json.Long(status, "readyReplicas") ?? 0, replicas);
            if (ready > 0) { status["readyReplicas"] = ready; status["availableReplicas"] = ready; }
            else { status.Remove("readyReplicas"); status.Remove("availableReplicas"); }
            if (replicas - ready > 0) status["unavailableReplicas"] = replicas - ready;
            else status.Remove("unavailableReplicas");
            SetCondition(status, "Available", ready >= replicas ? "True" : "False",
                ready >= replicas ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                ready >= replicas ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", withUpdateTime: true);
            SetCondition(status, "Progressing", "True", "ReplicaSetUpdated", $"ReplicaSet \"{ReplicaSetName(d)}\" is progressing.", withUpdateTime: true);
            return true;
        });
        Schedule(cluster, $"deploy/{ns}/{name}", Options.DeploymentReadyDelay, () => DeploymentReady(cluster, ns, name, generation));
    }

    private void DeploymentReady(ClusterStore cluster, string? ns, string name, long generation)
    {
        if (TypeOf(cluster, Deployments) is not { } type) return;
        api.Mutate(cluster, type, ns, name, d =>
        {
            if (Json.Long(d, "metadata", "generation") != generation) return false;
            var replicas = Json.Long(d, "spec", "replicas") ?? 1;
            var status = Json.Obj(d, "status");
            status["observedGeneration"] = generation;
            status["replicas"] = replicas;
            status["updatedReplicas"] = replicas;
            if (replicas > 0) { status["readyReplicas"] = replicas; status["availableReplicas"] = replicas; }
            else { status.Remove("readyReplicas"); status.Remove("availableReplicas"); }
            status.Remove("unavailableReplicas");
            SetCondition(status, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", withUpdateTime: true);
            SetCondition(status, "Progressing", "True", "NewReplicaSetAvailable", $"ReplicaSet \"{ReplicaSetName(d)}\" has successfully progressed.", withUpdateTime: true);
            return true;
        });
    }

    private static string ReplicaSetName(JsonObject deployment)
    {
        var template = deployment["spec"]?["template"]?.ToJsonString() ?? "";
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(template)))[..10].ToLowerInvariant();
        return $"{Json.Str(deployment, "metadata", "name")}-{hash}";
    }

    // ---- StatefulSets: as Deployments (same delay), with the status fields the StatefulSet controller writes.

    private void ReconcileStatefulSet(ClusterStore cluster, string? ns, string name)
    {
        if (TypeOf(cluster, StatefulSets) is not { } type) return;
        var current = cluster.Get(StatefulSets, ns, name);
        if (current is null) return;
        var generation = Json.Long(current, "metadata", "generation") ?? 1;
        var replicas = Json.Long(current, "spec", "replicas") ?? 1;
        if (Json.Long(current, "status", "observedGeneration") == generation && Json.Long(current, "status", "replicas") == replicas) return;
        var revision = $"{name}-{ReplicaSetName(current)[(name.Length + 1)..]}";
        api.Mutate(cluster, type, ns, name, s =>
        {
            var status = Json.Obj(s, "status");
            status["observedGeneration"] = generation;
            status["replicas"] = replicas;
            // Pods of the old revision keep serving while the new ones start: ready counts stay until the delay is over.
            status["readyReplicas"] = Math.Min(Json.Long(status, "readyReplicas") ?? 0, replicas);
            status["availableReplicas"] = Math.Min(Json.Long(status, "availableReplicas") ?? 0, replicas);
            status["currentReplicas"] = Math.Min(Json.Long(status, "currentReplicas") ?? 0, replicas);
            status["updatedReplicas"] = 0;
            status["updateRevision"] = revision;
            status["currentRevision"] ??= revision;
            status["collisionCount"] ??= 0;
            return true;
        });
        Schedule(cluster, $"sts/{ns}/{name}", Options.DeploymentReadyDelay, () => api.Mutate(cluster, type, ns, name, s =>
        {
            if (Json.Long(s, "metadata", "generation") != generation) return false;
            var count = Json.Long(s, "spec", "replicas") ?? 1;
            var status = Json.Obj(s, "status");
            status["observedGeneration"] = generation;
            status["replicas"] = count;
            status["readyReplicas"] = count;
            status["availableReplicas"] = count;
            status["currentReplicas"] = count;
            status["updatedReplicas"] = count;
            status["currentRevision"] = revision;
            status["updateRevision"] = revision;
            return true;
        }));
    }

    // ---- Jobs: start at once, complete after the delay.

    private void ReconcileJob(ClusterStore cluster, string? ns, string name)
    {
        if (TypeOf(cluster, Jobs) is not { } type) return;
        var job = cluster.Get(Jobs, ns, name);
        if (job is null || job["spec"]?["suspend"]?.GetValue<bool>() == true || job["status"]?["startTime"] is not null) return;
        api.Mutate(cluster, type, ns, name, j =>
        {
            var status = Json.Obj(j, "status");
            status["startTime"] = Now();
            status["active"] = Json.Long(j, "spec", "parallelism") ?? 1;
            status["ready"] = 0;
            status["terminating"] = 0;
            return true;
        });
        Schedule(cluster, $"job/{ns}/{name}", Options.JobCompletionDelay, () => api.Mutate(cluster, type, ns, name, j =>
        {
            var status = Json.Obj(j, "status");
            if (status["completionTime"] is not null) return false;
            status.Remove("active");
            status["succeeded"] = Json.Long(j, "spec", "completions") ?? 1;
            status["ready"] = 0;
            status["terminating"] = 0;
            status["completionTime"] = Now();
            SetCondition(status, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods");
            SetCondition(status, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods");
            return true;
        }));
    }

    // ---- Namespaces: a terminating namespace deletes its contents, waits for their finalizers, then goes.

    private void FinishNamespace(ClusterStore cluster, string name)
    {
        if (cluster.Get(Namespaces, null, name) is not { } ns || ns["metadata"]?["deletionTimestamp"] is null) return;
        var types = api.Types(cluster);
        var remaining = 0;
        foreach (var (storageKey, obj) in cluster.All(name))
        {
            var type = types.FindStorage(storageKey);
            var objName = Json.Str(obj, "metadata", "name")!;
            if (type is null) { cluster.Remove(storageKey, name, objName); continue; }
            try { api.Delete(cluster, type, name, objName, null, dryRun: false); }
            catch (KubeStatusException e) when (e.Code == 404) { }
            if (cluster.Get(storageKey, name, objName) is not null) remaining++;
        }
        if (remaining > 0)
        {
            // Waiting on finalizers of the contents, as the namespace controller does; look again shortly.
            var retry = Options.NamespaceDeletionDelay > TimeSpan.Zero ? Options.NamespaceDeletionDelay : TimeSpan.FromMilliseconds(200);
            Schedule(cluster, $"ns/{name}", retry, () => FinishNamespace(cluster, name));
            return;
        }
        if (TypeOf(cluster, Namespaces) is { } nsType) api.ForceRemove(cluster, nsType, null, name);
    }

    // ---- Garbage collection of dependents, and custom resources of a deleted CRD.

    private void CollectGarbage(ClusterStore cluster, string? ownerUid)
    {
        if (ownerUid is null) return;
        var types = api.Types(cluster);
        foreach (var (storageKey, obj) in cluster.All())
        {
            if (obj["metadata"]?["ownerReferences"] is not JsonArray owners
                || !owners.Any(o => Json.Str(o, "uid") == ownerUid)) continue;
            if (types.FindStorage(storageKey) is not { } type) continue;
            try { api.Delete(cluster, type, Json.Str(obj, "metadata", "namespace"), Json.Str(obj, "metadata", "name")!, null, dryRun: false); }
            catch (KubeStatusException) { }
        }
    }

    private static void RemoveCustomResources(ClusterStore cluster, JsonObject crd)
    {
        var storageKey = $"{Json.Str(crd, "spec", "group")}/{Json.Str(crd, "spec", "names", "plural")}";
        foreach (var obj in cluster.List(storageKey))
            cluster.Remove(storageKey, Json.Str(obj, "metadata", "namespace"), Json.Str(obj, "metadata", "name")!);
    }

    // ---- Argo CD Applications: OutOfSync/Progressing at once, then Synced/Healthy or Degraded after the delay.

    private void ReconcileApplication(ClusterStore cluster, string ns, string name, JsonObject app, bool deleting)
    {
        if (TypeOf(cluster, Applications) is not { } type) return;
        if (deleting)
        {
            Schedule(cluster, $"app/{ns}/{name}", Options.ApplicationSyncDelay, () => api.Mutate(cluster, type, ns, name, a =>
            {
                if (a["metadata"]?["finalizers"] is not JsonArray finalizers) return false;
                foreach (var f in finalizers.Where(f => (string?)f == ArgoFinalizer).ToList()) finalizers.Remove(f);
                return true;
            }));
            return;
        }
        var target = Target(app);
        if (JsonNode.DeepEquals(app["status"]?["sync"]?["comparedTo"], target) && app["status"]?["health"]?["status"] is not null) return;
        api.Mutate(cluster, type, ns, name, a =>
        {
            var status = Json.Obj(a, "status");
            status["sync"] = new JsonObject { ["status"] = "OutOfSync", ["comparedTo"] = Target(a) };
            status["health"] = new JsonObject { ["status"] = "Progressing" };
            status["reconciledAt"] = Now();
            status["sourceType"] = SourceOf(a)?["chart"] is not null ? "Helm" : "Directory";
            return true;
        });
        Schedule(cluster, $"app/{ns}/{name}", Options.ApplicationSyncDelay, () => api.Mutate(cluster, type, ns, name, a =>
        {
            var status = Json.Obj(a, "status");
            if (!JsonNode.DeepEquals(status["sync"]?["comparedTo"], Target(a))) return false; // a newer spec is being reconciled
            var source = SourceOf(a);
            var problem = Unresolvable(source);
            var revision = Json.Str(source, "targetRevision") ?? "HEAD";
            status["reconciledAt"] = Now();
            if (problem is null)
            {
                status["sync"] = new JsonObject { ["status"] = "Synced", ["revision"] = revision, ["comparedTo"] = Target(a) };
                status["health"] = new JsonObject { ["status"] = "Healthy", ["lastTransitionTime"] = Now() };
                status["operationState"] = new JsonObject
                {
                    ["phase"] = "Succeeded",
                    ["message"] = "successfully synced (all tasks run)",
                    ["startedAt"] = Now(),
                    ["finishedAt"] = Now(),
                    ["operation"] = new JsonObject { ["sync"] = new JsonObject { ["revision"] = revision }, ["initiatedBy"] = new JsonObject { ["automated"] = true } },
                    ["syncResult"] = new JsonObject { ["revision"] = revision, ["source"] = source?.DeepClone() },
                };
                status.Remove("conditions");
                // Helm installs the chart's CRDs first: the resources the platform then creates (ScaledObjects,
                // ServiceMonitors, NodePools) need them, so the simulation installs the upstream ones it has.
                var crds = ChartCrds(Json.Str(source, "chart"));
                if (crds.Count > 0) Schedule(cluster, $"crds/{ns}/{name}", TimeSpan.Zero, () => InstallCrds(cluster, crds));
            }
            else
            {
                status["sync"] = new JsonObject { ["status"] = "Unknown", ["comparedTo"] = Target(a) };
                status["health"] = new JsonObject { ["status"] = "Degraded", ["message"] = problem, ["lastTransitionTime"] = Now() };
                status["conditions"] = new JsonArray(new JsonObject { ["type"] = "ComparisonError", ["message"] = problem, ["lastTransitionTime"] = Now() });
            }
            return true;
        }));
    }

    /// <summary>The upstream CRD files (specs/crds) a known chart installs, by the file names' group prefix.</summary>
    private IReadOnlyList<string> ChartCrds(string? chart)
    {
        string[] prefixes = chart switch
        {
            "keda" => ["keda.sh_"],
            "kube-prometheus-stack" => ["monitoring.coreos.com_"],
            "karpenter" => ["karpenter.sh_", "karpenter.k8s.aws_"],
            _ => [],
        };
        return prefixes.Length == 0 ? [] : specs.UpstreamCrdFiles.Where(f => prefixes.Any(p => Path.GetFileName(f).StartsWith(p, StringComparison.Ordinal))).ToList();
    }

    private void InstallCrds(ClusterStore cluster, IReadOnlyList<string> files)
    {
        if (TypeOf(cluster, ResourceCatalog.CrdStorageKey) is not { } crdType) return;
        foreach (var file in files)
        foreach (var crd in Json.YamlDocuments(File.ReadAllText(file)))
        {
            var crdName = Json.Str(crd, "metadata", "name");
            if (crdName is null || cluster.Get(crdType.StorageKey, null, crdName) is not null) continue;
            try
            {
                api.Create(cluster, crdType, null, crd, WriteOptions.System("helm"), []);
            }
            catch (KubeStatusException e)
            {
                logger.LogWarning("Could not install CRD {Crd} for a synced chart: {Error}", crdName, e.Message);
            }
        }
    }

    private static JsonObject? SourceOf(JsonObject app) =>
        app["spec"]?["source"] as JsonObject ?? (app["spec"]?["sources"] as JsonArray)?.FirstOrDefault() as JsonObject;

    private static JsonObject Target(JsonObject app) => new()
    {
        ["source"] = SourceOf(app)?.DeepClone(),
        ["destination"] = app["spec"]?["destination"]?.DeepClone(),
    };

    /// <summary>Why Argo CD could not resolve this source, or null when it can.</summary>
    private string? Unresolvable(JsonObject? source)
    {
        if (source is null) return "application spec is invalid: no source";
        var repo = Json.Str(source, "repoURL") ?? "";
        static string Norm(string url) => url.TrimEnd('/');
        if (Json.Str(source, "chart") is { } chart)
        {
            var version = Json.Str(source, "targetRevision");
            var known = Options.KnownHelmCharts.Select(k => k.Split('|')).Any(k =>
                k.Length >= 2 && Norm(k[0]) == Norm(repo) && k[1] == chart && (k.Length < 3 || k[2] == version));
            return known ? null
                : $"Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = failed to fetch chart: chart \"{chart}\" version \"{version}\" not found in repository {repo}";
        }
        if (Options.KnownGitRepositories.Count > 0 && !Options.KnownGitRepositories.Any(r => Norm(r) == Norm(repo)))
            return $"Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = repository not found: {repo}";
        return null;
    }

    // ---- KEDA ScaledObjects: Ready once the scale target exists, with an HPA named keda-hpa-<name>.

    private void ReconcileScaledObject(ClusterStore cluster, string ns, string name)
    {
        var types = api.Types(cluster);
        if (types.FindStorage(ScaledObjects) is not { } soType || types.FindStorage("autoscaling/horizontalpodautoscalers") is not { } hpaType) return;
        var so = cluster.Get(ScaledObjects, ns, name);
        if (so is null || so["metadata"]?["deletionTimestamp"] is not null) return;
        if (!(so["metadata"]?["finalizers"] as JsonArray ?? []).Any(f => (string?)f == KedaFinalizer))
        {
            // KEDA puts its finalizer on first sight, so deleting a ScaledObject also cleans up its HPA.
            so = api.Mutate(cluster, soType, ns, name, s =>
            {
                if (Json.Metadata(s)["finalizers"] is not JsonArray finalizers) Json.Metadata(s)["finalizers"] = finalizers = [];
                finalizers.Add(KedaFinalizer);
                return true;
            }) ?? so;
        }
        var targetRef = so["spec"]?["scaleTargetRef"] as JsonObject;
        var targetApiVersion = Json.Str(targetRef, "apiVersion") ?? "apps/v1";
        var targetKind = Json.Str(targetRef, "kind") ?? "Deployment";
        var targetName = Json.Str(targetRef, "name") ?? "";
        var targetType = types.FindByKind(targetApiVersion, targetKind);
        var target = targetType is null ? null : cluster.Get(targetType.StorageKey, ns, targetName);
        var triggers = (so["spec"]?["triggers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var hpaName = Json.Str(so, "spec", "advanced", "horizontalPodAutoscalerConfig", "name") ?? $"keda-hpa-{name}";
        string? problem = target is null
            ? "ScaledObject doesn't have correct scaleTargetRef specification"
            : triggers.Count == 0 ? "ScaledObject doesn't have correct triggers specification" : null;
        if (problem is null)
        {
            try { UpsertHpa(cluster, hpaType, so, ns, hpaName, targetApiVersion, targetKind, targetName, triggers); }
            catch (KubeStatusException e) { problem = $"Failed to ensure HPA is correctly created for ScaledObject: {e.Message}"; }
        }
        api.Mutate(cluster, soType, ns, name, s =>
        {
            var status = Json.Obj(s, "status");
            if (problem is null)
            {
                status["hpaName"] = hpaName;
                status["scaleTargetKind"] = $"{targetApiVersion}.{targetKind}";
                status["scaleTargetGVKR"] = new JsonObject
                {
                    ["group"] = targetType!.Group, ["version"] = targetType.Version, ["kind"] = targetKind, ["resource"] = targetType.Plural,
                };
                status["originalReplicaCount"] ??= Json.Long(target, "spec", "replicas") ?? 1;
                status["triggersTypes"] = string.Join(",", triggers.Select(t => Json.Str(t, "type")));
                SetCondition(status, "Ready", "True", "ScaledObjectReady", "ScaledObject is defined correctly and is ready for scaling", withTransitionTime: false);
                SetCondition(status, "Active", "False", "ScalerNotActive", "Scaling is not performed because triggers are not active", withTransitionTime: false);
            }
            else
            {
                SetCondition(status, "Ready", "False", "ScaledObjectCheckFailed", problem, withTransitionTime: false);
                SetCondition(status, "Active", "False", "ScaledObjectCheckFailed", problem, withTransitionTime: false);
            }
            SetCondition(status, "Fallback", "False", "NoFallbackFound", "No fallbacks are active on this scaled object", withTransitionTime: false);
            SetCondition(status, "Paused", "False", "ScaledObjectUnpaused", "ScaledObject is not paused", withTransitionTime: false);
            return true;
        });
    }

    private void UpsertHpa(ClusterStore cluster, ResourceType hpaType, JsonObject so, string ns, string hpaName,
        string targetApiVersion, string targetKind, string targetName, List<JsonObject> triggers)
    {
        var soName = Json.Str(so, "metadata", "name")!;
        var metrics = new JsonArray();
        for (var i = 0; i < triggers.Count; i++)
        {
            var trigger = triggers[i];
            var triggerType = Json.Str(trigger, "type") ?? "";
            var metadata = trigger["metadata"] as JsonObject;
            if (triggerType is "cpu" or "memory")
            {
                var metricType = Json.Str(trigger, "metricType") ?? Json.Str(metadata, "type") ?? "Utilization";
                var value = Json.Str(metadata, "value") ?? "80";
                var targetSpec = metricType == "Utilization"
                    ? new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = int.TryParse(value, CultureInfo.InvariantCulture, out var u) ? u : 80 }
                    : new JsonObject { ["type"] = metricType, [metricType == "AverageValue" ? "averageValue" : "value"] = value };
                metrics.Add(new JsonObject { ["type"] = "Resource", ["resource"] = new JsonObject { ["name"] = triggerType, ["target"] = targetSpec } });
                continue;
            }
            var threshold = Json.Str(metadata, "threshold") ?? Json.Str(metadata, "targetValue") ?? Json.Str(metadata, "value") ?? "1";
            metrics.Add(new JsonObject
            {
                ["type"] = "External",
                ["external"] = new JsonObject
                {
                    ["metric"] = new JsonObject
                    {
                        ["name"] = $"s{i}-{triggerType}",
                        ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["scaledobject.keda.sh/name"] = soName } },
                    },
                    ["target"] = new JsonObject { ["type"] = "AverageValue", ["averageValue"] = threshold },
                },
            });
        }
        var min = Json.Long(so, "spec", "minReplicaCount") ?? 0;
        var spec = new JsonObject
        {
            ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = targetApiVersion, ["kind"] = targetKind, ["name"] = targetName },
            ["minReplicas"] = Math.Max(min, 1),
            ["maxReplicas"] = Json.Long(so, "spec", "maxReplicaCount") ?? 100,
            ["metrics"] = metrics,
        };
        if (so["spec"]?["advanced"]?["horizontalPodAutoscalerConfig"]?["behavior"] is { } behavior) spec["behavior"] = behavior.DeepClone();
        var hpa = new JsonObject
        {
            ["apiVersion"] = "autoscaling/v2",
            ["kind"] = "HorizontalPodAutoscaler",
            ["metadata"] = new JsonObject
            {
                ["name"] = hpaName,
                ["namespace"] = ns,
                ["labels"] = new JsonObject
                {
                    ["app.kubernetes.io/managed-by"] = "keda-operator",
                    ["app.kubernetes.io/name"] = hpaName,
                    ["app.kubernetes.io/part-of"] = soName,
                    ["scaledobject.keda.sh/name"] = soName,
                },
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = Json.Str(so, "apiVersion") ?? "keda.sh/v1alpha1",
                    ["kind"] = "ScaledObject",
                    ["name"] = soName,
                    ["uid"] = Json.Str(so, "metadata", "uid"),
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                }),
            },
            ["spec"] = spec,
        };
        var manager = WriteOptions.System("keda-operator");
        if (cluster.Get(hpaType.StorageKey, ns, hpaName) is { } existing)
        {
            if (JsonNode.DeepEquals(existing["spec"], spec)) return;
            var updated = Json.Clone(existing);
            updated["spec"] = spec;
            api.Replace(cluster, hpaType, ns, hpaName, updated, manager, []);
        }
        else api.Create(cluster, hpaType, ns, hpa, manager, []);
    }

    private void FinalizeScaledObject(ClusterStore cluster, string ns, string name)
    {
        var types = api.Types(cluster);
        if (types.FindStorage(ScaledObjects) is not { } soType) return;
        var so = cluster.Get(ScaledObjects, ns, name);
        if (so is null) return;
        var hpaName = Json.Str(so, "status", "hpaName");
        if (hpaName is not null && types.FindStorage("autoscaling/horizontalpodautoscalers") is { } hpaType)
        {
            try { api.Delete(cluster, hpaType, ns, hpaName, null, dryRun: false); }
            catch (KubeStatusException e) when (e.Code == 404) { }
        }
        api.Mutate(cluster, soType, ns, name, s =>
        {
            if (s["metadata"]?["finalizers"] is not JsonArray finalizers) return false;
            foreach (var f in finalizers.Where(f => (string?)f == KedaFinalizer).ToList()) finalizers.Remove(f);
            return true;
        });
    }
}
