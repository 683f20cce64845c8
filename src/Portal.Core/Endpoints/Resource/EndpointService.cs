using System.Text.Json.Nodes;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using AddonCatalog = Portal.Core.Addons.Catalog.AddonCatalog;
using Portal.Core.Audit;
using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Endpoints.Rendering;
using Portal.Core.Endpoints.Resource.Jobs;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Events;
using Portal.Core.Persistence;

namespace Portal.Core.Endpoints.Resource;

public sealed record EndpointQuery(string? Cursor = null, int? Limit = null);

/// <summary>An endpoint with what a caller needs to name it: its team's slug and its cluster's name.</summary>
public sealed record EndpointView(InferenceEndpoint Endpoint, string Team, string Cluster);

/// <summary>
/// Inference endpoints of a team's cluster: the API side of the resource pattern. Every write changes only the spec
/// (plus an audit entry and a timeline event, in one transaction) and enqueues a reconcile; the reconciler finds GPU
/// capacity, applies the rendered objects and reports status. Public methods are what the API and the UI call.
/// </summary>
public sealed class EndpointService(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<EndpointOptions> options,
    EndpointSpecRules rules,
    EndpointRenderer renderer,
    AddonCatalog addons,
    IBackgroundJobClient jobs,
    TimeProvider clock,
    ILogger<EndpointService> logger)
{
    /// <summary>The timeline's resource type (<see cref="ResourceEvent.ResourceType"/>).</summary>
    public const string EventResource = "inference-endpoint";

    /// <summary>The team's endpoints on one cluster, by name, in pages.</summary>
    public async Task<Page<EndpointView>> ListAsync(PortalActor actor, string teamSlug, string clusterName, EndpointQuery query, CancellationToken ct)
    {
        var limit = Cursor.ClampLimit(query.Limit);
        var after = Cursor.Decode(query.Cursor);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var cluster = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var endpoints = db.InferenceEndpoints.AsNoTracking().Where(e => e.ClusterId == cluster.Id && e.TeamId == grant.Team.Id);
        if (after is not null) endpoints = endpoints.Where(e => string.Compare(e.Name, after) > 0);
        var rows = await endpoints.OrderBy(e => e.Name).Take(limit + 1).ToListAsync(ct);
        return Cursor.ToPage(rows.Select(e => new EndpointView(e, teamSlug, clusterName)).ToList(), limit, v => v.Endpoint.Name);
    }

    public async Task<EndpointView> GetAsync(PortalActor actor, string teamSlug, string clusterName, string name, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var cluster = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var endpoint = await FindAsync(db, cluster, teamSlug, name, track: false, ct);
        return new EndpointView(endpoint, teamSlug, clusterName);
    }

    /// <summary>
    /// Records a new endpoint (phase Pending, generation 1) on a Ready, Updating or Attached cluster and enqueues its
    /// first reconcile. The spec is checked field by field (400 naming the field) against the cluster's facts.
    /// </summary>
    public async Task<EndpointView> CreateAsync(PortalActor actor, string teamSlug, string clusterName, EndpointSpec spec, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var cluster = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        RequireUsableCluster(cluster);
        rules.Validate(spec, await FactsAsync(db, cluster, teamSlug, ct));
        if (await db.InferenceEndpoints.AnyAsync(e => e.ClusterId == cluster.Id && e.Name == spec.Name, ct))
            throw new ConflictException($"Cluster '{clusterName}' already has an endpoint named '{spec.Name}'.", "name");
        var max = options.Value.MaxEndpointsPerCluster;
        if (await db.InferenceEndpoints.CountAsync(e => e.ClusterId == cluster.Id, ct) >= max)
            throw new ConflictException($"Cluster '{clusterName}' already runs {max} endpoints, the most allowed per cluster.");

        var now = clock.GetUtcNow();
        var endpoint = new InferenceEndpoint
        {
            TeamId = grant.Team.Id,
            ClusterId = cluster.Id,
            Name = spec.Name,
            Spec = spec,
            Generation = 1,
            Phase = EndpointPhase.Pending,
            Message = "Waiting for a worker to start deploying.",
            NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds(),
            CreatedByUserId = actor.UserId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.InferenceEndpoints.Add(endpoint);
        AuditLog.Record(db, actor, now, "endpoint.create", "inference-endpoint", Target(teamSlug, clusterName, spec.Name), grant.Team.Id, null, spec);
        EventLog.Record(db, now, grant.Team.Id, EventResource, endpoint.Id, "requested", EventOutcome.Info,
            $"{actor.Name} requested the endpoint: {Describe(spec)}.");
        await db.SaveOrConflictAsync($"Endpoint '{spec.Name}'", ct);
        EnqueueReconcile(endpoint.Id);
        return new EndpointView(endpoint, teamSlug, clusterName);
    }

    /// <summary>
    /// Replaces the spec (the name cannot change) and bumps the generation; unchanged specs change nothing. With
    /// <paramref name="expectedVersion"/> (If-Match) a concurrent change answers 412.
    /// </summary>
    public Task<EndpointView> UpdateAsync(PortalActor actor, string teamSlug, string clusterName, string name, EndpointSpec spec,
        long? expectedVersion, CancellationToken ct) =>
        SaveChangesExtensions.RetryUnconditionalAsync(expectedVersion, () => UpdateOnceAsync(actor, teamSlug, clusterName, name, spec, expectedVersion, ct));

    private async Task<EndpointView> UpdateOnceAsync(PortalActor actor, string teamSlug, string clusterName, string name, EndpointSpec spec,
        long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var cluster = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var endpoint = await FindAsync(db, cluster, teamSlug, name, track: true, ct);
        endpoint.RequireVersion($"Endpoint '{name}'", expectedVersion);
        if (endpoint.DeletionRequestedAt is not null)
            throw new ConflictException($"Endpoint '{name}' is being deleted and can no longer be changed.");
        if (spec is not null && spec.Name != name)
            throw new DomainValidationException("name", $"cannot change: the endpoint is '{name}' (create a new endpoint for another name).");
        rules.Validate(spec, await FactsAsync(db, cluster, teamSlug, ct));
        var before = endpoint.Spec;
        if (AuditLog.Serialize(before) == AuditLog.Serialize(spec)) return new EndpointView(endpoint, teamSlug, clusterName);

        var now = clock.GetUtcNow();
        endpoint.Spec = spec!;
        endpoint.Generation++;
        endpoint.UpdatedAt = now;
        endpoint.NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds();
        endpoint.Attempt = 0;
        AuditLog.Record(db, actor, now, "endpoint.update", "inference-endpoint", Target(teamSlug, clusterName, name), grant.Team.Id, before, spec);
        EventLog.Record(db, now, grant.Team.Id, EventResource, endpoint.Id, "spec-changed", EventOutcome.Info,
            $"{actor.Name} changed the spec (generation {endpoint.Generation}): {Describe(spec!)}.");
        await db.SaveOrConflictAsync($"Endpoint '{name}'", ct);
        EnqueueReconcile(endpoint.Id);
        return new EndpointView(endpoint, teamSlug, clusterName);
    }

    /// <summary>
    /// Asks for deletion: phase Deleting and a new generation. The reconciler deletes the objects, waits until they are
    /// gone, releases GPU capacity no other endpoint needs, then removes the row. Asking again is harmless.
    /// </summary>
    public Task<EndpointView> DeleteAsync(PortalActor actor, string teamSlug, string clusterName, string name, long? expectedVersion, CancellationToken ct) =>
        SaveChangesExtensions.RetryUnconditionalAsync(expectedVersion, () => DeleteOnceAsync(actor, teamSlug, clusterName, name, expectedVersion, ct));

    private async Task<EndpointView> DeleteOnceAsync(PortalActor actor, string teamSlug, string clusterName, string name, long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var cluster = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var endpoint = await FindAsync(db, cluster, teamSlug, name, track: true, ct);
        endpoint.RequireVersion($"Endpoint '{name}'", expectedVersion);
        if (endpoint.DeletionRequestedAt is not null) return new EndpointView(endpoint, teamSlug, clusterName);

        var now = clock.GetUtcNow();
        endpoint.DeletionRequestedAt = now;
        endpoint.Phase = EndpointPhase.Deleting;
        endpoint.Message = "Deletion requested: waiting for a worker to remove the endpoint's objects.";
        endpoint.Generation++;
        endpoint.UpdatedAt = now;
        endpoint.NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds();
        endpoint.Attempt = 0;
        AuditLog.Record(db, actor, now, "endpoint.delete", "inference-endpoint", Target(teamSlug, clusterName, name), grant.Team.Id, endpoint.Spec, null);
        EventLog.Record(db, now, grant.Team.Id, EventResource, endpoint.Id, "deletion-requested", EventOutcome.Info, $"{actor.Name} asked to delete the endpoint.");
        await db.SaveOrConflictAsync($"Endpoint '{name}'", ct);
        EnqueueReconcile(endpoint.Id);
        return new EndpointView(endpoint, teamSlug, clusterName);
    }

    /// <summary>The endpoint's timeline, newest first.</summary>
    public async Task<Page<ResourceEvent>> ListEventsAsync(PortalActor actor, string teamSlug, string clusterName, string name, EndpointQuery query, CancellationToken ct)
    {
        var limit = Cursor.ClampLimit(query.Limit);
        long? before = Cursor.Decode(query.Cursor) is { } key
            ? long.TryParse(key, out var id) ? id : throw new DomainValidationException("cursor", "is not a cursor this API issued.")
            : null;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var cluster = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var endpoint = await FindAsync(db, cluster, teamSlug, name, track: false, ct);
        var events = db.ResourceEvents.AsNoTracking()
            .Where(e => e.ResourceType == EventResource && e.ResourceId == endpoint.Id && e.TeamId == grant.Team.Id);
        if (before is not null) events = events.Where(e => e.Id < before);
        var rows = await events.OrderByDescending(e => e.Id).Take(limit + 1).ToListAsync(ct);
        return Cursor.ToPage(rows, limit, e => e.Id.ToString());
    }

    /// <summary>
    /// The objects the current spec renders to, in apply order, exactly as the reconciler applies them (same renderer,
    /// same cluster facts): for people who want to see what runs.
    /// </summary>
    public async Task<IReadOnlyList<JsonObject>> GetManifestsAsync(PortalActor actor, string teamSlug, string clusterName, string name, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var cluster = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var endpoint = await FindAsync(db, cluster, teamSlug, name, track: false, ct);
        return renderer.Render(endpoint.Spec, TargetOf(teamSlug, cluster), await FactsAsync(db, cluster, teamSlug, ct));
    }

    // ---- shared with the reconciler ----

    /// <summary>The namespace of a team's endpoints on any cluster.</summary>
    public static string NamespaceOf(string teamSlug) => $"team-{teamSlug}";

    internal static EndpointTarget TargetOf(string teamSlug, Cluster cluster) => new(teamSlug, cluster.Name, NamespaceOf(teamSlug));

    /// <summary>What the rules and the renderer need to know about the cluster: the platform's core plus its add-ons.</summary>
    internal async Task<ClusterFacts> FactsAsync(PortalDbContext db, Cluster cluster, string teamSlug, CancellationToken ct)
    {
        var o = options.Value;
        return new ClusterFacts(
            BaseDomain: o.BaseDomain,
            // Managed clusters get GPU capacity as managed node groups; an attached cluster's capacity is not ours to
            // change, so there a Karpenter NodePool is the only lever (the reconciler checks the CRD is served).
            UsesKarpenter: cluster.IsAttached,
            ExternalMetricsOwner: await ExternalMetricsOwnerAsync(db, cluster.Id, ct),
            CertificateArn: string.IsNullOrWhiteSpace(o.CertificateArn) ? null : o.CertificateArn,
            InternetFacing: o.InternetFacing,
            KarpenterNodeClass: o.KarpenterNodeClass);
    }

    /// <summary>The add-on capability of owning the cluster's external metrics API (catalogue <c>provides</c>).</summary>
    public const string ExternalMetricsCapability = "external-metrics-adapter";

    /// <summary>
    /// The installed add-on that owns the cluster's external metrics API (v1beta1.external.metrics.k8s.io) when it is
    /// not KEDA: an installation (not being uninstalled) whose catalogue version provides "external-metrics-adapter".
    /// KEDA itself (the core's, or the catalogue's keda add-on) is what endpoints need, so it does not count.
    /// </summary>
    internal async Task<string?> ExternalMetricsOwnerAsync(PortalDbContext db, Guid clusterId, CancellationToken ct)
    {
        var installed = await db.AddonInstallations.AsNoTracking()
            .Where(a => a.ClusterId == clusterId && a.UninstallRequestedAt == null && a.AddonId != "keda")
            .OrderBy(a => a.AddonId)
            .Select(a => new { a.AddonId, a.CatalogVersion })
            .ToListAsync(ct);
        return installed.FirstOrDefault(a =>
            addons.Find(a.AddonId)?.FindVersion(a.CatalogVersion)?.Provides.Contains(ExternalMetricsCapability, StringComparer.Ordinal) == true)?.AddonId;
    }

    // ---- helpers ----

    private static void RequireUsableCluster(Cluster cluster)
    {
        // Updating is fine: adding an endpoint's GPU pool itself puts the cluster there.
        if (cluster.DeletionRequestedAt is not null)
            throw new ConflictException($"Cluster '{cluster.Name}' is being deleted: endpoints can no longer be added to it.", "cluster");
        if (cluster.Phase is not (ClusterPhase.Ready or ClusterPhase.Updating or ClusterPhase.Attached))
            throw new ConflictException(
                $"Cluster '{cluster.Name}' is {cluster.Phase.ToString().ToLowerInvariant()}: endpoints can be added once it is ready" +
                (cluster.Phase == ClusterPhase.Failed ? $" ({cluster.LastError})." : "."), "cluster");
    }

    private void EnqueueReconcile(Guid endpointId)
    {
        try
        {
            jobs.Enqueue<ReconcileEndpointJob>(j => j.RunAsync(endpointId, CancellationToken.None));
        }
        catch (Exception e)
        {
            // The spec is committed; the resync finds every endpoint whose observed generation lags.
            logger.LogWarning(e, "Could not enqueue the reconcile of endpoint {EndpointId}; the resync job will pick it up", endpointId);
        }
    }

    private static async Task<Cluster> FindClusterAsync(PortalDbContext db, Guid teamId, string teamSlug, string name, CancellationToken ct) =>
        await db.Clusters.AsNoTracking().FirstOrDefaultAsync(c => c.TeamId == teamId && c.Name == name, ct)
        ?? throw new NotFoundException("Cluster", $"{teamSlug}/{name}");

    private static async Task<InferenceEndpoint> FindAsync(PortalDbContext db, Cluster cluster, string teamSlug, string name, bool track, CancellationToken ct)
    {
        var query = track ? db.InferenceEndpoints : db.InferenceEndpoints.AsNoTracking();
        return await query.FirstOrDefaultAsync(e => e.ClusterId == cluster.Id && e.TeamId == cluster.TeamId && e.Name == name, ct)
               ?? throw new NotFoundException("Endpoint", Target(teamSlug, cluster.Name, name));
    }

    private static string Target(string teamSlug, string clusterName, string name) => $"{teamSlug}/{clusterName}/{name}";

    internal static string Describe(EndpointSpec spec)
    {
        var canary = spec.Rollout?.Canary is { } c ? $", canary version {c.ModelVersion} at {c.Weight}%" : "";
        return $"{EndpointSpecRules.Kebab(spec.Runtime)} serving {spec.Model.Name} version {spec.Model.Version} over {EndpointSpecRules.Kebab(spec.Protocol)}, " +
               $"{spec.Gpu.Count}× {spec.Gpu.Type.ToUpperInvariant()} per replica, {spec.Autoscaling.MinReplicas}–{spec.Autoscaling.MaxReplicas} replicas{canary}";
    }
}
