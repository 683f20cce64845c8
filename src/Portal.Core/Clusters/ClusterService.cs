using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Catalog;
using Portal.Core.Clusters.Jobs;
using Portal.Core.Common;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Persistence;

namespace Portal.Core.Clusters;

public sealed record NewCluster(
    string Name,
    EnvironmentName Environment,
    IReadOnlyList<NodePoolSpec?>? NodePools,
    string? KubernetesVersion = null,
    EndpointAccess EndpointAccess = EndpointAccess.Public,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>
/// A partial spec update: null leaves a field as it is. <see cref="NodePools"/>, when given, is the whole new list
/// (pools matched by name: new names are added, missing ones removed, the rest rescaled or relabelled).
/// </summary>
public sealed record ClusterChanges(
    string? KubernetesVersion = null,
    EndpointAccess? EndpointAccess = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    IReadOnlyList<NodePoolSpec?>? NodePools = null);

public sealed record AttachedCluster(
    string Name,
    EnvironmentName Environment,
    string Kubeconfig,
    string? KubernetesVersion = null,
    IReadOnlyDictionary<string, string>? Tags = null);

public sealed record ClusterQuery(string? Cursor = null, int? Limit = null);

/// <summary>A cluster with what a caller needs to name it: its team's slug and its environment.</summary>
public sealed record ClusterView(Cluster Cluster, string Team, EnvironmentName Environment);

/// <summary>
/// Clusters of a team: the API side of the resource pattern. Every method writes only the spec (plus an audit entry
/// and a timeline event, in one transaction) and then enqueues a reconcile; the reconciler does the cloud work.
/// </summary>
public sealed class ClusterService(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<ClusterOptions> options,
    InstanceTypeCatalog catalog,
    KubeconfigProtector kubeconfigs,
    IBackgroundJobClient jobs,
    TimeProvider clock,
    ILogger<ClusterService> logger)
{
    public const int MaxKubeconfigLength = 256 * 1024;

    private ClusterSpecRules Rules => new(options.Value, catalog);

    public IReadOnlyList<string> SupportedVersions => options.Value.KubernetesVersions;

    public string DefaultVersion => Rules.DefaultVersion;

    /// <summary>The team's clusters by name, in pages.</summary>
    public async Task<Page<ClusterView>> ListAsync(PortalActor actor, string teamSlug, ClusterQuery query, CancellationToken ct)
    {
        var limit = Cursor.ClampLimit(query.Limit);
        var after = Cursor.Decode(query.Cursor);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var clusters = db.Clusters.AsNoTracking().Where(c => c.TeamId == grant.Team.Id);
        if (after is not null) clusters = clusters.Where(c => string.Compare(c.Name, after) > 0);
        // One round trip for the page, its node pools and each cluster's environment name (reads are the hot path).
        var rows = await clusters.OrderBy(c => c.Name).Take(limit + 1)
            .Select(c => new
            {
                Cluster = c,
                Pools = c.NodePools.ToList(),
                Environment = db.Environments.Where(e => e.Id == c.EnvironmentId).Select(e => e.Name).First(),
            })
            .ToListAsync(ct);
        var views = rows.Select(r => View(r.Cluster, r.Pools, teamSlug, r.Environment)).ToList();
        return Cursor.ToPage(views, limit, v => v.Cluster.Name);
    }

    public async Task<ClusterView> GetAsync(PortalActor actor, string teamSlug, string name, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var found = await db.Clusters.AsNoTracking().Where(c => c.TeamId == grant.Team.Id && c.Name == name)
                        .Select(c => new
                        {
                            Cluster = c,
                            Pools = c.NodePools.ToList(),
                            Environment = db.Environments.Where(e => e.Id == c.EnvironmentId).Select(e => e.Name).First(),
                        })
                        .FirstOrDefaultAsync(ct)
                    ?? throw new NotFoundException("Cluster", Target(teamSlug, name));
        return View(found.Cluster, found.Pools, teamSlug, found.Environment);
    }

    /// <summary>
    /// Records a new cluster (phase Pending, generation 1) in one of the team's registered environments and enqueues
    /// its first reconcile. Nothing is created in AWS by this call.
    /// </summary>
    public Task<ClusterView> RequestClusterAsync(PortalActor actor, string teamSlug, NewCluster request, CancellationToken ct) =>
        RetryEnvironmentRaceAsync(() => RequestClusterOnceAsync(actor, teamSlug, request, ct));

    private async Task<ClusterView> RequestClusterOnceAsync(PortalActor actor, string teamSlug, NewCluster request, CancellationToken ct)
    {
        var rules = Rules;
        var errors = new ValidationErrors();
        rules.CheckName(errors, "name", request.Name);
        if (!Enum.IsDefined(request.Environment)) errors.Add("environment", "must be one of dev, staging, prod.");
        var version = request.KubernetesVersion ?? rules.DefaultVersion;
        rules.CheckSupportedVersion(errors, version);
        if (!Enum.IsDefined(request.EndpointAccess)) errors.Add("endpointAccess", "must be public or private.");
        rules.CheckTags(errors, request.Tags);
        rules.CheckNodePools(errors, request.NodePools);
        errors.ThrowIfAny();

        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var environment = await RequireEnvironmentAsync(db, grant.Team.Id, teamSlug, request.Environment, ct);
        await RequireNameFreeAsync(db, grant.Team.Id, request.Name, ct);
        await RequireRoomInEnvironmentAsync(db, environment, ct);
        ClaimEnvironment(db, environment);

        var now = clock.GetUtcNow();
        var cluster = new Cluster
        {
            TeamId = grant.Team.Id,
            EnvironmentId = environment.Id,
            Name = request.Name,
            EksName = $"{teamSlug}-{Label(request.Environment)}-{request.Name}",
            Kind = ClusterKind.Managed,
            KubernetesVersion = version,
            EndpointAccess = request.EndpointAccess,
            Tags = new Dictionary<string, string>(request.Tags ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            Generation = 1,
            Phase = ClusterPhase.Pending,
            Message = "Waiting for a worker to start provisioning.",
            NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds(),
            CreatedByUserId = actor.UserId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        foreach (var spec in request.NodePools!)
        {
            var pool = new NodePool { Name = spec!.Name, AmiType = NodePool.StandardAmiType, ClusterId = cluster.Id };
            rules.Apply(pool, spec);
            cluster.NodePools.Add(pool);
        }
        db.Clusters.Add(cluster);
        AuditLog.Record(db, actor, now, "cluster.create", "cluster", Target(teamSlug, cluster.Name), grant.Team.Id, null, Snapshot(cluster));
        EventLog.RecordCluster(db, now, cluster, "requested", EventOutcome.Info,
            $"{actor.Name} requested the cluster: Kubernetes {version}, {Describe(cluster.NodePools)}.");
        await SaveClaimingEnvironmentAsync(db, $"Cluster '{request.Name}'", ct);
        EnqueueReconcile(cluster.Id);
        return View(cluster, teamSlug, request.Environment);
    }

    /// <summary>
    /// Changes the spec (version, endpoint access, tags, node pools) and bumps the generation. A version change must
    /// be the next minor; a cluster being deleted, or an attached one, cannot be changed (409).
    /// </summary>
    public Task<ClusterView> UpdateClusterAsync(
        PortalActor actor, string teamSlug, string name, ClusterChanges changes, long? expectedVersion, CancellationToken ct) =>
        SaveChangesExtensions.RetryUnconditionalAsync(expectedVersion,
            () => UpdateClusterOnceAsync(actor, teamSlug, name, changes, expectedVersion, ct));

    private async Task<ClusterView> UpdateClusterOnceAsync(
        PortalActor actor, string teamSlug, string name, ClusterChanges changes, long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var cluster = await FindAsync(db, grant.Team.Id, teamSlug, name, track: true, ct);
        RequireLifecycle(cluster, "changed");
        cluster.RequireVersion($"Cluster '{name}'", expectedVersion);

        var rules = Rules;
        var errors = new ValidationErrors();
        if (changes.KubernetesVersion is not null) rules.CheckUpgrade(errors, cluster.KubernetesVersion, changes.KubernetesVersion);
        if (changes.EndpointAccess is { } access && !Enum.IsDefined(access)) errors.Add("endpointAccess", "must be public or private.");
        rules.CheckTags(errors, changes.Tags);
        if (changes.NodePools is not null)
            rules.CheckNodePools(errors, changes.NodePools, cluster.NodePools.ToDictionary(p => p.Name, StringComparer.Ordinal));
        errors.ThrowIfAny();

        // An upgrade the control plane has not finished yet would make the next one a two-minor jump for EKS.
        if (changes.KubernetesVersion is { } requested && requested != cluster.KubernetesVersion
            && cluster.CurrentVersion is { } running && running != cluster.KubernetesVersion)
            throw new ConflictException(
                $"Cluster '{name}' is still being upgraded from {running} to {cluster.KubernetesVersion}; ask for {requested} once that upgrade has finished.",
                "kubernetesVersion");

        var before = Snapshot(cluster);
        if (changes.KubernetesVersion is not null) cluster.KubernetesVersion = changes.KubernetesVersion;
        if (changes.EndpointAccess is not null) cluster.EndpointAccess = changes.EndpointAccess.Value;
        if (changes.Tags is not null) cluster.Tags = new Dictionary<string, string>(changes.Tags, StringComparer.Ordinal);
        if (changes.NodePools is not null) ApplyNodePools(db, rules, cluster, changes.NodePools!);
        var after = Snapshot(cluster);
        var environment = await EnvironmentNameAsync(db, cluster, ct);
        // Nothing changed: no new generation, no reconcile, no audit entry (an idempotent PATCH).
        if (AuditLog.Serialize(before) == AuditLog.Serialize(after)) return View(cluster, teamSlug, environment);

        var now = clock.GetUtcNow();
        cluster.Generation++;
        cluster.UpdatedAt = now;
        // A new spec deserves a fresh start: due now, without the backoff earned by the old one's failures.
        cluster.NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds();
        cluster.Attempt = 0;
        AuditLog.Record(db, actor, now, "cluster.update", "cluster", Target(teamSlug, name), grant.Team.Id, before, after);
        EventLog.RecordCluster(db, now, cluster, "spec-changed", EventOutcome.Info,
            $"{actor.Name} changed the spec (generation {cluster.Generation}): {DescribeChanges(cluster, changes)}.");
        await db.SaveOrConflictAsync($"Cluster '{name}'", ct);
        EnqueueReconcile(cluster.Id);
        return View(cluster, teamSlug, environment);
    }

    /// <summary>
    /// Asks for deletion: phase Deleting and a new generation. The reconciler removes node groups, add-ons and the
    /// EKS cluster, then the row. Asking again is harmless, and restarts a deletion that failed. An attached cluster is
    /// only detached: its row and stored kubeconfig go at once, and nothing in the cloud is touched.
    /// </summary>
    public Task<ClusterView> DeleteClusterAsync(PortalActor actor, string teamSlug, string name, long? expectedVersion, CancellationToken ct) =>
        SaveChangesExtensions.RetryUnconditionalAsync(expectedVersion,
            () => DeleteClusterOnceAsync(actor, teamSlug, name, expectedVersion, ct));

    private async Task<ClusterView> DeleteClusterOnceAsync(PortalActor actor, string teamSlug, string name, long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var cluster = await FindAsync(db, grant.Team.Id, teamSlug, name, track: true, ct);
        cluster.RequireVersion($"Cluster '{name}'", expectedVersion);
        var environment = await EnvironmentNameAsync(db, cluster, ct);
        if (cluster.IsAttached) return await DetachAsync(db, actor, grant.Team.Id, teamSlug, cluster, environment, ct);
        if (cluster.DeletionRequestedAt is not null)
        {
            if (cluster.Phase != ClusterPhase.Failed) return View(cluster, teamSlug, environment);
            // A deletion that stopped on an error: asking again starts it over.
            return await RestartAsync(db, actor, grant.Team.Id, teamSlug, cluster, environment, "cluster.delete", "deletion-restarted",
                $"{actor.Name} asked again to delete the cluster; resuming the deletion.",
                "Deletion restarted: waiting for a worker to remove node groups, add-ons and the cluster.", ct);
        }

        var now = clock.GetUtcNow();
        var before = Snapshot(cluster);
        cluster.DeletionRequestedAt = now;
        cluster.Phase = ClusterPhase.Deleting;
        cluster.Message = "Deletion requested: waiting for a worker to remove node groups, add-ons and the cluster.";
        cluster.Generation++;
        cluster.UpdatedAt = now;
        cluster.NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds();
        cluster.Attempt = 0;
        AuditLog.Record(db, actor, now, "cluster.delete", "cluster", Target(teamSlug, name), grant.Team.Id, before, Snapshot(cluster));
        EventLog.RecordCluster(db, now, cluster, "deletion-requested", EventOutcome.Info, $"{actor.Name} asked to delete the cluster.");
        await db.SaveOrConflictAsync($"Cluster '{name}'", ct);
        EnqueueReconcile(cluster.Id);
        return View(cluster, teamSlug, environment);
    }

    /// <summary>
    /// Starts a failed cluster over: clears the error and enqueues a reconcile, which resumes where it stopped
    /// (provisioning, an update, or the deletion). Only a Failed cluster can be retried (409 otherwise).
    /// </summary>
    public Task<ClusterView> RetryClusterAsync(PortalActor actor, string teamSlug, string name, long? expectedVersion, CancellationToken ct) =>
        SaveChangesExtensions.RetryUnconditionalAsync(expectedVersion, () => RetryClusterOnceAsync(actor, teamSlug, name, expectedVersion, ct));

    private async Task<ClusterView> RetryClusterOnceAsync(PortalActor actor, string teamSlug, string name, long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var cluster = await FindAsync(db, grant.Team.Id, teamSlug, name, track: true, ct);
        if (cluster.IsAttached) throw LifecycleRefused(cluster, "retried");
        cluster.RequireVersion($"Cluster '{name}'", expectedVersion);
        if (cluster.Phase != ClusterPhase.Failed)
            throw new ConflictException($"Cluster '{name}' has not failed ({cluster.Phase.ToString().ToLowerInvariant()}): there is nothing to retry.");
        var environment = await EnvironmentNameAsync(db, cluster, ct);
        var deleting = cluster.DeletionRequestedAt is not null;
        return await RestartAsync(db, actor, grant.Team.Id, teamSlug, cluster, environment, "cluster.retry", "retry-requested",
            $"{actor.Name} asked to retry {(deleting ? "the deletion" : "the last step")} after: {cluster.LastError}",
            deleting ? "Deletion restarted: waiting for a worker to remove node groups, add-ons and the cluster."
                     : "Retry requested: waiting for a worker to take the next step.", ct);
    }

    /// <summary>
    /// Out of Failed into a phase the resync watches (a Failed cluster's observed generation equals its generation, so
    /// nothing picks it up by itself): no new generation, as the spec did not change.
    /// </summary>
    private async Task<ClusterView> RestartAsync(PortalDbContext db, PortalActor actor, Guid teamId, string teamSlug, Cluster cluster,
        EnvironmentName environment, string action, string step, string eventMessage, string message, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var before = Snapshot(cluster);
        cluster.Phase = cluster.DeletionRequestedAt is not null ? ClusterPhase.Deleting
            : cluster.Conditions.Any(c => c.Type == Reconciler.ClusterReconciler.CoreInstalled) ? ClusterPhase.Updating : ClusterPhase.Provisioning;
        cluster.LastError = null;
        cluster.Message = message;
        cluster.Attempt = 0;
        cluster.NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds();
        cluster.UpdatedAt = now;
        AuditLog.Record(db, actor, now, action, "cluster", Target(teamSlug, cluster.Name), teamId, before, Snapshot(cluster));
        EventLog.RecordCluster(db, now, cluster, step, EventOutcome.Info, eventMessage);
        await db.SaveOrConflictAsync($"Cluster '{cluster.Name}'", ct);
        EnqueueReconcile(cluster.Id);
        return View(cluster, teamSlug, environment);
    }

    /// <summary>
    /// Forgets an attached cluster: its stored kubeconfig goes with the row. Nothing in the cloud is touched (the portal
    /// never managed its lifecycle). The returned view is the cluster as it was.
    /// </summary>
    private async Task<ClusterView> DetachAsync(PortalDbContext db, PortalActor actor, Guid teamId, string teamSlug, Cluster cluster,
        EnvironmentName environment, CancellationToken ct)
    {
        // Detaching would orphan what the portal manages inside the cluster (and their rows reference it): refuse while
        // any add-on or endpoint remains, naming them. Found by the input suite of issue 9, where this was a 500.
        var addons = await db.AddonInstallations.Where(a => a.ClusterId == cluster.Id).Select(a => a.AddonId).ToListAsync(ct);
        var endpoints = await db.InferenceEndpoints.Where(e => e.ClusterId == cluster.Id).Select(e => e.Name).ToListAsync(ct);
        if (addons.Count + endpoints.Count > 0)
            throw new ConflictException(
                $"Cluster '{cluster.Name}' still has {Remaining(addons, "add-on")}{(addons.Count > 0 && endpoints.Count > 0 ? " and " : "")}" +
                $"{Remaining(endpoints, "inference endpoint")}: delete them first, then detach the cluster.");
        var now = clock.GetUtcNow();
        AuditLog.Record(db, actor, now, "cluster.detach", "cluster", Target(teamSlug, cluster.Name), teamId, Snapshot(cluster), null);
        EventLog.RecordCluster(db, now, cluster, "detached", EventOutcome.Succeeded,
            $"{actor.Name} detached the cluster: the portal forgot its kubeconfig and no longer manages anything on it.");
        db.Clusters.Remove(cluster);
        await db.SaveOrConflictAsync($"Cluster '{cluster.Name}'", ct);
        logger.LogInformation("Cluster {ClusterId} ({Team}/{Name}) detached by {Actor}", cluster.Id, teamSlug, cluster.Name, actor.Name);
        return View(cluster, teamSlug, environment);
    }

    private static string Remaining(IReadOnlyList<string> names, string noun) => names.Count switch
    {
        0 => "",
        1 => $"the {noun} {names[0]}",
        _ => $"{names.Count} {noun}s ({string.Join(", ", names.Order(StringComparer.Ordinal))})",
    };

    /// <summary>
    /// Registers an existing cluster by kubeconfig (encrypted at rest, never returned). The portal will manage add-ons
    /// and endpoints on it, never its lifecycle.
    /// </summary>
    public Task<ClusterView> AttachClusterAsync(PortalActor actor, string teamSlug, AttachedCluster request, CancellationToken ct) =>
        RetryEnvironmentRaceAsync(() => AttachClusterOnceAsync(actor, teamSlug, request, ct));

    private async Task<ClusterView> AttachClusterOnceAsync(PortalActor actor, string teamSlug, AttachedCluster request, CancellationToken ct)
    {
        var rules = Rules;
        var errors = new ValidationErrors();
        rules.CheckName(errors, "name", request.Name);
        if (!Enum.IsDefined(request.Environment)) errors.Add("environment", "must be one of dev, staging, prod.");
        if (request.KubernetesVersion is not null && !KubernetesVersion.TryParse(request.KubernetesVersion, out _))
            errors.Add("kubernetesVersion", "must be a major.minor version such as 1.33.");
        rules.CheckTags(errors, request.Tags);
        var parsed = Kubeconfigs.Read(errors, "kubeconfig", request.Kubeconfig, MaxKubeconfigLength);
        errors.ThrowIfAny();

        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var environment = await RequireEnvironmentAsync(db, grant.Team.Id, teamSlug, request.Environment, ct);
        await RequireNameFreeAsync(db, grant.Team.Id, request.Name, ct);
        await RequireRoomInEnvironmentAsync(db, environment, ct);
        ClaimEnvironment(db, environment);

        var now = clock.GetUtcNow();
        var cluster = new Cluster
        {
            TeamId = grant.Team.Id,
            EnvironmentId = environment.Id,
            Name = request.Name,
            // Not an EKS cluster the portal names; kept empty rather than inventing a name nothing in AWS has.
            EksName = "",
            Kind = ClusterKind.Attached,
            KubernetesVersion = request.KubernetesVersion ?? "",
            CurrentVersion = request.KubernetesVersion,
            Tags = new Dictionary<string, string>(request.Tags ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            Generation = 1,
            // Nothing to converge: the portal does not manage an attached cluster's lifecycle.
            ObservedGeneration = 1,
            Phase = ClusterPhase.Attached,
            Message = "Attached by kubeconfig: add-ons and endpoints can be managed here, the cluster itself is managed elsewhere.",
            KubernetesEndpoint = parsed!.Server,
            CertificateAuthority = parsed.CertificateAuthorityData,
            ProtectedKubeconfig = kubeconfigs.Protect(request.Kubeconfig),
            CreatedByUserId = actor.UserId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Clusters.Add(cluster);
        AuditLog.Record(db, actor, now, "cluster.attach", "cluster", Target(teamSlug, cluster.Name), grant.Team.Id, null, Snapshot(cluster));
        EventLog.RecordCluster(db, now, cluster, "attached", EventOutcome.Succeeded, $"{actor.Name} attached the cluster at {parsed.Server}.");
        await SaveClaimingEnvironmentAsync(db, $"Cluster '{request.Name}'", ct);
        return View(cluster, teamSlug, request.Environment);
    }

    /// <summary>The cluster's timeline, newest first.</summary>
    public async Task<Page<ResourceEvent>> ListEventsAsync(PortalActor actor, string teamSlug, string name, ClusterQuery query, CancellationToken ct)
    {
        var limit = Cursor.ClampLimit(query.Limit);
        long? before = Cursor.Decode(query.Cursor) is { } key
            ? long.TryParse(key, out var id) ? id : throw new DomainValidationException("cursor", "is not a cursor this API issued.")
            : null;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var cluster = await FindAsync(db, grant.Team.Id, teamSlug, name, track: false, ct);
        var events = db.ResourceEvents.AsNoTracking()
            .Where(e => e.ResourceType == EventLog.ClusterResource && e.ResourceId == cluster.Id && e.TeamId == grant.Team.Id);
        if (before is not null) events = events.Where(e => e.Id < before);
        var rows = await events.OrderByDescending(e => e.Id).Take(limit + 1).ToListAsync(ct);
        return Cursor.ToPage(rows, limit, e => e.Id.ToString());
    }

    /// <summary>
    /// A kubeconfig for the caller's own AWS credentials: <c>aws eks get-token</c> as exec plugin (assuming the
    /// environment's role), so it holds no secret and works only for people AWS lets in.
    /// </summary>
    public async Task<string> GetKubeconfigAsync(PortalActor actor, string teamSlug, string name, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var cluster = await FindAsync(db, grant.Team.Id, teamSlug, name, track: false, ct);
        if (cluster.IsAttached)
            throw new ConflictException($"Cluster '{name}' is attached: use the kubeconfig it was attached with; the portal does not hand it out.");
        if (cluster.KubernetesEndpoint is null || cluster.CertificateAuthority is null)
            throw new ConflictException($"Cluster '{name}' has no API endpoint yet ({cluster.Phase.ToString().ToLowerInvariant()}); try again once the control plane is up.");
        var environment = await db.Environments.AsNoTracking().FirstAsync(e => e.Id == cluster.EnvironmentId, ct);
        return Kubeconfigs.ForEks(cluster, environment.Region, environment.ProvisionerRoleArn);
    }

    /// <summary>The node label that marks a pool the portal added for inference endpoints (not one a person asked for).</summary>
    public const string EndpointCapacityLabel = "unicron.io/capacity-for";
    public const string EndpointCapacityValue = "endpoints";

    /// <summary>
    /// For the endpoint reconciler: makes the managed cluster's endpoint-created GPU pools exactly <paramref name="wanted"/>
    /// (pools marked with <see cref="EndpointCapacityLabel"/>; people's own pools are never touched), through the cluster
    /// resource like any spec change: new generation, audit entry as <paramref name="actor"/>, event, reconcile.
    /// Returns false when nothing had to change. Throws <see cref="DomainValidationException"/> when the cluster's rules
    /// refuse the pools (e.g. a person's pool already has the name).
    /// </summary>
    internal async Task<bool> SetEndpointNodePoolsAsync(PortalActor actor, Guid clusterId, IReadOnlyList<NodePoolSpec> wanted, string reason, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SetEndpointNodePoolsOnceAsync(actor, clusterId, wanted, reason, ct);
            }
            catch (PreconditionFailedException) when (attempt < 5)
            {
                // The cluster's reconciler wrote its status in between: read again.
            }
        }
    }

    private async Task<bool> SetEndpointNodePoolsOnceAsync(PortalActor actor, Guid clusterId, IReadOnlyList<NodePoolSpec> wanted, string reason, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var cluster = await db.Clusters.Include(c => c.NodePools).FirstAsync(c => c.Id == clusterId, ct);
        if (cluster.IsAttached || cluster.DeletionRequestedAt is not null) return false;
        static bool Ours(NodePool p) => p.Labels.GetValueOrDefault(EndpointCapacityLabel) == EndpointCapacityValue;
        var pools = cluster.NodePools.Where(p => !Ours(p)).Select(ToSpec)
            .Concat(wanted.Select(w => w with
            {
                Labels = new Dictionary<string, string>(w.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal) { [EndpointCapacityLabel] = EndpointCapacityValue },
            }))
            .ToList();
        var rules = Rules;
        var errors = new ValidationErrors();
        rules.CheckNodePools(errors, pools, cluster.NodePools.ToDictionary(p => p.Name, StringComparer.Ordinal));
        errors.ThrowIfAny();

        var before = Snapshot(cluster);
        ApplyNodePools(db, rules, cluster, pools!);
        var after = Snapshot(cluster);
        if (AuditLog.Serialize(before) == AuditLog.Serialize(after)) return false;
        var now = clock.GetUtcNow();
        cluster.Generation++;
        cluster.UpdatedAt = now;
        cluster.NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds();
        cluster.Attempt = 0;
        var team = await db.Teams.AsNoTracking().Where(t => t.Id == cluster.TeamId).Select(t => t.Slug).FirstAsync(ct);
        AuditLog.Record(db, actor, now, "cluster.update", "cluster", Target(team, cluster.Name), cluster.TeamId, before, after);
        EventLog.RecordCluster(db, now, cluster, "spec-changed", EventOutcome.Info,
            $"GPU capacity for inference endpoints (generation {cluster.Generation}): {reason}.");
        await db.SaveOrConflictAsync($"Cluster '{cluster.Name}'", ct);
        EnqueueReconcile(cluster.Id);
        return true;
    }

    private static NodePoolSpec ToSpec(NodePool p) =>
        new(p.Name, p.InstanceTypes, p.CapacityType, p.MinSize, p.DesiredSize, p.MaxSize, p.DiskSizeGiB,
            p.Labels, p.Taints, p.Schedule is { } schedule ? NodePoolScheduleSpec.From(schedule) : null);

    /// <summary>For the team and environment services: whether deleting them must wait for clusters to go first.</summary>
    internal static Task<bool> TeamHasClustersAsync(PortalDbContext db, Guid teamId, CancellationToken ct) =>
        db.Clusters.AnyAsync(c => c.TeamId == teamId, ct);

    internal static Task<bool> EnvironmentHasClustersAsync(PortalDbContext db, Guid environmentId, CancellationToken ct) =>
        db.Clusters.AnyAsync(c => c.EnvironmentId == environmentId, ct);

    private void ApplyNodePools(PortalDbContext db, ClusterSpecRules rules, Cluster cluster, IReadOnlyList<NodePoolSpec> pools)
    {
        var wanted = pools.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var removed in cluster.NodePools.Where(p => !wanted.ContainsKey(p.Name)).ToList())
        {
            cluster.NodePools.Remove(removed);
            db.NodePools.Remove(removed);
        }
        foreach (var spec in pools)
        {
            var row = cluster.NodePools.FirstOrDefault(p => p.Name == spec.Name);
            if (row is null)
            {
                row = new NodePool { Name = spec.Name, AmiType = NodePool.StandardAmiType, ClusterId = cluster.Id };
                cluster.NodePools.Add(row);
                db.NodePools.Add(row);
            }
            rules.Apply(row, spec);
        }
    }

    private void EnqueueReconcile(Guid clusterId)
    {
        try
        {
            jobs.Enqueue<ReconcileClusterJob>(j => j.RunAsync(clusterId, CancellationToken.None));
        }
        catch (Exception e)
        {
            // The spec is committed; the resync job finds every cluster whose observed generation lags, so a job
            // storage hiccup delays the work by one resync interval instead of failing a request that succeeded.
            logger.LogWarning(e, "Could not enqueue the reconcile of cluster {ClusterId}; the resync job will pick it up", clusterId);
        }
    }

    private static void RequireLifecycle(Cluster cluster, string verb)
    {
        if (cluster.IsAttached) throw LifecycleRefused(cluster, verb);
        if (cluster.DeletionRequestedAt is not null)
            throw new ConflictException($"Cluster '{cluster.Name}' is being deleted and can no longer be {verb}.");
    }

    private static ConflictException LifecycleRefused(Cluster cluster, string verb) =>
        new($"Cluster '{cluster.Name}' is attached: the portal manages add-ons and endpoints on it, but it cannot be {verb} here. Change it where it is managed (to stop managing it here, detach it: DELETE detaches an attached cluster).");

    private static async Task<Cluster> FindAsync(PortalDbContext db, Guid teamId, string teamSlug, string name, bool track, CancellationToken ct)
    {
        var query = track ? db.Clusters : db.Clusters.AsNoTracking();
        return await query.Include(c => c.NodePools).FirstOrDefaultAsync(c => c.TeamId == teamId && c.Name == name, ct)
               ?? throw new NotFoundException("Cluster", Target(teamSlug, name));
    }

    private static async Task<TeamEnvironment> RequireEnvironmentAsync(PortalDbContext db, Guid teamId, string teamSlug, EnvironmentName name, CancellationToken ct) =>
        await db.Environments.AsNoTracking().FirstOrDefaultAsync(e => e.TeamId == teamId && e.Name == name, ct)
        ?? throw new DomainValidationException("environment",
            $"team '{teamSlug}' has no {Label(name)} environment yet; an owner registers it (its AWS account and region) first.");

    private static async Task RequireNameFreeAsync(PortalDbContext db, Guid teamId, string name, CancellationToken ct)
    {
        if (await db.Clusters.AnyAsync(c => c.TeamId == teamId && c.Name == name, ct))
            throw new ConflictException($"The team already has a cluster named '{name}'.", "name");
    }

    private async Task RequireRoomInEnvironmentAsync(PortalDbContext db, TeamEnvironment environment, CancellationToken ct)
    {
        var max = options.Value.MaxClustersPerEnvironment;
        // Clusters being deleted still count: they still exist in the account until the reconciler has removed them.
        var count = await db.Clusters.CountAsync(c => c.EnvironmentId == environment.Id, ct);
        if (count >= max)
            throw new ConflictException(max == 1
                ? $"The {Label(environment.Name)} environment already has a cluster; a team gets one cluster per environment."
                : $"The {Label(environment.Name)} environment already has {count} clusters, the most allowed per environment.", "environment");
    }

    /// <summary>
    /// Makes the "clusters per environment" count race-free without a schema change: the insert also bumps the
    /// environment row's version (its optimistic-concurrency token), so of two creates that counted the same clusters
    /// only the first commits. PostgreSQL makes the second UPDATE wait on the first's row lock, then match no row;
    /// SQLite serialises writers and the second finds the version moved. The loser counts again.
    /// </summary>
    private static void ClaimEnvironment(PortalDbContext db, TeamEnvironment environment)
    {
        db.Environments.Attach(environment);
        db.Entry(environment).Property(e => e.Version).IsModified = true;
    }

    private static async Task SaveClaimingEnvironmentAsync(PortalDbContext db, string what, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new EnvironmentRaceLost();
        }
        catch (DbUpdateException e) when (SaveChangesExtensions.IsUniqueViolation(e))
        {
            throw new ConflictException($"{what} already exists or was just created by someone else.", "name");
        }
    }

    private static async Task<ClusterView> RetryEnvironmentRaceAsync(Func<Task<ClusterView>> attempt)
    {
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await attempt();
            }
            catch (EnvironmentRaceLost) when (tries < 50)
            {
                // Another create in the same environment committed first: count again (and answer 409 if it is full).
            }
            catch (EnvironmentRaceLost)
            {
                throw new ConflictException("Too many clusters are being created in this environment at once; try again.", "environment");
            }
        }
    }

    private sealed class EnvironmentRaceLost : Exception;

    private static async Task<EnvironmentName> EnvironmentNameAsync(PortalDbContext db, Cluster cluster, CancellationToken ct) =>
        await db.Environments.Where(e => e.Id == cluster.EnvironmentId).Select(e => e.Name).FirstAsync(ct);

    private static ClusterView View(Cluster cluster, List<NodePool> pools, string teamSlug, EnvironmentName environment)
    {
        cluster.NodePools = pools;
        return View(cluster, teamSlug, environment);
    }

    private static ClusterView View(Cluster cluster, string teamSlug, EnvironmentName environment)
    {
        cluster.NodePools = cluster.NodePools.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        return new ClusterView(cluster, teamSlug, environment);
    }

    private static string Label(EnvironmentName name) => name.ToString().ToLowerInvariant();

    private static string Target(string teamSlug, string name) => $"{teamSlug}/{name}";

    private static string Describe(IEnumerable<NodePool> pools) =>
        string.Join(", ", pools.Select(p => $"pool {p.Name} ({string.Join("/", p.InstanceTypes)}, {p.MinSize}–{p.MaxSize} nodes{(p.IsGpu ? ", GPU" : "")})"));

    private static string DescribeChanges(Cluster after, ClusterChanges changes)
    {
        var parts = new List<string>();
        if (changes.KubernetesVersion is not null) parts.Add($"Kubernetes {after.KubernetesVersion}");
        if (changes.EndpointAccess is not null) parts.Add($"endpoint access {after.EndpointAccess.ToString().ToLowerInvariant()}");
        if (changes.Tags is not null) parts.Add("tags");
        if (changes.NodePools is not null) parts.Add(Describe(after.NodePools));
        return string.Join("; ", parts);
    }

    /// <summary>The spec as the audit log records it (never the kubeconfig).</summary>
    internal static object Snapshot(Cluster c) => new
    {
        name = c.Name,
        kind = c.Kind,
        kubernetesVersion = c.KubernetesVersion,
        endpointAccess = c.EndpointAccess,
        tags = c.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary(),
        nodePools = c.NodePools.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new
        {
            name = p.Name, instanceTypes = p.InstanceTypes, capacityType = p.CapacityType, minSize = p.MinSize,
            desiredSize = p.DesiredSize, maxSize = p.MaxSize, diskSizeGiB = p.DiskSizeGiB,
            labels = p.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).ToDictionary(), taints = p.Taints, amiType = p.AmiType,
            schedule = p.Schedule is { } schedule ? NodePoolScheduleSpec.From(schedule) : null,
        }).ToList(),
        deletionRequested = c.DeletionRequestedAt is not null,
    };
}
