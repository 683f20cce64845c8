using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Hangfire;
using k8s;
using k8s.Autorest;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Addons.Installations;
using Portal.Core.Addons.Installations.Jobs;
using Portal.Core.Cloud.Aws;
using Portal.Core.Cloud.Kubernetes;
using Portal.Core.Clusters.Bootstrap;
using Portal.Core.Clusters.Jobs;
using Portal.Core.Costs.Hibernation;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;

namespace Portal.Core.Clusters.Reconciler;

/// <summary>
/// Takes one managed cluster one step toward its spec (ARCHITECTURE.md, "Resources and reconciliation"): claim the
/// lease, read the real state first, take the next step only, write status, conditions and events in one transaction,
/// release, reschedule. Never waits for AWS inside a run: an EKS operation in flight means "look again later".
/// Steps, in order: control plane → upgrades (control plane one minor at a time, then node groups) → node groups
/// (create missing, scale, relabel, delete removed) → bootstrap (namespaces, Argo CD CRDs and project, Argo CD installed
/// and available, core components as Applications) → Ready once every Application is Synced and Healthy. Deletion runs the other way.
/// </summary>
public sealed class ClusterReconciler(
    IDbContextFactory<PortalDbContext> contexts,
    ResourceLeases leases,
    AwsSessions sessions,
    EksClient eks,
    KubernetesClientFactory kubernetes,
    IBackgroundJobClient jobs,
    IOptions<ReconciliationOptions> reconciliation,
    IOptions<ClusterProvisioningOptions> provisioning,
    IOptions<EnvironmentRoleHooks> hooks,
    TimeProvider clock,
    ILogger<ClusterReconciler> logger)
{
    public const string ControlPlaneReady = "ControlPlaneReady";
    public const string NodePoolsReady = "NodePoolsReady";
    public const string ArgoCdReady = "ArgoCdReady";
    public const string CoreInstalled = "CoreInstalled";

    /// <summary>AWS tag keys the portal puts on everything it creates; <see cref="ClusterIdTag"/> is how deletion verifies nothing is left.</summary>
    public const string TeamTag = "unicron:team";
    public const string EnvironmentTag = "unicron:environment";
    public const string ClusterTag = "unicron:cluster";
    public const string ClusterIdTag = "unicron:cluster-id";
    public const string CostCentreTag = "unicron:cost-centre";

    private ReconciliationOptions Timing => reconciliation.Value;

    /// <summary>One run. Returns quietly when another run holds the cluster or the row is gone.</summary>
    public async Task ReconcileAsync(Guid clusterId, CancellationToken ct)
    {
        await using var lease = await leases.TryClaimAsync<Cluster>(clusterId, ct);
        if (lease is null)
        {
            logger.LogDebug("Cluster {ClusterId} is being reconciled elsewhere (or is gone); skipping", clusterId);
            return;
        }
        logger.LogDebug(RunStarted, "Reconciling cluster {ClusterId} as {Owner}", clusterId, lease.Owner);
        try
        {
            await RunAsync(clusterId, lease, ct);
        }
        finally
        {
            // A committed run logged this before its commit made the lease free for the next one.
            if (!lease.IsReleased) logger.LogDebug(RunEnded, "Done with cluster {ClusterId} as {Owner}", clusterId, lease.Owner);
        }
    }

    /// <summary>Logged (debug) when a run starts and ends holding the lease: the two-worker test checks these never overlap.</summary>
    public static readonly EventId RunStarted = new(4101, "ClusterRunStarted");
    public static readonly EventId RunEnded = new(4102, "ClusterRunEnded");

    private async Task RunAsync(Guid clusterId, ResourceLease lease, CancellationToken ct)
    {
        var target = await LoadAsync(clusterId, lease, lease.Lost);
        if (target is null)
        {
            lease.MarkGone();
            return;
        }

        StepResult result;
        try
        {
            result = await StepAsync(target, lease.Lost);
        }
        catch (OperationCanceledException) when (lease.Lost.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Lost the lease on cluster {ClusterId} mid-step; the new holder carries on", clusterId);
            return;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            result = Classify(target, e);
        }
        await CommitAsync(target, lease, result, ct);
    }

    // ---- loading and committing ----

    /// <param name="Lease">This run's claim: fenced before every create (<see cref="ResourceLease.FenceAsync"/>).</param>
    private sealed record Target(Cluster Cluster, TeamEnvironment Environment, string TeamSlug, string? CostCentre, string ActingUser, ResourceLease Lease)
    {
        public string EnvironmentLabel => Environment.Name.ToString().ToLowerInvariant();
    }

    private async Task<Target?> LoadAsync(Guid clusterId, ResourceLease lease, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var cluster = await db.Clusters.AsNoTracking().Include(c => c.NodePools).FirstOrDefaultAsync(c => c.Id == clusterId, ct);
        if (cluster is null) return null;
        var environment = await db.Environments.AsNoTracking().FirstAsync(e => e.Id == cluster.EnvironmentId, ct);
        var team = await db.Teams.AsNoTracking().Where(t => t.Id == cluster.TeamId).Select(t => new { t.Slug, t.CostCentre }).FirstAsync(ct);
        return new Target(cluster, environment, team.Slug, team.CostCentre, await ActingUserAsync(db, cluster, team.Slug, ct), lease);
    }

    /// <summary>
    /// Who caused this run's cloud calls, for the STS session name CloudTrail records in the team's account: the author
    /// of the cluster's latest audited change (create, spec change, deletion, retry), by e-mail when a user made it, else
    /// as the audit log names the actor (a team token); the creator when the log has nothing (entries were pruned).
    /// </summary>
    internal static async Task<string> ActingUserAsync(PortalDbContext db, Cluster cluster, string teamSlug, CancellationToken ct)
    {
        var target = $"{teamSlug}/{cluster.Name}";
        var latest = await db.AuditEntries.AsNoTracking()
            .Where(a => a.TeamId == cluster.TeamId && a.TargetType == "cluster" && a.TargetId == target)
            .OrderByDescending(a => a.Id).Select(a => new { a.ActorUserId, a.ActorName }).FirstOrDefaultAsync(ct);
        var userId = latest is null ? cluster.CreatedByUserId : latest.ActorUserId;
        var email = userId is { } id ? await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => u.Email).FirstOrDefaultAsync(ct) : null;
        return email ?? latest?.ActorName ?? "portal";
    }

    private async Task CommitAsync(Target target, ResourceLease lease, StepResult result, CancellationToken ct)
    {
        var id = target.Cluster.Id;
        var readGeneration = target.Cluster.Generation;
        TimeSpan? delay;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await lease.ConfirmAsync(db, ct))
            {
                logger.LogWarning("Lost the lease on cluster {ClusterId} before writing its status; discarding this run's result", id);
                return;
            }
            var row = await db.Clusters.Include(c => c.NodePools).FirstOrDefaultAsync(c => c.Id == id, ct);
            if (row is null)
            {
                lease.MarkGone();
                return;
            }
            var now = clock.GetUtcNow();
            if (result.RemoveRow)
            {
                foreach (var (step, outcome, message) in result.Events) EventLog.RecordCluster(db, now, row, step, outcome, message);
                db.Clusters.Remove(row);
                await db.SaveChangesAsync(ct);
                logger.LogDebug(RunEnded, "Done with cluster {ClusterId} as {Owner}", id, lease.Owner);
                await tx.CommitAsync(ct);
                lease.MarkGone();
                logger.LogInformation("Cluster {ClusterId} ({EksName}) is deleted; nothing tagged with it is left", id, row.EksName);
                return;
            }

            // Condition flips first ("node pools active"), then what this run did ("ready"), so the timeline reads in order.
            foreach (var (step, outcome, message) in result.ApplyTo(row, now, specMoved: row.Generation != readGeneration)) EventLog.RecordCluster(db, now, row, step, outcome, message);
            foreach (var (step, outcome, message) in result.Events) EventLog.RecordCluster(db, now, row, step, outcome, message);
            if (result.Observed && row.Generation == readGeneration) row.ObservedGeneration = readGeneration;
            if (result.IsRetry)
            {
                row.Attempt++;
                if (row.Attempt == 1) EventLog.RecordCluster(db, now, row, "retry", EventOutcome.Failed, $"{row.LastError} Retrying with backoff.");
            }
            else
            {
                row.Attempt = 0;
            }
            delay = result.RequeueAfter;
            // The spec changed while this run worked: the change's own job found the lease taken, so look again at once.
            if (row.Generation != readGeneration) delay = TimeSpan.Zero;
            row.NextAttemptAtUnixMs = delay is { } d ? now.Add(d).ToUnixTimeMilliseconds() : 0;
            await db.SaveChangesAsync(ct);
            if (!await lease.ReleaseAsync(db, ct))
            {
                await tx.RollbackAsync(ct);
                return;
            }
            logger.LogDebug(RunEnded, "Done with cluster {ClusterId} as {Owner}", id, lease.Owner);
            await tx.CommitAsync(ct);
        }
        Schedule(id, delay);
    }

    private void Schedule(Guid clusterId, TimeSpan? delay)
    {
        if (delay is not { } d) return;
        try
        {
            if (d <= TimeSpan.Zero) jobs.Enqueue<ReconcileClusterJob>(j => j.RunAsync(clusterId, CancellationToken.None));
            else jobs.Schedule<ReconcileClusterJob>(j => j.RunAsync(clusterId, CancellationToken.None), d);
        }
        catch (Exception e)
        {
            // NextAttemptAtUnixMs is saved: the resync finds the cluster once it is due.
            logger.LogWarning(e, "Could not schedule the next reconcile of cluster {ClusterId}; the resync will", clusterId);
        }
    }

    // ---- the state machine ----

    private async Task<StepResult> StepAsync(Target target, CancellationToken ct)
    {
        var cluster = target.Cluster;
        var result = new StepResult();
        if (cluster.IsAttached) return result.Converged("Attached: the portal manages add-ons and endpoints on it, not its lifecycle.", ClusterPhase.Attached);

        var session = await SessionAsync(target, ct);
        if (cluster.DeletionRequestedAt is not null) return await DeleteStepAsync(target, session, result, ct);

        var described = await eks.TryDescribeClusterAsync(session, cluster.EksName, ct);
        if (described is null) return await CreateClusterAsync(target, session, result, ct);
        var progressing = ProgressPhase(cluster);
        result.Change(c =>
        {
            c.EksArn = described.Arn;
            c.CurrentVersion = described.Version;
            if (described.Endpoint is { Length: > 0 } endpoint) c.KubernetesEndpoint = endpoint;
            if (described.CertificateAuthority?.Data is { Length: > 0 } ca) c.CertificateAuthority = ca;
        });
        switch (described.Status)
        {
            case EksClusterStatus.Creating or EksClusterStatus.Pending:
                result.Condition(ControlPlaneReady, ConditionStatus.False, "Creating", "EKS is creating the control plane.");
                return result.Progress(ClusterPhase.Provisioning, "EKS is creating the control plane (this takes about ten minutes on AWS).", Timing.PollInterval);
            case EksClusterStatus.Updating:
                result.Condition(ControlPlaneReady, ConditionStatus.True, "Updating", $"EKS is updating the control plane (now {described.Version}).");
                return result.Progress(ClusterPhase.Updating, $"EKS is updating the control plane from {described.Version}.", Timing.PollInterval);
            case EksClusterStatus.Deleting:
                return result.Progress(progressing, "EKS is deleting a cluster of this name; waiting for it to go before creating it again.", Timing.PollInterval);
            case EksClusterStatus.Failed:
                result.Condition(ControlPlaneReady, ConditionStatus.False, "Failed", "EKS reports the control plane as failed.", "control-plane");
                return result.Fail($"EKS reports the control plane of '{cluster.EksName}' as FAILED{Issues(described.Health)}. " +
                                   "Delete the cluster and create it again; if it fails again, contact the platform team with this message.");
        }
        result.Condition(ControlPlaneReady, ConditionStatus.True, "Active", $"The control plane is active on Kubernetes {described.Version}.", "control-plane");

        var groups = await DescribeNodegroupsAsync(session, cluster.EksName, ct);
        if (await UpgradeStepAsync(target, session, described, groups, result, ct) is { } upgrading) return upgrading;
        if (await NodegroupStepAsync(target, session, described, groups, result, ct) is { } pools) return pools;
        return await BootstrapStepAsync(target, described, result, ct);
    }

    private async Task<StepResult> CreateClusterAsync(Target target, AwsSession session, StepResult result, CancellationToken ct)
    {
        var cluster = target.Cluster;
        var request = new CreateClusterRequest
        {
            Name = cluster.EksName,
            Version = cluster.KubernetesVersion,
            RoleArn = ClusterProvisioningOptions.RoleArn(target.Environment.AwsAccountId, provisioning.Value.ClusterRoleName),
            ResourcesVpcConfig = new EksVpcConfigRequest
            {
                SubnetIds = provisioning.Value.SubnetsFor(target.Environment.Name),
                EndpointPublicAccess = cluster.EndpointAccess == EndpointAccess.Public,
                EndpointPrivateAccess = true,
            },
            ClientRequestToken = Token(cluster.Id, "create-cluster", cluster.Generation.ToString()),
            Tags = Tags(target),
        };
        try
        {
            await target.Lease.FenceAsync(ct);
            var created = await eks.CreateClusterAsync(session, request, ct);
            result.Change(c => c.EksArn = created.Arn);
        }
        catch (AwsServiceException e) when (e.IsInUse)
        {
            // Someone (an earlier run whose answer was lost) created it already: the next run describes it.
            logger.LogInformation("EKS cluster {EksName} already exists; describing it next", cluster.EksName);
        }
        result.Condition(ControlPlaneReady, ConditionStatus.False, "Creating", "EKS is creating the control plane.")
            .Event("control-plane", EventOutcome.Started,
                $"Creating the EKS cluster {cluster.EksName} (Kubernetes {cluster.KubernetesVersion}) in account {target.Environment.AwsAccountId}, {target.Environment.Region}.");
        return result.Progress(ClusterPhase.Provisioning, "EKS is creating the control plane.", Timing.PollInterval);
    }

    /// <summary>Control plane first, one minor version at a time; node groups catch up before the next control-plane step (EKS requires it).</summary>
    private async Task<StepResult?> UpgradeStepAsync(Target target, AwsSession session, EksCluster described,
        IReadOnlyDictionary<string, EksNodegroup> groups, StepResult result, CancellationToken ct)
    {
        var cluster = target.Cluster;
        if (!KubernetesVersion.TryParse(described.Version, out var current) || !KubernetesVersion.TryParse(cluster.KubernetesVersion, out var desired)
            || desired <= current) return null;

        foreach (var pool in cluster.NodePools)
        {
            if (!groups.TryGetValue(pool.Name, out var group)) continue;
            if (!group.IsActive)
                return result.Progress(ClusterPhase.Updating, $"Waiting for node group {pool.Name} ({group.Status}) before upgrading the control plane.", Timing.PollInterval);
            if (KubernetesVersion.TryParse(group.Version, out var groupVersion) && groupVersion < current)
                return await UpgradeNodegroupAsync(target, session, pool, current, result, ct);
        }

        var next = current.NextMinor;
        await eks.UpdateClusterVersionAsync(session, cluster.EksName, next.ToString(), Token(cluster.Id, "upgrade", next.ToString()), ct);
        result.Condition(ControlPlaneReady, ConditionStatus.True, "Upgrading", $"Upgrading the control plane from {current} to {next}.")
            .Event("upgrade", EventOutcome.Started, $"Upgrading the control plane from Kubernetes {current} to {next} (target {desired}, one minor version at a time).");
        return result.Progress(ClusterPhase.Updating, $"Upgrading the control plane to {next}.", Timing.PollInterval);
    }

    private async Task<StepResult> UpgradeNodegroupAsync(Target target, AwsSession session, NodePool pool, KubernetesVersion version, StepResult result, CancellationToken ct)
    {
        await eks.UpdateNodegroupVersionAsync(session, target.Cluster.EksName, pool.Name, new UpdateNodegroupVersionRequest
        {
            Version = version.ToString(),
            ClientRequestToken = Token(target.Cluster.Id, pool.Id.ToString(), "version", version.ToString()),
        }, ct);
        result.Event($"nodegroup:{pool.Name}", EventOutcome.Started, $"Upgrading node group {pool.Name} to Kubernetes {version}.");
        return result.Progress(ClusterPhase.Updating, $"Upgrading node group {pool.Name} to {version}.", Timing.PollInterval);
    }

    /// <summary>Create missing node groups, follow scaling, labels, taints and version, delete the ones the spec no longer names.</summary>
    private async Task<StepResult?> NodegroupStepAsync(Target target, AwsSession session, EksCluster described,
        IReadOnlyDictionary<string, EksNodegroup> groups, StepResult result, CancellationToken ct)
    {
        var cluster = target.Cluster;
        // A converged cluster whose pools only go to sleep or wake stays Ready: hibernation is not a change the user made.
        var quiet = cluster.Phase == ClusterPhase.Ready && cluster.ObservedGeneration == cluster.Generation;
        var phase = quiet ? ClusterPhase.Ready : ProgressPhase(cluster);
        var now = clock.GetUtcNow();
        KubernetesVersion.TryParse(described.Version, out var controlPlane);
        result.Change(c =>
        {
            foreach (var pool in c.NodePools)
            {
                var group = groups.GetValueOrDefault(pool.Name);
                pool.ObservedStatus = group?.Status;
                pool.CurrentVersion = group?.Version;
                pool.NodegroupArn = group?.NodegroupArn;
                pool.StatusMessage = group is null ? null : Issues(group.Health).TrimStart(':', ' ') is { Length: > 0 } issues ? issues : null;
            }
        });

        // Every missing node group in one run: EKS creates them side by side (minutes each on AWS), and a run killed
        // half-way finds the ones it made in the list and creates only the rest.
        var missing = cluster.NodePools.Where(p => !groups.ContainsKey(p.Name)).ToList();
        if (missing.Count > 0)
        {
            foreach (var pool in missing)
            {
                await CreateNodegroupAsync(target, session, pool, described, ct);
                result.Event($"nodegroup:{pool.Name}", EventOutcome.Started,
                    $"Creating node group {pool.Name}: {string.Join(", ", pool.InstanceTypes)}, {Capacity(pool)}, {pool.MinSize}–{pool.MaxSize} nodes{(pool.IsGpu ? ", NVIDIA AMI with the nvidia.com/gpu taint" : "")}.");
            }
            var names = string.Join(", ", missing.Select(p => p.Name));
            result.Condition(NodePoolsReady, ConditionStatus.False, "Creating", $"Creating node group{(missing.Count == 1 ? "" : "s")} {names}.");
            return result.Progress(phase, $"Creating node group{(missing.Count == 1 ? "" : "s")} {names}.", Timing.PollInterval);
        }

        foreach (var pool in cluster.NodePools)
        {
            var group = groups[pool.Name];
            switch (group.Status)
            {
                case EksNodegroupStatus.Updating when quiet:
                    return result.Progress(phase, $"Ready; node group {pool.Name} is scaling.", Timing.PollInterval);
                case EksNodegroupStatus.Creating or EksNodegroupStatus.Updating or EksNodegroupStatus.Deleting:
                    result.Condition(NodePoolsReady, ConditionStatus.False, group.Status, $"Node group {pool.Name} is {group.Status!.ToLowerInvariant()}.");
                    return result.Progress(phase, $"Node group {pool.Name} is {group.Status!.ToLowerInvariant()}.", Timing.PollInterval);
                case EksNodegroupStatus.CreateFailed:
                    result.Condition(NodePoolsReady, ConditionStatus.False, "CreateFailed", $"Node group {pool.Name} failed to create.", $"nodegroup:{pool.Name}");
                    return result.Fail($"EKS could not create node group '{pool.Name}'{Issues(group.Health)}. Remove the pool from the cluster " +
                                       "(or change its instance types) and save; if it keeps failing, contact the platform team.");
            }
            if (KubernetesVersion.TryParse(group.Version, out var groupVersion) && groupVersion < controlPlane)
                return await UpgradeNodegroupAsync(target, session, pool, controlPlane, result, ct);
            var plan = PlanHibernation(pool, group, now);
            if (plan is not null)
            {
                var poolId = pool.Id;
                var (asleep, remembered) = (plan.Asleep, plan.Remembered);
                result.Change(c =>
                {
                    if (c.NodePools.FirstOrDefault(p => p.Id == poolId) is not { } row) return;
                    row.Asleep = asleep;
                    row.RememberedSize = remembered;
                    // An expired "wake now" is history: the schedule rules again.
                    if (row.WakeUntil is { } until && until <= now) (row.WokenAt, row.WakeUntil) = (null, null);
                });
            }
            // A spec change or hibernation sets the desired size; in between it is the cluster autoscaler's.
            var enforceDesired = plan is not null || cluster.ObservedGeneration != cluster.Generation;
            if (ConfigUpdate(pool, group, plan?.Wanted, enforceDesired) is { } update)
            {
                var hibernating = plan is not null && update.ScalingConfig is not null;
                // Written before EKS is asked: a run killed after the call still knows what to wake the pool up to.
                if (hibernating && plan!.Remembered is { } sizes && sizes != pool.RememberedSize) await RememberAsync(pool.Id, sizes, ct);
                var token = hibernating
                    ? Token(cluster.Id, pool.Id.ToString(), "config", cluster.Generation.ToString(), plan!.Period)
                    : Token(cluster.Id, pool.Id.ToString(), "config", cluster.Generation.ToString());
                await eks.UpdateNodegroupConfigAsync(session, cluster.EksName, pool.Name, update with { ClientRequestToken = token }, ct);
                if (hibernating && quiet)
                    result.Event($"nodegroup:{pool.Name}", EventOutcome.Info, plan!.Describe(pool, now));
                else
                {
                    result.Condition(NodePoolsReady, ConditionStatus.False, "Updating", $"Updating node group {pool.Name}.")
                        .Event($"nodegroup:{pool.Name}", EventOutcome.Started, $"Updating node group {pool.Name}: {Describe(update, plan?.Wanted ?? pool.SpecSize)}.");
                    if (hibernating) result.Event($"nodegroup:{pool.Name}", EventOutcome.Info, plan!.Describe(pool, now));
                }
                return result.Progress(phase, hibernating && quiet ? $"Ready; {plan!.Describe(pool, now)}" : $"Updating node group {pool.Name}.", Timing.PollInterval);
            }
        }

        var wanted = cluster.NodePools.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var removed = groups.Values.Where(g => !wanted.Contains(g.NodegroupName) && IsOurs(g.Tags, cluster)).ToList();
        foreach (var group in removed.Where(g => g.Status != EksNodegroupStatus.Deleting))
        {
            await DeleteNodegroupAsync(session, cluster.EksName, group.NodegroupName, ct);
            result.Event($"nodegroup:{group.NodegroupName}", EventOutcome.Started, $"Deleting node group {group.NodegroupName}: it is no longer in the cluster's spec.");
        }
        if (removed.Count > 0)
        {
            result.Condition(NodePoolsReady, ConditionStatus.False, "Deleting", $"Deleting node group(s) {string.Join(", ", removed.Select(g => g.NodegroupName))}.");
            return result.Progress(phase, $"Deleting node group(s) {string.Join(", ", removed.Select(g => g.NodegroupName))}.", Timing.PollInterval);
        }
        result.Condition(NodePoolsReady, ConditionStatus.True, "Active",
            cluster.NodePools.Count == 0 ? "The cluster has no node pools." : $"Node groups {string.Join(", ", cluster.NodePools.Select(p => p.Name))} are active and match the spec.",
            "node-pools");
        return null;
    }

    private async Task CreateNodegroupAsync(Target target, AwsSession session, NodePool pool, EksCluster described, CancellationToken ct)
    {
        try
        {
            await target.Lease.FenceAsync(ct);
            await eks.CreateNodegroupAsync(session, target.Cluster.EksName, new CreateNodegroupRequest
            {
                NodegroupName = pool.Name,
                ScalingConfig = new EksScalingConfig(pool.MinSize, pool.MaxSize, pool.DesiredSize),
                DiskSize = pool.DiskSizeGiB,
                Subnets = described.ResourcesVpcConfig?.SubnetIds is { Count: > 0 } subnets ? subnets : provisioning.Value.SubnetsFor(target.Environment.Name),
                InstanceTypes = pool.InstanceTypes,
                AmiType = pool.AmiType,
                NodeRole = ClusterProvisioningOptions.RoleArn(target.Environment.AwsAccountId, provisioning.Value.NodeRoleName),
                Labels = pool.Labels.Count > 0 ? pool.Labels : null,
                Taints = pool.Taints.Count > 0 ? [.. pool.Taints.Select(ToEks)] : null,
                Tags = Tags(target),
                CapacityType = pool.CapacityType == CapacityType.Spot ? EksCapacityTypes.Spot : EksCapacityTypes.OnDemand,
                Version = described.Version,
                ClientRequestToken = Token(target.Cluster.Id, pool.Id.ToString(), "create-nodegroup"),
            }, ct);
        }
        catch (AwsServiceException e) when (e.IsInUse)
        {
            logger.LogInformation("Node group {Pool} of {EksName} already exists; describing it next", pool.Name, target.Cluster.EksName);
        }
    }

    private async Task DeleteNodegroupAsync(AwsSession session, string eksName, string name, CancellationToken ct)
    {
        try
        {
            await eks.DeleteNodegroupAsync(session, eksName, name, ct);
        }
        catch (AwsServiceException e) when (e.IsNotFound || e.IsInUse)
        {
            // Gone already, or busy (an update or an earlier delete in flight): the next run looks again.
        }
    }

    /// <summary>Namespaces, Argo CD's CRDs and project, Argo CD itself, then the core components as Applications; Ready when all are Synced and Healthy.</summary>
    private async Task<StepResult> BootstrapStepAsync(Target target, EksCluster described, StepResult result, CancellationToken ct)
    {
        var cluster = target.Cluster;
        var phase = ProgressPhase(cluster);
        if (described.Endpoint is not { Length: > 0 } endpoint || described.CertificateAuthority?.Data is not { Length: > 0 } ca)
            return result.Progress(phase, "Waiting for EKS to publish the API endpoint.", Timing.PollInterval);
        using var client = KubernetesFor(target, endpoint, ca);

        // Once a run has seen every foundation and Argo CD object in place for this generation, later runs of the same
        // generation skip reading ~35 objects back (a platform release that renders them differently, or a spec change,
        // changes the hash and verifies them all again).
        var bootstrapHash = BootstrapHash(cluster.Generation);
        var verified = cluster.BootstrapAppliedHash == bootstrapHash;
        var applied = 0;
        foreach (var manifest in verified ? [] : BootstrapManifests.Foundation())
        {
            if (await ExistsAsync(client, manifest, ct)) continue;
            await client.ApplyAsync(manifest, ct);
            applied++;
        }
        if (applied > 0)
        {
            result.Event("bootstrap", EventOutcome.Started, $"Applied {applied} foundation object(s) with server-side apply: the platform namespaces, Argo CD's CRDs and the {BootstrapManifests.Project} project.");
            applied = 0;
        }
        var argoCdWasReady = cluster.Conditions.Any(c => c.Type == ArgoCdReady && c.Status == ConditionStatus.True);
        var installing = await ArgoCdStepAsync(client, phase, result, verified, verified && argoCdWasReady, ct);
        if (!verified) result.Change(c => c.BootstrapAppliedHash = bootstrapHash);
        if (installing is not null) return installing;
        var hasGpu = cluster.NodePools.Any(p => p.IsGpu);
        var components = BootstrapManifests.ComponentsFor(hasGpu);
        var waiting = new List<string>();
        var appliedNames = new List<string>();
        // One list of the Applications instead of a read per component.
        var applications = await client.ListAsync(BootstrapManifests.ApplicationApiVersion, "Application", BootstrapManifests.ArgoNamespace, ct)
                           ?? new Dictionary<string, JsonObject>();
        foreach (var component in components)
        {
            var wanted = BootstrapManifests.Application(component, cluster.EksName, target.Environment.Region, described.Version);
            var current = applications.GetValueOrDefault(component.Name);
            if (current is null || !SameSource(current, wanted))
            {
                await client.ApplyAsync(wanted, ct);
                applied++;
                appliedNames.Add(component.Name);
                waiting.Add($"{component.Name} (installing)");
                continue;
            }
            var sync = current["status"]?["sync"]?["status"]?.GetValue<string>();
            var health = current["status"]?["health"]?["status"]?.GetValue<string>();
            if (sync != "Synced" || health != "Healthy") waiting.Add($"{component.Name} ({sync ?? "Unknown"}/{health ?? "Unknown"})");
        }
        foreach (var component in BootstrapManifests.Components.Except(components).Where(c => applications.ContainsKey(c.Name)))
        {
            // The device plugin goes when the last GPU pool does.
            if (await client.DeleteAsync(BootstrapManifests.ApplicationApiVersion, "Application", component.Name, BootstrapManifests.ArgoNamespace, ct))
                result.Event("core", EventOutcome.Info, $"Removed {component.Name}: the cluster no longer has a GPU pool.");
        }
        if (applied > 0)
        {
            result.Event("core", EventOutcome.Started, $"Applied the Argo CD Application(s) of {string.Join(", ", appliedNames)}.");
        }
        if (waiting.Count > 0)
        {
            result.Condition(CoreInstalled, ConditionStatus.False, "Syncing", $"Waiting for Argo CD: {string.Join(", ", waiting)}.");
            return result.Progress(phase, $"Installing the platform core through Argo CD: {string.Join(", ", waiting)}.", Timing.PollInterval);
        }
        result.Condition(CoreInstalled, ConditionStatus.True, "Healthy", $"Argo CD reports {string.Join(", ", components.Select(c => c.Name))} Synced and Healthy.", "core");
        if (cluster.Phase != ClusterPhase.Ready)
            result.Event("ready", EventOutcome.Succeeded, $"The cluster is ready: Kubernetes {described.Version}, {cluster.NodePools.Count} node pool(s), platform core installed.");
        return result.Converged($"Ready: Kubernetes {described.Version}.");
    }

    /// <summary>Deletion, outside in: Argo CD Applications, node groups, the cluster; then verify nothing tagged with it is left, then the row.</summary>
    private async Task<StepResult> DeleteStepAsync(Target target, AwsSession session, StepResult result, CancellationToken ct)
    {
        var cluster = target.Cluster;
        var described = await eks.TryDescribeClusterAsync(session, cluster.EksName, ct);
        if (described is not null)
        {
            if (described.Status is EksClusterStatus.Creating or EksClusterStatus.Updating or EksClusterStatus.Pending)
                return result.Progress(ClusterPhase.Deleting, $"Waiting for EKS to finish {described.Status!.ToLowerInvariant()} the control plane before deleting it.", Timing.PollInterval);

            if (described.IsActive && described.Endpoint is { Length: > 0 } endpoint && described.CertificateAuthority?.Data is { Length: > 0 } ca)
            {
                // Add-ons first, through their own reconciler: their Applications' finalizers need Argo CD, a core component.
                if (await UninstallAddonsAsync(cluster.Id, ct) is { Count: > 0 } addons)
                    return result.Progress(ClusterPhase.Deleting, $"Uninstalling add-ons first: {string.Join(", ", addons)}.", Timing.PollInterval);

                using var client = KubernetesFor(target, endpoint, ca);
                var remaining = new List<string>();
                // Deleted before the bootstrap ran: no Argo CD, nothing of ours inside.
                var bootstrapped = await client.GetAsync("apiextensions.k8s.io/v1", "CustomResourceDefinition", BootstrapManifests.ApplicationCrdName, null, ct) is not null;
                foreach (var component in bootstrapped ? BootstrapManifests.Components : [])
                {
                    var app = await client.GetAsync(BootstrapManifests.ApplicationApiVersion, "Application", component.Name, BootstrapManifests.ArgoNamespace, ct);
                    if (app is null) continue;
                    remaining.Add(component.Name);
                    if (app["metadata"]?["deletionTimestamp"] is null)
                        await client.DeleteAsync(BootstrapManifests.ApplicationApiVersion, "Application", component.Name, BootstrapManifests.ArgoNamespace, ct);
                }
                if (remaining.Count > 0)
                {
                    result.Condition(CoreInstalled, ConditionStatus.False, "Uninstalling", $"Removing {string.Join(", ", remaining)}.")
                        .Event("delete:core", EventOutcome.Started, $"Uninstalling the platform core: {string.Join(", ", remaining)}.");
                    return result.Progress(ClusterPhase.Deleting, $"Uninstalling the platform core: {string.Join(", ", remaining)}.", Timing.PollInterval);
                }
            }

            var groups = await DescribeNodegroupsAsync(session, cluster.EksName, ct);
            if (groups.Count > 0)
            {
                foreach (var group in groups.Values.Where(g => g.Status != EksNodegroupStatus.Deleting))
                {
                    await DeleteNodegroupAsync(session, cluster.EksName, group.NodegroupName, ct);
                    result.Event($"delete:nodegroup:{group.NodegroupName}", EventOutcome.Started, $"Deleting node group {group.NodegroupName}.");
                }
                result.Condition(NodePoolsReady, ConditionStatus.False, "Deleting", $"Deleting node groups {string.Join(", ", groups.Keys)}.");
                return result.Progress(ClusterPhase.Deleting, $"Deleting node groups {string.Join(", ", groups.Keys)}.", Timing.PollInterval);
            }

            if (described.Status != EksClusterStatus.Deleting)
            {
                try
                {
                    await eks.DeleteClusterAsync(session, cluster.EksName, ct);
                    result.Event("delete:control-plane", EventOutcome.Started, $"Deleting the EKS cluster {cluster.EksName}.");
                }
                catch (AwsServiceException e) when (e.IsInUse || e.IsNotFound)
                {
                    // Busy (something still attached) or just gone: the next run describes again.
                }
            }
            result.Condition(ControlPlaneReady, ConditionStatus.False, "Deleting", "EKS is deleting the control plane.");
            return result.Progress(ClusterPhase.Deleting, "EKS is deleting the control plane.", Timing.PollInterval);
        }

        // Describe says gone; check the account's list too before forgetting the cluster (the row is the only record).
        var leftovers = new List<string>();
        foreach (var name in await eks.ListAllClustersAsync(session, ct))
        {
            if (name == cluster.EksName) { leftovers.Add(name); continue; }
            var other = await eks.TryDescribeClusterAsync(session, name, ct);
            if (other is not null && IsOurs(other.Tags, cluster)) leftovers.Add(name);
        }
        if (leftovers.Count > 0)
            return result.Progress(ClusterPhase.Deleting, $"Waiting for EKS to finish removing {string.Join(", ", leftovers)}.", Timing.PollInterval);
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            // Add-ons of a cluster that went without them being uninstalled (its control plane failed first): nothing is left of them.
            await ClusterAddons.ForgetAllAsync(db, cluster.Id, ct);
        }
        result.Event("deleted", EventOutcome.Succeeded, $"Deleted: the EKS cluster {cluster.EksName}, its node groups and the platform core are gone from account {target.Environment.AwsAccountId}.");
        return result.Remove();
    }

    /// <summary>Asks every add-on of the cluster to uninstall (once) and returns those still present.</summary>
    private async Task<IReadOnlyList<string>> UninstallAddonsAsync(Guid clusterId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var (requested, remaining) = await ClusterAddons.UninstallAllAsync(db, clusterId, clock.GetUtcNow(), ct);
        foreach (var id in requested)
        {
            try
            {
                jobs.Enqueue<ReconcileAddonJob>(j => j.RunAsync(id, CancellationToken.None));
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not enqueue the uninstall of add-on installation {Id}; the resync will", id);
            }
        }
        return remaining;
    }

    // ---- errors ----

    /// <summary>Transient errors retry with backoff; errors the user must fix end in Failed with the next step in plain words.</summary>
    private StepResult Classify(Target target, Exception e)
    {
        var result = new StepResult();
        var cluster = target.Cluster;
        var retry = Backoff.Delay(cluster.Attempt + 1, Timing.BaseBackoff, Timing.MaxBackoff);
        switch (e)
        {
            case AwsServiceException aws when aws.IsRetryable:
                logger.LogInformation("Transient AWS error on cluster {ClusterId}: {Error}", cluster.Id, aws.Message);
                return result.Retry($"AWS is busy ({aws.ErrorType} on {aws.Operation}); trying again in {retry.TotalSeconds:0} s.",
                    $"AWS answered {aws.ErrorType} to {aws.Operation}: {aws.ServiceMessage}", retry);
            case AwsServiceException aws when aws.Operation == "AssumeRole" || aws.IsAccessDenied:
                logger.LogWarning("Access denied for cluster {ClusterId}: {Error}", cluster.Id, aws.Message);
                return result.Condition(ControlPlaneReady, ConditionStatus.Unknown, "AccessDenied", "The portal cannot act in the environment's account.")
                    .Event("access", EventOutcome.Failed, $"Access denied: {aws.ServiceMessage}")
                    .Fail($"The portal could not act in AWS account {target.Environment.AwsAccountId} through {target.Environment.ProvisionerRoleArn} ({aws.ErrorType}: {aws.ServiceMessage}). " +
                          "Ask the account's owner to let the platform account assume this role with the environment's external id, then save the cluster again.");
            case AwsServiceException aws:
                logger.LogWarning("AWS refused a request for cluster {ClusterId}: {Error}", cluster.Id, aws.Message);
                return result.Event("error", EventOutcome.Failed, $"EKS refused {aws.Operation}: {aws.ServiceMessage}")
                    .Fail($"EKS refused {aws.Operation} ({aws.ErrorType}): {aws.ServiceMessage} Change the cluster's spec to fix this and save it " +
                          "(or delete the cluster); if the message does not make sense, contact the platform team.");
            case HttpOperationException k8s when (int)k8s.Response.StatusCode >= 500 || k8s.Response.StatusCode == HttpStatusCode.TooManyRequests:
                return result.Retry($"The cluster's Kubernetes API is busy ({(int)k8s.Response.StatusCode}); trying again in {retry.TotalSeconds:0} s.",
                    $"Kubernetes answered {(int)k8s.Response.StatusCode}: {Shorten(k8s.Response.Content)}", retry);
            case HttpOperationException { Response.StatusCode: HttpStatusCode.Unauthorized } k8s:
                // The bearer token was refused: it expired with its session, or EKS has not yet mapped a new cluster's
                // creator. Forget the session, so the next run assumes the role again and signs a fresh token.
                sessions.Invalidate(target.Environment.ProvisionerRoleArn);
                return result.Retry($"The cluster's Kubernetes API refused the portal's credentials (401); trying again with fresh ones in {retry.TotalSeconds:0} s.",
                    $"Kubernetes answered 401: {Shorten(k8s.Response.Content)}", retry);
            case HttpOperationException k8s:
                logger.LogError(e, "Kubernetes refused a bootstrap object for cluster {ClusterId}", cluster.Id);
                return result.Event("core", EventOutcome.Failed, $"Kubernetes refused an object: {Shorten(k8s.Response.Content)}")
                    .Fail($"The cluster's Kubernetes API refused one of the platform's objects ({(int)k8s.Response.StatusCode}): {Shorten(k8s.Response.Content)} " +
                          "This is a platform problem, not yours: contact the platform team with this message.");
            case HttpRequestException or TimeoutException or TaskCanceledException:
                return result.Retry($"A cloud endpoint did not answer; trying again in {retry.TotalSeconds:0} s.", $"No answer from a cloud endpoint: {e.Message}", retry);
            default:
                logger.LogError(e, "Unexpected error reconciling cluster {ClusterId}", cluster.Id);
                return result.Retry($"Something unexpected went wrong; trying again in {retry.TotalSeconds:0} s.",
                    $"Unexpected error ({e.GetType().Name}): {e.Message} If it persists, contact the platform team.", retry);
        }
    }

    // ---- hibernation ----

    /// <summary>
    /// What a scheduled pool should run at now. <paramref name="Period"/> names this sleep or wake (the night's end, the
    /// window's start, the click) for the EKS clientRequestToken: a repeated run repeats the call, the next night is a new one.
    /// </summary>
    private sealed record HibernationPlan(PoolSize Wanted, bool Asleep, PoolSize? Remembered, string Period, HibernationSchedule? Schedule, WakeOverride? Wake)
    {
        public string Describe(NodePool pool, DateTimeOffset now)
        {
            if (Asleep)
                return Schedule is { } s && HibernationCalendar.NextTransition(s, now) is { } next
                    ? $"Pool {pool.Name} asleep until {HibernationText.LocalTime(s, next.At)} (scaled to zero outside its schedule, {HibernationText.Describe(s)})."
                    : $"Pool {pool.Name} asleep (scaled to zero outside its schedule).";
            if (Schedule is null) return $"Pool {pool.Name} woke: it has no schedule any more, back to {Wanted.Min}–{Wanted.Max} nodes, {Wanted.Desired} desired.";
            if (Wake?.IsActiveAt(now) == true && !HibernationCalendar.ShouldRun(Schedule, now))
                return $"Pool {pool.Name} woke early, until {HibernationText.LocalTime(Schedule, Wake.Until)}: back to {Wanted.Min}–{Wanted.Max} nodes, {Wanted.Desired} desired.";
            var end = HibernationCalendar.WindowAt(Schedule, now)?.End;
            return $"Pool {pool.Name} woke{(end is { } e ? $" until {HibernationText.LocalTime(Schedule, e)}" : "")}: back to {Wanted.Min}–{Wanted.Max} nodes, {Wanted.Desired} desired.";
        }
    }

    /// <summary>
    /// Null for a pool that never had a schedule. Otherwise <see cref="HibernationDecision"/> on the node group's observed
    /// sizes: outside the schedule (and any wake) min = desired = 0 with max as the spec says, remembering the sizes it
    /// had; back in it, the remembered sizes (the spec's when nothing is remembered). Removing a schedule wakes the pool.
    /// </summary>
    private static HibernationPlan? PlanHibernation(NodePool pool, EksNodegroup group, DateTimeOffset now)
    {
        var schedule = pool.Schedule;
        if (schedule is null && pool.RememberedSize is null && !pool.Asleep) return null;
        var wake = pool.Wake;
        var run = schedule is null || HibernationCalendar.ShouldRun(schedule, wake, now);
        var scaling = group.ScalingConfig;
        var current = scaling is null ? pool.SpecSize : new PoolSize(scaling.MinSize ?? 0, scaling.DesiredSize ?? 0, scaling.MaxSize ?? pool.MaxSize);
        var step = HibernationDecision.Decide(run, current, pool.RememberedSize);
        var wanted = !run ? step.Target with { Max = pool.MaxSize } : pool.RememberedSize is not null ? step.Target : pool.SpecSize;
        string period;
        if (schedule is null) period = "restore";
        // The night's end alone would repeat after a wake on the same night: the wake (kept until this run's commit) tells them apart.
        else if (!run) period = $"sleep|{HibernationCalendar.NextTransition(schedule, now)?.At.ToUnixTimeSeconds() ?? 0}|{pool.WakeUntil?.ToUnixTimeMilliseconds() ?? 0}";
        else if (HibernationCalendar.WindowAt(schedule, now) is { } window) period = "run|" + window.Start.ToUnixTimeSeconds();
        else period = "wake|" + wake!.WokenAt.ToUnixTimeMilliseconds();
        return new HibernationPlan(wanted, !run, step.Remembered, period, schedule, wake);
    }

    private async Task RememberAsync(Guid poolId, PoolSize sizes, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.NodePools.Where(p => p.Id == poolId).ExecuteUpdateAsync(set => set
            .SetProperty(p => p.RememberedMinSize, sizes.Min)
            .SetProperty(p => p.RememberedDesiredSize, sizes.Desired)
            .SetProperty(p => p.RememberedMaxSize, sizes.Max), ct);
    }

    // ---- helpers ----

    private async Task<AwsSession> SessionAsync(Target target, CancellationToken ct)
    {
        await hooks.Value.BeforeAssumeRoleAsync(target.Environment, ct);
        return await sessions.AssumeAsync(target.Environment.ProvisionerRoleArn, target.Environment.ExternalId, target.Environment.Region, target.ActingUser, ct);
    }

    private IKubernetes KubernetesFor(Target target, string endpoint, string ca) =>
        kubernetes.Create(ct => SessionAsync(target, ct), target.Cluster.EksName, endpoint, ca);

    private async Task<IReadOnlyDictionary<string, EksNodegroup>> DescribeNodegroupsAsync(AwsSession session, string eksName, CancellationToken ct)
    {
        var result = new Dictionary<string, EksNodegroup>(StringComparer.Ordinal);
        foreach (var name in await eks.ListAllNodegroupsAsync(session, eksName, ct))
        {
            if (await eks.TryDescribeNodegroupAsync(session, eksName, name, ct) is { } group) result[name] = group;
        }
        return result;
    }

    /// <summary>
    /// Argo CD itself, before any Application: apply what is missing (or a workload on another image, after a platform
    /// upgrade of Argo CD), then wait until its Deployments and the controller's StatefulSet are available. An Application
    /// applied earlier would sit unsynced with nobody to sync it.
    /// </summary>
    /// <param name="verified">This generation's objects were all seen in place: only the workloads are read, for their availability.</param>
    /// <param name="available">...and Argo CD was seen available too: nothing is read.</param>
    private async Task<StepResult?> ArgoCdStepAsync(IKubernetes client, ClusterPhase phase, StepResult result, bool verified, bool available, CancellationToken ct)
    {
        if (available) return null;
        var applied = 0;
        var waiting = new List<string>();
        foreach (var manifest in ArgoCdInstall.Objects())
        {
            var kind = manifest["kind"]!.GetValue<string>();
            var name = manifest["metadata"]!["name"]!.GetValue<string>();
            var isWorkload = kind is "Deployment" or "StatefulSet";
            if (verified && !isWorkload) continue;
            var current = await client.GetAsync(manifest["apiVersion"]!.GetValue<string>(), kind, name, manifest["metadata"]!["namespace"]?.GetValue<string>(), ct);
            if (current is null || (isWorkload && Images(current) != Images(manifest)))
            {
                current = await client.ApplyAsync(manifest, ct);
                applied++;
            }
            if (isWorkload && ArgoCdInstall.NotAvailable(current) is { } why) waiting.Add($"{name} ({why})");
        }
        if (applied > 0)
            result.Event("argocd", EventOutcome.Started, $"Installing Argo CD {ArgoCdInstall.Version} into the {BootstrapManifests.ArgoNamespace} namespace ({applied} object(s) applied with server-side apply).");
        if (waiting.Count == 0)
        {
            result.Condition(ArgoCdReady, ConditionStatus.True, "Available", $"Argo CD {ArgoCdInstall.Version} is running: {string.Join(", ", ArgoCdInstall.Workloads.Select(w => w.Name))}.", "argocd");
            return null;
        }
        result.Condition(ArgoCdReady, ConditionStatus.False, "Starting", $"Waiting for Argo CD: {string.Join(", ", waiting)}.");
        return result.Progress(phase, $"Installing Argo CD: waiting for {string.Join(", ", waiting)}.", Timing.PollInterval);
    }

    /// <summary>What the bootstrap would apply for <paramref name="generation"/>, hashed: equal means nothing to verify again.</summary>
    internal static string BootstrapHash(long generation) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{generation}\n{RenderedBootstrap.Value}")));

    // The objects depend on nothing but the portal's release: rendered and hashed once per process.
    private static readonly Lazy<string> RenderedBootstrap = new(() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Join('\n', BootstrapManifests.Foundation().Concat(ArgoCdInstall.Objects()).Select(m => m.ToJsonString()))))));

    private static string Images(JsonObject workload) =>
        string.Join(",", (workload["spec"]?["template"]?["spec"]?["containers"] as JsonArray ?? []).Select(c => c?["image"]?.GetValue<string>()));

    private static async Task<bool> ExistsAsync(IKubernetes client, JsonObject manifest, CancellationToken ct) =>
        await client.GetAsync(manifest["apiVersion"]!.GetValue<string>(), manifest["kind"]!.GetValue<string>(),
            manifest["metadata"]!["name"]!.GetValue<string>(), manifest["metadata"]!["namespace"]?.GetValue<string>(), ct) is not null;

    private static bool SameSource(JsonObject current, JsonObject wanted) =>
        JsonNode.DeepEquals(current["spec"]?["source"], wanted["spec"]!["source"]) && current["spec"]?["project"]?.GetValue<string>() == BootstrapManifests.Project;

    private static ClusterPhase ProgressPhase(Cluster cluster) =>
        cluster.Phase is ClusterPhase.Ready or ClusterPhase.Updating || cluster.Conditions.Any(c => c.Type == CoreInstalled && c.Status == ConditionStatus.True)
            ? ClusterPhase.Updating
            : ClusterPhase.Provisioning;

    private Dictionary<string, string> Tags(Target target)
    {
        var tags = new Dictionary<string, string>(target.Cluster.Tags, StringComparer.Ordinal)
        {
            [TeamTag] = target.TeamSlug,
            [EnvironmentTag] = target.EnvironmentLabel,
            [ClusterTag] = target.Cluster.Name,
            [ClusterIdTag] = target.Cluster.Id.ToString(),
        };
        if (!string.IsNullOrWhiteSpace(target.CostCentre)) tags[CostCentreTag] = target.CostCentre;
        return tags;
    }

    private static bool IsOurs(IReadOnlyDictionary<string, string>? tags, Cluster cluster) =>
        tags is not null && tags.TryGetValue(ClusterIdTag, out var id) && id == cluster.Id.ToString();

    /// <summary>What differs between the pool's spec and the node group, as one UpdateNodegroupConfig; null when nothing does.</summary>
    /// <param name="size">The sizes to run at now: the spec's, or what hibernation decided (zero at night, the remembered sizes at wake).</param>
    /// <param name="enforceDesired">
    /// False in steady state: a desired size the node group has within min–max is kept, because the cluster autoscaler
    /// moved it there (EKS users tell Terraform to ignore it for the same reason); resetting it would fight the autoscaler
    /// and remove nodes pods are running on. A spec change or hibernation passes true.
    /// </param>
    internal static UpdateNodegroupConfigRequest? ConfigUpdate(NodePool pool, EksNodegroup group, PoolSize? size = null, bool enforceDesired = true)
    {
        var wanted = size ?? pool.SpecSize;
        var scaling = group.ScalingConfig;
        if (!enforceDesired && scaling?.DesiredSize is { } observed && observed >= wanted.Min && observed <= wanted.Max) wanted = wanted with { Desired = observed };
        var scalingDiffers = scaling is null || scaling.MinSize != wanted.Min || scaling.MaxSize != wanted.Max || scaling.DesiredSize != wanted.Desired;

        var labels = group.Labels ?? new Dictionary<string, string>();
        var addLabels = pool.Labels.Where(l => !labels.TryGetValue(l.Key, out var v) || v != l.Value).ToDictionary();
        var removeLabels = labels.Keys.Where(k => !pool.Labels.ContainsKey(k)).ToList();

        var wantedTaints = pool.Taints.Select(ToEks).ToList();
        var taints = group.Taints ?? [];
        var addTaints = wantedTaints.Where(t => !taints.Contains(t)).ToList();
        var removeTaints = taints.Where(t => !wantedTaints.Any(w => w.Key == t.Key && w.Effect == t.Effect)).ToList();

        if (!scalingDiffers && addLabels.Count == 0 && removeLabels.Count == 0 && addTaints.Count == 0 && removeTaints.Count == 0) return null;
        return new UpdateNodegroupConfigRequest
        {
            ScalingConfig = scalingDiffers ? new EksScalingConfig(wanted.Min, wanted.Max, wanted.Desired) : null,
            Labels = addLabels.Count + removeLabels.Count > 0 ? new EksLabelsUpdate(addLabels.Count > 0 ? addLabels : null, removeLabels.Count > 0 ? removeLabels : null) : null,
            Taints = addTaints.Count + removeTaints.Count > 0 ? new EksTaintsUpdate(addTaints.Count > 0 ? addTaints : null, removeTaints.Count > 0 ? removeTaints : null) : null,
        };
    }

    private static EksTaint ToEks(NodeTaint taint) => new(taint.Key, taint.Value, taint.Effect switch
    {
        TaintEffect.NoExecute => EksTaintEffects.NoExecute,
        TaintEffect.PreferNoSchedule => EksTaintEffects.PreferNoSchedule,
        _ => EksTaintEffects.NoSchedule,
    });

    private static string Describe(UpdateNodegroupConfigRequest update, PoolSize size)
    {
        var parts = new List<string>();
        if (update.ScalingConfig is not null) parts.Add($"scaling to {size.Min}–{size.Max} nodes, {size.Desired} desired");
        if (update.Labels is not null) parts.Add("labels");
        if (update.Taints is not null) parts.Add("taints");
        return string.Join(", ", parts);
    }

    private static string Capacity(NodePool pool) => pool.CapacityType == CapacityType.Spot ? "spot" : "on-demand";

    private static string Issues(EksHealth? health) =>
        health?.Issues is { Count: > 0 } issues ? ": " + string.Join("; ", issues.Select(i => $"{i.Code} {i.Message}".Trim())) : "";

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 500 ? text : text[..500] + "…";

    /// <summary>
    /// A clientRequestToken that is the same for the same intent (this cluster, this step, this generation or version),
    /// so a run that repeats a call after a crash gets EKS's first answer instead of a second resource.
    /// </summary>
    internal static string Token(Guid clusterId, params string[] parts) =>
        "unicron-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', parts.Prepend(clusterId.ToString())))))[..40];
}
