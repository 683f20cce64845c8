using System.Linq.Expressions;
using System.Net;
using System.Text.Json.Nodes;
using Hangfire;
using k8s;
using k8s.Autorest;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Addons.Catalog;
using Portal.Core.Addons.Installations.Jobs;
using Portal.Core.Cloud.Aws;
using Portal.Core.Cloud.Kubernetes;
using Portal.Core.Clusters;
using Portal.Core.Clusters.Bootstrap;
using Portal.Core.Clusters.Reconciler;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;

namespace Portal.Core.Addons.Installations.Reconciler;

/// <summary>
/// Takes one add-on installation one step toward its spec, in the cluster reconciler's pattern (claim the lease, read
/// the cluster first, one step, status and events in one transaction, reschedule). Install = server-side apply of an
/// Argo CD Application (<see cref="AddonManifests"/>); status follows the Application's sync and health. Installed
/// add-ons are looked at again every <see cref="ReconciliationOptions.ResyncInterval"/> so an Application deleted or
/// edited in the cluster is restored (drift). Uninstall deletes the Application and removes the row once it is gone.
/// </summary>
public sealed class AddonReconciler(
    IDbContextFactory<PortalDbContext> contexts,
    ResourceLeases leases,
    AddonCatalog catalog,
    AwsSessions sessions,
    KubernetesClientFactory kubernetes,
    KubeconfigProtector kubeconfigs,
    IBackgroundJobClient jobs,
    IOptions<ReconciliationOptions> reconciliation,
    IOptions<EnvironmentRoleHooks> hooks,
    ApplicationSnapshots snapshots,
    TimeProvider clock,
    ILogger<AddonReconciler> logger)
{
    public const string Applied = "Applied";
    public const string Healthy = "Healthy";

    private ReconciliationOptions Timing => reconciliation.Value;

    /// <summary>How often a settled installation is checked for drift.</summary>
    private TimeSpan DriftInterval => Timing.ResyncInterval;

    public async Task ReconcileAsync(Guid installationId, CancellationToken ct)
    {
        await using var lease = await leases.TryClaimAsync<AddonInstallation>(installationId, ct);
        if (lease is null)
        {
            logger.LogDebug("Add-on installation {Id} is being reconciled elsewhere (or is gone); skipping", installationId);
            return;
        }
        var target = await LoadAsync(installationId, lease.Lost);
        if (target is null)
        {
            lease.MarkGone();
            return;
        }
        AddonStep result;
        try
        {
            result = await StepAsync(target, lease.Lost);
        }
        catch (OperationCanceledException) when (lease.Lost.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Lost the lease on add-on installation {Id} mid-step; the new holder carries on", installationId);
            return;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            result = Classify(target, e);
        }
        await CommitAsync(target, lease, result, ct);
    }

    /// <summary>
    /// The drift check of one cluster's settled, healthy installations in a single run: one fresh list of the cluster's
    /// Applications instead of a job and a read per installation every round (at 10,000 add-ons that was 333 jobs a
    /// second at rest). Writes nothing: an installation whose Application is not exactly as the portal left it — or
    /// that this check cannot judge — gets its own reconcile, which reads the object again before acting.
    /// </summary>
    public async Task CheckDriftAsync(Guid clusterId, CancellationToken ct)
    {
        List<AddonInstallation> settled;
        Cluster? cluster;
        TeamEnvironment? environment;
        string? teamSlug;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            var found = await (from c in db.Clusters.AsNoTracking()
                               join e in db.Environments.AsNoTracking() on c.EnvironmentId equals e.Id
                               join t in db.Teams.AsNoTracking() on c.TeamId equals t.Id
                               where c.Id == clusterId
                               select new { Cluster = c, Environment = e, t.Slug }).FirstOrDefaultAsync(ct);
            if (found is null) return;
            (cluster, environment, teamSlug) = (found.Cluster, found.Environment, found.Slug);
            settled = await db.AddonInstallations.AsNoTracking()
                .Where(a => a.ClusterId == clusterId).Where(SettledHealthy)
                .ToListAsync(ct);
        }
        if (settled.Count == 0) return;

        var suspects = settled.Select(a => a.Id).ToList();
        using (var client = Client(cluster, environment, "portal"))
        {
            if (client is not null)
            {
                // A fresh list, left in the snapshot so this process's reconciles of the suspects do not trust an older one.
                snapshots.Forget(clusterId);
                var listed = await snapshots.GetAsync(clusterId, DriftInterval,
                    () => client.ListAsync(BootstrapManifests.ApplicationApiVersion, "Application", BootstrapManifests.ArgoNamespace, ct));
                suspects = settled.Where(a =>
                    catalog.Find(a.AddonId)?.FindVersion(a.CatalogVersion) is not { } version
                    || listed?.GetValueOrDefault(a.AddonId) is not { } seen
                    || !UnchangedAndHealthy(seen, AddonManifests.Application(a, version, teamSlug, cluster.Name), a.Generation))
                    .Select(a => a.Id).ToList();
            }
        }
        foreach (var id in suspects) Schedule(id, TimeSpan.Zero);
        if (suspects.Count > 0)
            logger.LogInformation("Drift check of cluster {ClusterId}: {Suspects} of {Settled} settled add-on(s) differ from what the portal applied; reconciling them",
                clusterId, suspects.Count, settled.Count);
    }

    private sealed record Target(AddonInstallation Installation, Cluster Cluster, TeamEnvironment Environment, string TeamSlug, string ActingUser);

    private async Task<Target?> LoadAsync(Guid id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        // Everything a run needs in one round trip: every add-on run starts here.
        var found = await (from a in db.AddonInstallations.AsNoTracking()
                           join c in db.Clusters.AsNoTracking() on a.ClusterId equals c.Id
                           join e in db.Environments.AsNoTracking() on c.EnvironmentId equals e.Id
                           join t in db.Teams.AsNoTracking() on a.TeamId equals t.Id
                           where a.Id == id
                           select new
                           {
                               Installation = a,
                               Cluster = c,
                               Environment = e,
                               t.Slug,
                               Email = db.Users.Where(u => u.Id == a.CreatedByUserId).Select(u => u.Email).FirstOrDefault(),
                           }).FirstOrDefaultAsync(ct);
        return found is null ? null : new Target(found.Installation, found.Cluster, found.Environment, found.Slug, found.Email ?? "portal");
    }

    private async Task CommitAsync(Target target, ResourceLease lease, AddonStep result, CancellationToken ct)
    {
        var id = target.Installation.Id;
        var readGeneration = target.Installation.Generation;
        TimeSpan? delay;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await lease.ConfirmAsync(db, ct))
            {
                logger.LogWarning("Lost the lease on add-on installation {Id} before writing its status; discarding this run's result", id);
                return;
            }
            var row = await db.AddonInstallations.FirstOrDefaultAsync(a => a.Id == id, ct);
            if (row is null)
            {
                lease.MarkGone();
                return;
            }
            var now = clock.GetUtcNow();
            if (result.RemoveRow && row.Generation == readGeneration)
            {
                foreach (var (step, outcome, message) in result.Events) EventLog.Record(db, now, row.TeamId, AddonService.Resource, row.Id, step, outcome, message);
                db.AddonInstallations.Remove(row);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                lease.MarkGone();
                logger.LogInformation("Add-on {Addon} is uninstalled from cluster {ClusterId}", row.AddonId, row.ClusterId);
                return;
            }
            var specMoved = row.Generation != readGeneration;
            var before = (row.Phase, row.Message);
            result.ApplyTo(row, now, specMoved);
            foreach (var (step, outcome, message) in result.Events) EventLog.Record(db, now, row.TeamId, AddonService.Resource, row.Id, step, outcome, message);
            if (row.Phase != before.Phase && !result.Events.Any() && !specMoved && row.Phase is AddonPhase.Healthy or AddonPhase.Degraded or AddonPhase.Missing)
            {
                EventLog.Record(db, now, row.TeamId, AddonService.Resource, row.Id, row.Phase.ToString().ToLowerInvariant(),
                    row.Phase == AddonPhase.Healthy ? EventOutcome.Succeeded : EventOutcome.Failed, row.Message ?? row.Phase.ToString());
            }
            if (result.Observed && !specMoved) row.ObservedGeneration = readGeneration;
            if (result.IsRetry)
            {
                row.Attempt++;
                if (row.Attempt == 1) EventLog.Record(db, now, row.TeamId, AddonService.Resource, row.Id, "retry", EventOutcome.Failed, $"{row.LastError} Retrying with backoff.");
            }
            else
            {
                row.Attempt = 0;
            }
            delay = specMoved ? TimeSpan.Zero : result.RequeueAfter;
            row.NextAttemptAtUnixMs = delay is { } d ? now.Add(d).ToUnixTimeMilliseconds() : 0;
            // Settled and healthy: no job of its own until the next drift check, which the resync runs for all of a
            // cluster's settled installations at once when they are due (CheckDriftAsync).
            if (!result.IsRetry && IsSettledHealthy(row)) delay = null;
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

    private void Schedule(Guid id, TimeSpan? delay)
    {
        if (delay is not { } d) return;
        try
        {
            if (d <= TimeSpan.Zero) jobs.Enqueue<ReconcileAddonJob>(j => j.RunAsync(id, CancellationToken.None));
            else jobs.Schedule<ReconcileAddonJob>(j => j.RunAsync(id, CancellationToken.None), d);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not schedule the next reconcile of add-on installation {Id}; the resync will", id);
        }
    }

    // ---- the state machine ----

    private async Task<AddonStep> StepAsync(Target target, CancellationToken ct)
    {
        var installation = target.Installation;
        var result = new AddonStep();
        using var client = Client(target);
        if (client is null)
            return result.Progress(installation.IsUninstalling ? AddonPhase.Uninstalling : AddonPhase.Pending,
                $"Waiting for cluster '{target.Cluster.Name}' to publish its API endpoint.", Timing.PollInterval);

        // No Argo CD yet (a managed cluster whose bootstrap has not run): nothing of ours can be in the cluster. A managed
        // cluster whose reconciler saw Argo CD available has the CRD: asking again on every run was half an idle check's reads.
        var argo = ArgoCdKnownReady(target.Cluster)
                   || await client.GetAsync("apiextensions.k8s.io/v1", "CustomResourceDefinition", BootstrapManifests.ApplicationCrdName, null, ct) is not null;
        if (installation.IsUninstalling) return await UninstallStepAsync(target, client, argo, result, ct);
        if (!argo)
            return result.Progress(AddonPhase.Pending, $"Waiting for Argo CD on cluster '{target.Cluster.Name}' (its Application CRD is not installed yet).", Timing.PollInterval);

        var entry = catalog.Find(installation.AddonId);
        var version = entry?.FindVersion(installation.CatalogVersion);
        if (entry is null || version is null)
            return result.Fail($"{installation.AddonId} {installation.CatalogVersion} is no longer in the catalogue. Change the installation to a version the catalogue has, or uninstall it.");

        var wanted = AddonManifests.Application(installation, version, target.TeamSlug, target.Cluster.Name);
        var current = await CurrentApplicationAsync(target, client, wanted, ct);
        if (current is null && installation.ObservedGeneration == 0 && !WasApplied(installation)
            && await WaitingForRequirementsAsync(installation, version, ct) is { } waiting)
            return result.Progress(AddonPhase.Pending, waiting, Timing.PollInterval);

        if (current is not null && current["metadata"]?["deletionTimestamp"] is not null)
            return result.Progress(AddonPhase.Installing,
                "Someone deleted the Argo CD Application in the cluster; waiting for Argo CD to finish removing it, then restoring it.", Timing.PollInterval);
        if (current is null || !AddonManifests.Matches(current, wanted) || AddonManifests.RenderedGeneration(current) != installation.Generation)
        {
            snapshots.Forget(target.Cluster.Id);
            await client.ApplyAsync(AddonManifests.AppProject(catalog), ct);
            await client.ApplyAsync(wanted, ct);
            var (step, message) = current switch
            {
                null when WasApplied(installation) => ("restored", "The Argo CD Application was deleted in the cluster; the portal re-created it."),
                null => ("install", $"Applied the Argo CD Application {installation.AddonId}: {Describe(version)} into namespace {version.Namespace}."),
                _ when AddonManifests.RenderedGeneration(current) == installation.Generation =>
                    ("restored", "The Argo CD Application was changed in the cluster; the portal restored its spec."),
                _ => ("upgrade", $"Applied generation {installation.Generation}: {Describe(version)}."),
            };
            result.Condition(Applied, ConditionStatus.True, step == "restored" ? "Restored" : "Applied", message)
                .Event(step, step == "restored" ? EventOutcome.Info : EventOutcome.Started, message);
            return result.Progress(AddonPhase.Installing, "Argo CD is picking up the Application.", Timing.PollInterval);
        }

        var sync = (string?)current["status"]?["sync"]?["status"];
        var health = (string?)current["status"]?["health"]?["status"];
        result.Change(a =>
        {
            a.SyncStatus = sync;
            a.HealthStatus = health;
        });
        result.Condition(Applied, ConditionStatus.True, "Applied", "The Argo CD Application matches the spec.");
        switch (health)
        {
            case "Healthy" when sync == "Synced":
                result.Condition(Healthy, ConditionStatus.True, "Healthy", "Argo CD reports the add-on Synced and Healthy.");
                return result.Settled(AddonPhase.Healthy, $"Healthy: {entry.Name} {version.Version} is synced and running.", DriftInterval);
            case "Degraded":
                var why = ArgoMessage(current) ?? "Argo CD reports the add-on Degraded without saying why.";
                result.Condition(Healthy, ConditionStatus.False, "Degraded", why);
                return result.Settled(AddonPhase.Degraded, why, DriftInterval);
            case "Missing":
                result.Condition(Healthy, ConditionStatus.False, "Missing", ArgoMessage(current) ?? "The add-on's resources are missing from the cluster.");
                return result.Progress(AddonPhase.Missing, ArgoMessage(current) ?? "Argo CD reports the add-on's resources missing; it is syncing them.", Timing.PollInterval);
            default:
                result.Condition(Healthy, ConditionStatus.False, health ?? "Unknown", $"Argo CD reports {sync ?? "Unknown"}/{health ?? "Unknown"}.");
                return result.Progress(AddonPhase.Progressing, $"Argo CD is syncing ({sync ?? "Unknown"}/{health ?? "Unknown"}).", Timing.PollInterval);
        }
    }

    private async Task<AddonStep> UninstallStepAsync(Target target, IKubernetes client, bool argo, AddonStep result, CancellationToken ct)
    {
        var installation = target.Installation;
        var current = argo ? await client.GetAsync(BootstrapManifests.ApplicationApiVersion, "Application", installation.AddonId, BootstrapManifests.ArgoNamespace, ct) : null;
        if (current is null)
        {
            result.Event("uninstalled", EventOutcome.Succeeded, $"Uninstalled: the cluster confirms the Argo CD Application {installation.AddonId} is gone.");
            return result.Remove();
        }
        if (current["metadata"]?["deletionTimestamp"] is null)
        {
            await client.DeleteAsync(BootstrapManifests.ApplicationApiVersion, "Application", installation.AddonId, BootstrapManifests.ArgoNamespace, ct);
            result.Event("uninstall", EventOutcome.Started, $"Deleted the Argo CD Application {installation.AddonId}; Argo CD removes the workload first (finalizer).");
        }
        return result.Progress(AddonPhase.Uninstalling, "Argo CD is removing the add-on's workload.", Timing.PollInterval);
    }

    /// <summary>
    /// The installation's Application as the cluster holds it. A settled installation (its drift check, every resync
    /// round) reads it from the cluster's shared list snapshot; when that shows anything but "unchanged and Synced/Healthy"
    /// the object is read again directly, so every decision to write rests on a fresh read.
    /// </summary>
    private async Task<JsonObject?> CurrentApplicationAsync(Target target, IKubernetes client, JsonObject wanted, CancellationToken ct)
    {
        var installation = target.Installation;
        var settled = installation.Phase == AddonPhase.Healthy && installation.ObservedGeneration == installation.Generation;
        if (settled)
        {
            var listed = await snapshots.GetAsync(target.Cluster.Id, DriftInterval,
                () => client.ListAsync(BootstrapManifests.ApplicationApiVersion, "Application", BootstrapManifests.ArgoNamespace, ct));
            if (listed?.GetValueOrDefault(installation.AddonId) is { } seen && UnchangedAndHealthy(seen, wanted, installation.Generation))
                return seen;
        }
        return await client.GetAsync(BootstrapManifests.ApplicationApiVersion, "Application", installation.AddonId, BootstrapManifests.ArgoNamespace, ct);
    }

    /// <summary>The Application is the one the portal rendered for this generation, not being deleted, and Argo CD reports it Synced and Healthy.</summary>
    private static bool UnchangedAndHealthy(JsonObject seen, JsonObject wanted, long generation) =>
        seen["metadata"]?["deletionTimestamp"] is null
        && AddonManifests.Matches(seen, wanted) && AddonManifests.RenderedGeneration(seen) == generation
        && (string?)seen["status"]?["sync"]?["status"] == "Synced" && (string?)seen["status"]?["health"]?["status"] == "Healthy";

    /// <summary>
    /// Healthy with its spec observed and no uninstall asked for: what the per-cluster drift check looks after. One rule
    /// for the resync's queries, the check's query and the commit that stops scheduling such an installation's own job.
    /// </summary>
    internal static readonly Expression<Func<AddonInstallation, bool>> SettledHealthy =
        a => a.Phase == AddonPhase.Healthy && a.ObservedGeneration == a.Generation && a.UninstallRequestedAt == null;

    internal static readonly Expression<Func<AddonInstallation, bool>> NotSettledHealthy =
        Expression.Lambda<Func<AddonInstallation, bool>>(Expression.Not(SettledHealthy.Body), SettledHealthy.Parameters);

    private static readonly Func<AddonInstallation, bool> IsSettledHealthy = SettledHealthy.Compile();

    /// <summary>A managed cluster whose reconciler saw Argo CD available (so its Application CRD is installed).</summary>
    private static bool ArgoCdKnownReady(Cluster cluster) =>
        !cluster.IsAttached && cluster.Conditions.Any(c => c.Type == ClusterReconciler.ArgoCdReady && c.Status == ConditionStatus.True);

    /// <summary>A message when an add-on this one requires is not Healthy yet on the same cluster, else null.</summary>
    private async Task<string?> WaitingForRequirementsAsync(AddonInstallation installation, AddonVersion version, CancellationToken ct)
    {
        if (version.Requires.Count == 0) return null;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var ids = version.Requires.Select(r => r.AddonId).ToList();
        var siblings = await db.AddonInstallations.AsNoTracking()
            .Where(a => a.ClusterId == installation.ClusterId && ids.Contains(a.AddonId))
            .Select(a => new { a.AddonId, a.Phase })
            .ToListAsync(ct);
        var waiting = version.Requires
            .Select(r => (r.AddonId, Phase: siblings.FirstOrDefault(s => s.AddonId == r.AddonId)?.Phase))
            .Where(r => r.Phase != AddonPhase.Healthy)
            .Select(r => r.Phase is { } p ? $"{r.AddonId} ({p.ToString().ToLowerInvariant()})" : $"{r.AddonId} (not installed)")
            .ToList();
        return waiting.Count == 0 ? null : $"Waiting for the add-ons it requires to be Healthy: {string.Join(", ", waiting)}.";
    }

    private static bool WasApplied(AddonInstallation installation) =>
        installation.Conditions.Any(c => c.Type == Applied && c.Status == ConditionStatus.True);

    /// <summary>Argo CD's own words: the health message, else the conditions' messages (ComparisonError and the like).</summary>
    private static string? ArgoMessage(JsonObject application)
    {
        if ((string?)application["status"]?["health"]?["message"] is { Length: > 0 } health) return health;
        var conditions = (application["status"]?["conditions"] as JsonArray)?
            .Select(c => (string?)c?["message"]).OfType<string>().Where(m => m.Length > 0).ToList();
        return conditions is { Count: > 0 } ? string.Join(" ", conditions) : null;
    }

    private static string Describe(AddonVersion version) => version.Source.Helm is { } helm
        ? $"Helm chart {helm.Chart} {helm.Version} from {helm.RepoUrl}"
        : $"{version.Source.Git!.RepoUrl} at {version.Source.Git.Path}, revision {version.Source.Git.Revision}";

    /// <summary>A client for the installation's cluster: EKS tokens for managed clusters, the stored kubeconfig for attached ones.</summary>
    private IKubernetes? Client(Target target) => Client(target.Cluster, target.Environment, target.ActingUser);

    private IKubernetes? Client(Cluster cluster, TeamEnvironment environment, string actingUser)
    {
        if (cluster.IsAttached)
        {
            return cluster.ProtectedKubeconfig is { } protectedKubeconfig
                ? kubernetes.CreateFromKubeconfig(kubeconfigs.Unprotect(protectedKubeconfig))
                : null;
        }
        if (cluster.KubernetesEndpoint is not { Length: > 0 } endpoint || cluster.CertificateAuthority is not { Length: > 0 } ca) return null;
        return kubernetes.Create(async token =>
        {
            await hooks.Value.BeforeAssumeRoleAsync(environment, token);
            return await sessions.AssumeAsync(environment.ProvisionerRoleArn, environment.ExternalId, environment.Region, actingUser, token);
        }, cluster.EksName, endpoint, ca);
    }

    private AddonStep Classify(Target target, Exception e)
    {
        var result = new AddonStep();
        var retry = Backoff.Delay(target.Installation.Attempt + 1, Timing.BaseBackoff, Timing.MaxBackoff);
        switch (e)
        {
            case HttpOperationException k8s when (int)k8s.Response.StatusCode >= 500 || k8s.Response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict:
                return result.Retry($"The cluster's Kubernetes API is busy ({(int)k8s.Response.StatusCode}); trying again in {retry.TotalSeconds:0} s.",
                    $"Kubernetes answered {(int)k8s.Response.StatusCode}: {Shorten(k8s.Response.Content)}", retry);
            case HttpOperationException k8s when k8s.Response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                return result.Retry($"The cluster refused the portal's credentials ({(int)k8s.Response.StatusCode}); trying again in {retry.TotalSeconds:0} s.",
                    $"Kubernetes answered {(int)k8s.Response.StatusCode}: {Shorten(k8s.Response.Content)} For an attached cluster, attach it again with a kubeconfig that may manage Argo CD Applications.", retry);
            case HttpOperationException k8s:
                logger.LogError(e, "Kubernetes refused the Application of add-on installation {Id}", target.Installation.Id);
                return result.Event("error", EventOutcome.Failed, $"Kubernetes refused the Application: {Shorten(k8s.Response.Content)}")
                    .Fail($"The cluster's Kubernetes API refused the add-on's Argo CD Application ({(int)k8s.Response.StatusCode}): {Shorten(k8s.Response.Content)} " +
                          "Change the add-on's values or version and save; if the message does not make sense, contact the platform team.");
            case UnsupportedKubeconfigException unsupported:
                return result.Event("access", EventOutcome.Failed, unsupported.Message).Fail(unsupported.Message);
            case AwsServiceException aws when aws.IsRetryable:
                return result.Retry($"AWS is busy ({aws.ErrorType}); trying again in {retry.TotalSeconds:0} s.", $"AWS answered {aws.ErrorType} to {aws.Operation}: {aws.ServiceMessage}", retry);
            case HttpRequestException or TimeoutException or TaskCanceledException:
                return result.Retry($"The cluster did not answer; trying again in {retry.TotalSeconds:0} s.", $"No answer from the cluster: {e.Message}", retry);
            default:
                logger.LogError(e, "Unexpected error reconciling add-on installation {Id}", target.Installation.Id);
                return result.Retry($"Something unexpected went wrong; trying again in {retry.TotalSeconds:0} s.",
                    $"Unexpected error ({e.GetType().Name}): {e.Message} If it persists, contact the platform team.", retry);
        }
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 500 ? text : text[..500] + "…";
}
