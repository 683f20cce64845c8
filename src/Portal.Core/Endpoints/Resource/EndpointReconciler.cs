using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Hangfire;
using k8s;
using k8s.Autorest;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Cloud.Aws;
using Portal.Core.Cloud.Kubernetes;
using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Endpoints.Rendering;
using Portal.Core.Endpoints.Resource.Jobs;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;

namespace Portal.Core.Endpoints.Resource;

/// <summary>
/// Takes one inference endpoint one step toward its spec, the way <c>ClusterReconciler</c> does for clusters: claim the
/// lease, read the real state, take the next step, write status, conditions and events in one transaction, release,
/// reschedule. Steps: GPU capacity (a managed node group through the cluster resource, or a Karpenter NodePool) →
/// server-side apply of the rendered objects, pruning what is no longer rendered → status from the cluster
/// (Deployments, ScaledObjects, HPAs). Deletion: delete the objects, wait until gone, release capacity, remove the row.
/// </summary>
public sealed class EndpointReconciler(
    IDbContextFactory<PortalDbContext> contexts,
    ResourceLeases leases,
    AwsSessions sessions,
    KubernetesClientFactory kubernetes,
    KubeconfigProtector kubeconfigs,
    ClusterService clusters,
    EndpointService endpoints,
    EndpointRenderer renderer,
    GpuCapacity capacity,
    GpuTypes gpus,
    IBackgroundJobClient jobs,
    IOptions<ReconciliationOptions> reconciliation,
    IOptions<EndpointOptions> options,
    IOptions<EnvironmentRoleHooks> hooks,
    TimeProvider clock,
    ILogger<EndpointReconciler> logger)
{
    public const string CapacityReady = "CapacityReady";
    public const string Applied = "Applied";
    public const string Available = "Available";

    private ReconciliationOptions Timing => reconciliation.Value;

    /// <summary>One run. Returns quietly when another run holds the endpoint or the row is gone.</summary>
    public async Task ReconcileAsync(Guid endpointId, CancellationToken ct)
    {
        await using var lease = await leases.TryClaimAsync<InferenceEndpoint>(endpointId, ct);
        if (lease is null)
        {
            logger.LogDebug("Endpoint {EndpointId} is being reconciled elsewhere (or is gone); skipping", endpointId);
            return;
        }
        var target = await LoadAsync(endpointId, lease.Lost);
        if (target is null)
        {
            lease.MarkGone();
            return;
        }
        EndpointStep result;
        try
        {
            result = await StepAsync(target, lease.Lost);
        }
        catch (OperationCanceledException) when (lease.Lost.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Lost the lease on endpoint {EndpointId} mid-step; the new holder carries on", endpointId);
            return;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            result = Classify(target, e);
        }
        await CommitAsync(target, lease, result, ct);
    }

    // ---- loading and committing ----

    private sealed class Target(InferenceEndpoint endpoint, Cluster cluster, TeamEnvironment environment, string teamSlug, string actingUser, IReadOnlyList<EndpointSpec> peers)
    {
        public InferenceEndpoint Endpoint { get; } = endpoint;
        public Cluster Cluster { get; } = cluster;
        public TeamEnvironment Environment { get; } = environment;
        public string TeamSlug { get; } = teamSlug;
        public string ActingUser { get; } = actingUser;

        /// <summary>The specs of the cluster's endpoints that are not being deleted (this one included, unless it is).</summary>
        public IReadOnlyList<EndpointSpec> Peers { get; } = peers;

        public EndpointTarget Placement => EndpointService.TargetOf(TeamSlug, Cluster);

        /// <summary>What the run was doing when it failed, for the error message ("applying Deployment resnet").</summary>
        public string? Doing { get; set; }
    }

    private async Task<Target?> LoadAsync(Guid id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var endpoint = await db.InferenceEndpoints.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
        if (endpoint is null) return null;
        var cluster = await db.Clusters.AsNoTracking().Include(c => c.NodePools).FirstOrDefaultAsync(c => c.Id == endpoint.ClusterId, ct);
        if (cluster is null) return null;
        var environment = await db.Environments.AsNoTracking().FirstAsync(e => e.Id == cluster.EnvironmentId, ct);
        var team = await db.Teams.AsNoTracking().Where(t => t.Id == endpoint.TeamId).Select(t => t.Slug).FirstAsync(ct);
        var user = await db.Users.AsNoTracking().Where(u => u.Id == endpoint.CreatedByUserId).Select(u => u.Email).FirstOrDefaultAsync(ct);
        var peers = await db.InferenceEndpoints.AsNoTracking()
            .Where(e => e.ClusterId == cluster.Id && e.DeletionRequestedAt == null)
            .OrderBy(e => e.Name).Select(e => e.Spec).ToListAsync(ct);
        return new Target(endpoint, cluster, environment, team, user ?? "portal", peers);
    }

    private async Task CommitAsync(Target target, ResourceLease lease, EndpointStep result, CancellationToken ct)
    {
        var id = target.Endpoint.Id;
        var readGeneration = target.Endpoint.Generation;
        TimeSpan? delay;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await lease.ConfirmAsync(db, ct))
            {
                logger.LogWarning("Lost the lease on endpoint {EndpointId} before writing its status; discarding this run's result", id);
                return;
            }
            var row = await db.InferenceEndpoints.FirstOrDefaultAsync(e => e.Id == id, ct);
            if (row is null)
            {
                lease.MarkGone();
                return;
            }
            var now = clock.GetUtcNow();
            if (result.RemoveRow)
            {
                foreach (var (step, outcome, message) in result.Events) Record(db, now, row, step, outcome, message);
                db.InferenceEndpoints.Remove(row);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                lease.MarkGone();
                return;
            }
            foreach (var (step, outcome, message) in result.ApplyTo(row, now, specMoved: row.Generation != readGeneration)) Record(db, now, row, step, outcome, message);
            foreach (var (step, outcome, message) in result.Events) Record(db, now, row, step, outcome, message);
            if (result.Observed && row.Generation == readGeneration) row.ObservedGeneration = readGeneration;
            if (result.IsRetry)
            {
                row.Attempt++;
                if (row.Attempt == 1) Record(db, now, row, "retry", EventOutcome.Failed, $"{row.LastError} Retrying with backoff.");
            }
            else
            {
                row.Attempt = 0;
            }
            delay = result.RequeueAfter;
            if (row.Generation != readGeneration) delay = TimeSpan.Zero;
            row.NextAttemptAtUnixMs = delay is { } d ? now.Add(d).ToUnixTimeMilliseconds() : 0;
            await db.SaveChangesAsync(ct);
            if (!await lease.ReleaseAsync(db, ct))
            {
                await tx.RollbackAsync(ct);
                return;
            }
            await tx.CommitAsync(ct);
        }
        Schedule(id, delay);
    }

    private static void Record(PortalDbContext db, DateTimeOffset now, InferenceEndpoint row, string step, EventOutcome outcome, string message) =>
        EventLog.Record(db, now, row.TeamId, EndpointService.EventResource, row.Id, step, outcome, message);

    private void Schedule(Guid id, TimeSpan? delay)
    {
        if (delay is not { } d) return;
        try
        {
            if (d <= TimeSpan.Zero) jobs.Enqueue<ReconcileEndpointJob>(j => j.RunAsync(id, CancellationToken.None));
            else jobs.Schedule<ReconcileEndpointJob>(j => j.RunAsync(id, CancellationToken.None), d);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not schedule the next reconcile of endpoint {EndpointId}; the resync will", id);
        }
    }

    // ---- the state machine ----

    private async Task<EndpointStep> StepAsync(Target target, CancellationToken ct)
    {
        var endpoint = target.Endpoint;
        var cluster = target.Cluster;
        var result = new EndpointStep();
        var deleting = endpoint.DeletionRequestedAt is not null;
        var progressing = deleting ? EndpointPhase.Deleting : endpoint.ObservedGeneration == 0 ? EndpointPhase.Deploying : EndpointPhase.Updating;

        if (cluster.DeletionRequestedAt is not null && !deleting)
            return result.Progress(progressing, $"Cluster '{cluster.Name}' is being deleted; the endpoint goes with it.", Timing.PollInterval);
        if (!cluster.IsAttached && (cluster.KubernetesEndpoint is null || cluster.CertificateAuthority is null || cluster.Phase is ClusterPhase.Pending or ClusterPhase.Provisioning))
        {
            if (deleting && cluster.KubernetesEndpoint is null) return Deleted(result, "the cluster never had an API endpoint, so nothing ran");
            return result.Progress(progressing, $"Waiting for cluster '{cluster.Name}' to be ready ({Label(cluster.Phase)}).", Timing.PollInterval);
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var facts = await endpoints.FactsAsync(db, cluster, target.TeamSlug, ct);
        using var client = await ClientAsync(target, ct);
        if (deleting) return await DeleteStepAsync(target, client, facts, result, ct);

        try
        {
            new EndpointSpecRules(gpus).Validate(endpoint.Spec, facts);
        }
        catch (DomainValidationException invalid)
        {
            // Valid when saved, but the cluster changed since (an add-on took the external metrics API).
            return result.Fail("The spec no longer fits this cluster: " + string.Join(" ", invalid.Errors.Select(p => $"{p.Key} {string.Join(" ", p.Value)}")) +
                               " Change the endpoint's spec and save it.");
        }

        if (await CapacityStepAsync(target, client, facts, progressing, result, ct) is { } waiting) return waiting;
        await ApplyStepAsync(target, client, facts, result, ct);
        return await StatusStepAsync(target, client, facts, progressing, result, ct);
    }

    /// <summary>A node pool for every GPU type the cluster's endpoints use, none for types nobody uses; null once this endpoint's pool is up.</summary>
    private async Task<EndpointStep?> CapacityStepAsync(Target target, IKubernetes client, ClusterFacts facts, EndpointPhase phase, EndpointStep result, CancellationToken ct)
    {
        var need = capacity.NeedOf(target.Endpoint.Spec)!;
        var pool = GpuCapacity.PoolName(need.GpuType);
        if (facts.UsesKarpenter)
        {
            if (!await ServesKarpenterAsync(client, ct))
            {
                result.Condition(CapacityReady, ConditionStatus.Unknown, "NotManaged",
                    $"The portal does not manage this attached cluster's nodes and it has no Karpenter: it needs nodes with {need.GpuType.Name} GPUs ({need.InstanceType.Name} or larger).");
                return null;
            }
            var changed = await SyncKarpenterAsync(target, client, facts, ct);
            if (changed.Count > 0) result.Event("capacity", EventOutcome.Info, $"Karpenter NodePools: {string.Join("; ", changed)}.");
            result.Condition(CapacityReady, ConditionStatus.True, "NodePool", $"Karpenter NodePool {pool} provides {need.GpuType.Name} nodes on demand.", "capacity");
            return null;
        }

        var wanted = WantedNodeGroups(target.Peers);
        var actor = PortalActor.System with { Name = $"system (endpoint {target.TeamSlug}/{target.Cluster.Name}/{target.Endpoint.Name})" };
        var row = target.Cluster.NodePools.FirstOrDefault(p => p.Name == pool);
        if (await clusters.SetEndpointNodePoolsAsync(actor, target.Cluster.Id, wanted, DescribePools(wanted), ct))
        {
            result.Event("capacity", EventOutcome.Started, $"Asked cluster '{target.Cluster.Name}' for GPU node pools: {DescribePools(wanted)}.");
            // A change to other pools (a peer's pool going away) or a resize of ours leaves this endpoint served: carry on.
            if (row?.ObservedStatus != "ACTIVE")
            {
                result.Condition(CapacityReady, ConditionStatus.False, "Requested", $"Asked cluster '{target.Cluster.Name}' for GPU node pools: {DescribePools(wanted)}.");
                return result.Progress(phase, $"Waiting for the cluster to add node pool {pool} ({need.GpuType.Name}).", Timing.PollInterval);
            }
        }
        if (row?.ObservedStatus != "ACTIVE")
        {
            result.Condition(CapacityReady, ConditionStatus.False, "Waiting", $"Node pool {pool} is {(row?.ObservedStatus ?? "being created").ToLowerInvariant()}.");
            return result.Progress(phase, $"Waiting for node pool {pool} ({need.GpuType.Name}, {need.InstanceType.Name}) to be active.", Timing.PollInterval);
        }
        result.Condition(CapacityReady, ConditionStatus.True, "Active", $"Node pool {pool} ({string.Join(", ", row.InstanceTypes)}, 0–{row.MaxSize} nodes) is active.", "capacity");
        return null;
    }

    private IReadOnlyList<NodePoolSpec> WantedNodeGroups(IReadOnlyList<EndpointSpec> peers) =>
        peers.Select(p => gpus.Find(p.Gpu.Type)).OfType<GpuType>().DistinctBy(t => t.Label).OrderBy(t => t.Label, StringComparer.Ordinal)
            .Select(t => capacity.NodeGroupFor(t, peers)).OfType<NodePoolSpec>().ToList();

    private static string DescribePools(IReadOnlyList<NodePoolSpec> pools) => pools.Count == 0
        ? "none (no endpoint needs a GPU pool)"
        : string.Join(", ", pools.Select(p => $"{p.Name} ({string.Join("/", p.InstanceTypes ?? [])}, {p.MinSize}–{p.MaxSize} nodes)"));

    private static async Task<bool> ServesKarpenterAsync(IKubernetes client, CancellationToken ct)
    {
        var resources = await client.CustomObjects.GetAPIResourcesAsync("karpenter.sh", "v1", ct).NullIfNotFoundAsync();
        return resources?.Resources.Any(r => r.Kind == "NodePool") == true;
    }

    /// <summary>One Karpenter NodePool per GPU type in use, sized for all its endpoints; the portal's pools for unused types go.</summary>
    private async Task<List<string>> SyncKarpenterAsync(Target target, IKubernetes client, ClusterFacts facts, CancellationToken ct)
    {
        var changes = new List<string>();
        var needs = target.Peers.Select(capacity.NeedOf).OfType<GpuNeed>().ToList();
        foreach (var group in needs.GroupBy(n => n.GpuType.Label))
        {
            var type = group.First().GpuType;
            var maxGpus = group.Sum(n => n.NodesAtMax * n.InstanceType.GpuCount);
            var manifest = GpuCapacity.KarpenterNodePool(type, maxGpus, facts);
            target.Doing = $"applying Karpenter NodePool {GpuCapacity.PoolName(type)}";
            var before = await client.GetAsync("karpenter.sh/v1", "NodePool", GpuCapacity.PoolName(type), null, ct);
            await client.ApplyAsync(manifest, ct);
            if (before is null) changes.Add($"created {GpuCapacity.PoolName(type)} (up to {maxGpus} GPUs)");
        }
        var list = await client.CustomObjects.ListClusterCustomObjectAsync("karpenter.sh", "v1", "nodepools",
            labelSelector: $"app.kubernetes.io/managed-by={EndpointRenderer.ManagedBy},{GpuCapacity.GpuLabel}", cancellationToken: ct);
        var items = JsonNode.Parse(KubernetesJson.Serialize(list))?["items"]?.AsArray() ?? [];
        var used = needs.Select(n => GpuCapacity.PoolName(n.GpuType)).ToHashSet(StringComparer.Ordinal);
        foreach (var name in items.Select(i => i?["metadata"]?["name"]?.GetValue<string>()).OfType<string>().Where(n => !used.Contains(n)))
        {
            target.Doing = $"deleting Karpenter NodePool {name}";
            if (await client.DeleteAsync("karpenter.sh/v1", "NodePool", name, null, ct)) changes.Add($"deleted {name}: no endpoint uses it");
        }
        target.Doing = null;
        return changes;
    }

    /// <summary>The team's namespace, then every rendered object in order (server-side apply); then prune what the last run applied and this one did not.</summary>
    private async Task ApplyStepAsync(Target target, IKubernetes client, ClusterFacts facts, EndpointStep result, CancellationToken ct)
    {
        var placement = target.Placement;
        target.Doing = $"applying Namespace {placement.Namespace}";
        await client.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject
            {
                ["name"] = placement.Namespace,
                ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = EndpointRenderer.ManagedBy, [EndpointRenderer.TeamLabel] = target.TeamSlug },
            },
        }, ct);
        var objects = renderer.Render(target.Endpoint.Spec, placement, facts);
        foreach (var manifest in objects)
        {
            target.Doing = $"applying {Key.Of(manifest).Describe}";
            await client.ApplyAsync(manifest, ct);
        }
        var applied = objects.Select(o => Key.Of(o).ToString()).ToList();
        var stale = target.Endpoint.AppliedObjects.Except(applied, StringComparer.Ordinal).ToList();
        foreach (var text in stale)
        {
            var key = Key.Parse(text);
            target.Doing = $"deleting {key.Describe}";
            await client.DeleteAsync(key.ApiVersion, key.Kind, key.Name, key.Namespace, ct);
        }
        target.Doing = null;
        if (stale.Count > 0) result.Event("prune", EventOutcome.Info, $"Deleted what the spec no longer renders: {string.Join(", ", stale.Select(s => Key.Parse(s).Describe))}.");
        var changed = !target.Endpoint.AppliedObjects.SequenceEqual(applied, StringComparer.Ordinal) || target.Endpoint.ObservedGeneration != target.Endpoint.Generation;
        if (changed) result.Event("apply", EventOutcome.Succeeded, $"Applied {objects.Count} object(s) with server-side apply (generation {target.Endpoint.Generation}).");
        result.Change(e => e.AppliedObjects = applied)
            .Condition(Applied, ConditionStatus.True, "Applied", $"{objects.Count} object(s) applied for generation {target.Endpoint.Generation}.");
    }

    /// <summary>Replicas from the Deployments, the scaling reason from KEDA and its HPA, URLs from the host names.</summary>
    private async Task<EndpointStep> StatusStepAsync(Target target, IKubernetes client, ClusterFacts facts, EndpointPhase progressing, EndpointStep result, CancellationToken ct)
    {
        var spec = target.Endpoint.Spec;
        var ns = target.Placement.Namespace;
        int ready = 0, desired = 0;
        var rolledOut = true;
        foreach (var variant in EndpointRenderer.Variants(spec))
        {
            var deployment = await client.GetAsync("apps/v1", "Deployment", variant.DeploymentName, ns, ct);
            if (deployment is null) { rolledOut = false; continue; }
            var replicas = Int(deployment["spec"]?["replicas"]) ?? 1;
            desired += replicas;
            ready += Int(deployment["status"]?["readyReplicas"]) ?? 0;
            var generation = Int(deployment["metadata"]?["generation"]) ?? 0;
            if ((Int(deployment["status"]?["observedGeneration"]) ?? 0) < generation || (Int(deployment["status"]?["updatedReplicas"]) ?? 0) < replicas) rolledOut = false;
        }
        var reason = await ScalingReasonAsync(client, spec, ns, ready, ct);
        var (http, grpc) = EndpointRenderer.Hosts(spec, target.Placement, facts);
        var urls = new List<string>();
        if (http is not null) urls.Add($"https://{http}");
        if (grpc is not null) urls.Add($"grpcs://{grpc}:443");
        result.Change(e =>
        {
            e.ReadyReplicas = ready;
            e.DesiredReplicas = desired;
            e.ScalingReason = reason;
            e.Urls = urls;
        });
        var refresh = options.Value.StatusRefreshInterval;
        if (rolledOut && ready > 0 && ready >= desired)
        {
            result.Condition(Available, ConditionStatus.True, "ReplicasReady", $"{ready} replica(s) ready.", "available");
            if (target.Endpoint.Phase != EndpointPhase.Ready) result.Event("ready", EventOutcome.Succeeded, $"Serving at {string.Join(" and ", urls)} with {ready} ready replica(s).");
            return result.Converged(EndpointPhase.Ready, $"Ready: {ready} of {desired} replica(s) serving.", refresh);
        }
        if (rolledOut && desired == 0 && spec.Autoscaling.MinReplicas == 0)
        {
            result.Condition(Available, ConditionStatus.False, "ScaledToZero", "No replica runs; the next request wakes the endpoint.");
            if (target.Endpoint.Phase != EndpointPhase.ScaledToZero) result.Event("scaled-to-zero", EventOutcome.Info, "Scaled to zero: no trigger is active.");
            return result.Converged(EndpointPhase.ScaledToZero, "Scaled to zero: no replica runs until demand returns.", refresh);
        }
        result.Condition(Available, ConditionStatus.False, "Waiting", $"{ready} of {desired} replica(s) ready.");
        return result.Progress(progressing, $"Waiting for replicas: {ready} of {desired} ready.", Timing.PollInterval);
    }

    private static async Task<string> ScalingReasonAsync(IKubernetes client, EndpointSpec spec, string ns, int ready, CancellationToken ct)
    {
        var stable = EndpointRenderer.Variants(spec).First(v => v.TrafficPercent > 0 || v.Role == "stable");
        var scaled = await client.GetAsync("keda.sh/v1alpha1", "ScaledObject", stable.DeploymentName, ns, ct);
        if (scaled is null) return "KEDA has not picked the endpoint up yet.";
        var conditions = scaled["status"]?["conditions"]?.AsArray();
        var readyCondition = Condition(conditions, "Ready");
        if (readyCondition is { Status: "False" }) return $"KEDA cannot scale the endpoint: {readyCondition.Value.Message}";
        var active = Condition(conditions, "Active");
        if (active is null) return "KEDA is evaluating the triggers.";
        var hpaName = scaled["status"]?["hpaName"]?.GetValue<string>();
        var hpa = hpaName is null ? null : await client.GetAsync("autoscaling/v2", "HorizontalPodAutoscaler", hpaName, ns, ct);
        var limited = Condition(hpa?["status"]?["conditions"]?.AsArray(), "ScalingLimited");
        var bounds = $"{spec.Autoscaling.MinReplicas}–{spec.Autoscaling.MaxReplicas} replicas";
        if (active.Value.Status == "True")
            return $"Triggers active: scaling on demand within {bounds}{(limited is { Status: "True" } ? $" (limited: {limited.Value.Message})" : "")}.";
        return spec.Autoscaling.MinReplicas == 0 && ready == 0
            ? "No trigger is active: scaled to zero until demand returns."
            : $"No trigger is active: holding the minimum of {spec.Autoscaling.MinReplicas} replica(s) ({bounds}).";
    }

    private static (string Status, string Message)? Condition(JsonArray? conditions, string type) =>
        conditions?.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type) is { } c
            ? (c["status"]?.GetValue<string>() ?? "Unknown", c["message"]?.GetValue<string>() ?? c["reason"]?.GetValue<string>() ?? "")
            : null;

    /// <summary>Objects last applied and objects the spec renders, deleted newest first; the row goes once all are gone and capacity is released.</summary>
    private async Task<EndpointStep> DeleteStepAsync(Target target, IKubernetes client, ClusterFacts facts, EndpointStep result, CancellationToken ct)
    {
        var keys = target.Endpoint.AppliedObjects.Select(Key.Parse).ToList();
        try
        {
            foreach (var manifest in renderer.Render(target.Endpoint.Spec, target.Placement, facts))
                if (!keys.Contains(Key.Of(manifest))) keys.Add(Key.Of(manifest));
        }
        catch (ArgumentException)
        {
            // A spec that no longer renders (a GPU type gone from the catalogue): what was applied is still known.
        }
        var remaining = new List<Key>();
        for (var i = keys.Count - 1; i >= 0; i--)
        {
            var key = keys[i];
            target.Doing = $"deleting {key.Describe}";
            var current = await GetIfServedAsync(client, key, ct);
            if (current is null) continue;
            remaining.Add(key);
            if (current["metadata"]?["deletionTimestamp"] is null) await client.DeleteAsync(key.ApiVersion, key.Kind, key.Name, key.Namespace, ct);
        }
        target.Doing = null;
        if (remaining.Count > 0)
        {
            result.Condition(Applied, ConditionStatus.False, "Deleting", $"Deleting {remaining.Count} object(s).");
            if (target.Endpoint.Conditions.FirstOrDefault(c => c.Type == Applied)?.Reason != "Deleting")
                result.Event("delete", EventOutcome.Started, $"Deleting {string.Join(", ", remaining.Select(k => k.Describe))}.");
            return result.Change(e => e.AppliedObjects = [.. remaining.Select(k => k.ToString())])
                .Progress(EndpointPhase.Deleting, $"Waiting for {remaining.Count} object(s) to go.", Timing.PollInterval);
        }

        // Release GPU capacity: the other endpoints' needs decide what stays (this one is no longer among the peers).
        if (facts.UsesKarpenter)
        {
            if (await ServesKarpenterAsync(client, ct)) await SyncKarpenterAsync(target, client, facts, ct);
        }
        else
        {
            var wanted = WantedNodeGroups(target.Peers);
            var actor = PortalActor.System with { Name = $"system (endpoint {target.TeamSlug}/{target.Cluster.Name}/{target.Endpoint.Name})" };
            if (await clusters.SetEndpointNodePoolsAsync(actor, target.Cluster.Id, wanted, $"endpoint {target.Endpoint.Name} deleted; pools: {DescribePools(wanted)}", ct))
                result.Event("capacity", EventOutcome.Info, $"Released GPU capacity no other endpoint needs; the cluster keeps {DescribePools(wanted)}.");
        }
        return Deleted(result, "its objects are gone from the cluster");
    }

    private static EndpointStep Deleted(EndpointStep result, string why) =>
        result.Event("deleted", EventOutcome.Succeeded, $"Deleted: {why}.").Remove();

    private static async Task<JsonObject?> GetIfServedAsync(IKubernetes client, Key key, CancellationToken ct)
    {
        try
        {
            return await client.GetAsync(key.ApiVersion, key.Kind, key.Name, key.Namespace, ct);
        }
        catch (InvalidOperationException)
        {
            // The cluster no longer serves the kind (its CRD was removed): no such object can exist.
            return null;
        }
    }

    // ---- errors ----

    private EndpointStep Classify(Target target, Exception e)
    {
        var result = new EndpointStep();
        var retry = Backoff.Delay(target.Endpoint.Attempt + 1, Timing.BaseBackoff, Timing.MaxBackoff);
        var doing = target.Doing is { } d ? $" while {d}" : "";
        switch (e)
        {
            case DomainValidationException invalid:
                return result.Condition(CapacityReady, ConditionStatus.False, "Refused", "The cluster refused the GPU node pool.", "capacity")
                    .Fail($"The cluster refused the GPU node pool this endpoint needs: {string.Join(" ", invalid.Errors.Select(p => $"{p.Key} {string.Join(" ", p.Value)}"))} " +
                          "Rename or remove the cluster's pool of that name, or contact the platform team.");
            case AwsServiceException aws when aws.IsRetryable:
                return result.Retry($"AWS is busy ({aws.ErrorType}); trying again in {retry.TotalSeconds:0} s.", $"AWS answered {aws.ErrorType} to {aws.Operation}: {aws.ServiceMessage}", retry);
            case AwsServiceException aws:
                return result.Fail($"The portal could not act in AWS account {target.Environment.AwsAccountId} ({aws.ErrorType}: {aws.ServiceMessage}). " +
                                   "Check the environment's provisioner role, then save the endpoint again.");
            case HttpOperationException k8s when (int)k8s.Response.StatusCode >= 500 || k8s.Response.StatusCode == HttpStatusCode.TooManyRequests:
                return result.Retry($"The cluster's Kubernetes API is busy ({(int)k8s.Response.StatusCode}); trying again in {retry.TotalSeconds:0} s.",
                    $"Kubernetes answered {(int)k8s.Response.StatusCode}{doing}: {Shorten(k8s.Response.Content)}", retry);
            case HttpOperationException { Response.StatusCode: HttpStatusCode.Unauthorized } k8s:
                // As in ClusterReconciler: refused credentials are renewed (a forgotten session, a fresh token), not a spec error.
                sessions.Invalidate(target.Environment.ProvisionerRoleArn);
                return result.Retry($"The cluster's Kubernetes API refused the portal's credentials (401); trying again with fresh ones in {retry.TotalSeconds:0} s.",
                    $"Kubernetes answered 401{doing}: {Shorten(k8s.Response.Content)}", retry);
            case HttpOperationException k8s:
                logger.LogWarning("Kubernetes refused an object of endpoint {EndpointId}{Doing}: {Body}", target.Endpoint.Id, doing, k8s.Response.Content);
                return result.Event("apply", EventOutcome.Failed, $"Kubernetes refused{doing}: {Shorten(k8s.Response.Content)}")
                    .Fail($"The cluster refused the endpoint's objects ({(int)k8s.Response.StatusCode}{doing}): {Shorten(k8s.Response.Content)} " +
                          "Change the spec and save it; if the message points at something you did not set, contact the platform team.");
            case InvalidOperationException missing when missing.Message.Contains("does not serve", StringComparison.Ordinal):
                // KEDA or the Prometheus operator not installed (yet): the core bootstrap may still be at work.
                return result.Retry($"The cluster lacks a prerequisite; trying again in {retry.TotalSeconds:0} s.",
                    $"{missing.Message.Replace("(is its CRD installed?)", "", StringComparison.Ordinal).Trim()} KEDA and the Prometheus stack come with the platform core: " +
                    "wait for the cluster to be ready, or install them on an attached cluster.", retry);
            case HttpRequestException or TimeoutException or TaskCanceledException:
                return result.Retry($"The cluster did not answer; trying again in {retry.TotalSeconds:0} s.", $"No answer from the cluster{doing}: {e.Message}", retry);
            default:
                logger.LogError(e, "Unexpected error reconciling endpoint {EndpointId}", target.Endpoint.Id);
                return result.Retry($"Something unexpected went wrong; trying again in {retry.TotalSeconds:0} s.",
                    $"Unexpected error{doing} ({e.GetType().Name}): {e.Message} If it persists, contact the platform team.", retry);
        }
    }

    // ---- helpers ----

    private async Task<IKubernetes> ClientAsync(Target target, CancellationToken ct)
    {
        var cluster = target.Cluster;
        if (cluster.IsAttached)
        {
            await using var kubeconfig = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfigs.Unprotect(cluster.ProtectedKubeconfig!)));
            return new k8s.Kubernetes(await KubernetesClientConfiguration.BuildConfigFromConfigFileAsync(kubeconfig));
        }
        return kubernetes.Create(token => SessionAsync(target, token), cluster.EksName, cluster.KubernetesEndpoint!, cluster.CertificateAuthority!);
    }

    private async Task<AwsSession> SessionAsync(Target target, CancellationToken ct)
    {
        await hooks.Value.BeforeAssumeRoleAsync(target.Environment, ct);
        return await sessions.AssumeAsync(target.Environment.ProvisionerRoleArn, target.Environment.ExternalId, target.Environment.Region, target.ActingUser, ct);
    }

    private static int? Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? (int)l : node is JsonValue i && i.TryGetValue<int>(out var n) ? n : null;

    private static string Label(ClusterPhase phase) => phase.ToString().ToLowerInvariant();

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 500 ? text : text[..500] + "…";

    /// <summary>One applied object, stored as "apiVersion|kind|namespace|name".</summary>
    private sealed record Key(string ApiVersion, string Kind, string? Namespace, string Name)
    {
        public static Key Of(JsonObject manifest) => new(
            manifest["apiVersion"]!.GetValue<string>(), manifest["kind"]!.GetValue<string>(),
            manifest["metadata"]?["namespace"]?.GetValue<string>(), manifest["metadata"]!["name"]!.GetValue<string>());

        public static Key Parse(string text)
        {
            var parts = text.Split('|');
            return new Key(parts[0], parts[1], parts[2].Length == 0 ? null : parts[2], parts[3]);
        }

        public string Describe => $"{Kind} {Name}";

        public override string ToString() => $"{ApiVersion}|{Kind}|{Namespace}|{Name}";
    }
}
