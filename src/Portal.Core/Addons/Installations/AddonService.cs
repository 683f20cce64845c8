using System.Text.Json;
using System.Text.Json.Nodes;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Access;
using Portal.Core.Addons.Catalog;
using Portal.Core.Addons.Installations.Jobs;
using Portal.Core.Audit;
using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Persistence;

namespace Portal.Core.Addons.Installations;

/// <summary>An install request. <paramref name="Version"/> null picks the newest version the cluster's environment allows.</summary>
/// <param name="Values">The user's overrides (merged over the version's default values), or null for none.</param>
/// <param name="InstallDependencies">The user confirmed that missing required add-ons are installed first, in the same request.</param>
public sealed record AddonInstallRequest(string AddonId, string? Version = null, JsonObject? Values = null, bool InstallDependencies = false);

/// <summary>A partial spec update: null leaves a field as it is; <paramref name="Values"/>, when given, replaces all overrides.</summary>
public sealed record AddonChanges(string? Version = null, JsonObject? Values = null);

public sealed record AddonQuery(string? Cursor = null, int? Limit = null);

/// <summary>An installation with what a caller needs to name it.</summary>
public sealed record AddonInstallationView(AddonInstallation Installation, string Team, string Cluster, EnvironmentName Environment);

/// <summary>
/// Add-on installations on a team's clusters: the API side of the resource pattern (ARCHITECTURE.md). Every write
/// checks the catalogue's rules (maturity per environment, Kubernetes range, conflicts, requirements, values schema),
/// records the spec, an audit entry and a timeline event in one transaction, then enqueues a reconcile; Argo CD,
/// driven by <see cref="Reconciler.AddonReconciler"/>, does the installing.
/// </summary>
public sealed class AddonService(
    IDbContextFactory<PortalDbContext> contexts,
    AddonCatalog catalog,
    IBackgroundJobClient jobs,
    TimeProvider clock,
    ILogger<AddonService> logger)
{
    public const string Resource = "addon-installation";

    public AddonCatalog Catalog => catalog;

    /// <summary>The cluster's installations by add-on id, in pages.</summary>
    public async Task<Page<AddonInstallationView>> ListAsync(PortalActor actor, string teamSlug, string clusterName, AddonQuery query, CancellationToken ct)
    {
        var limit = Cursor.ClampLimit(query.Limit);
        var after = Cursor.Decode(query.Cursor);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var teamId = grant.Team.Id;
        // The cluster, its environment's name and the page in one round trip: this is the hot read of a cluster's page.
        var found = await (from c in db.Clusters.AsNoTracking()
                           join e in db.Environments on c.EnvironmentId equals e.Id
                           where c.TeamId == teamId && c.Name == clusterName
                           select new
                           {
                               Environment = e.Name,
                               Page = db.AddonInstallations.AsNoTracking()
                                   .Where(a => a.ClusterId == c.Id && a.TeamId == teamId && (after == null || string.Compare(a.AddonId, after) > 0))
                                   .OrderBy(a => a.AddonId).Take(limit + 1).ToList(),
                           }).FirstOrDefaultAsync(ct)
                    ?? throw new NotFoundException("Cluster", $"{teamSlug}/{clusterName}");
        return Cursor.ToPage(found.Page.Select(a => new AddonInstallationView(a, teamSlug, clusterName, found.Environment)).ToList(), limit,
            v => v.Installation.AddonId);
    }

    public async Task<AddonInstallationView> GetAsync(PortalActor actor, string teamSlug, string clusterName, string addonId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var (cluster, environment) = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var installation = await FindAsync(db, cluster, teamSlug, addonId, track: false, ct);
        return new AddonInstallationView(installation, teamSlug, cluster.Name, environment);
    }

    /// <summary>
    /// What the catalogue's rules need to know about a cluster (environment, Kubernetes version, installed add-ons,
    /// the team's maturity overrides), for the catalogue API and UI to show which versions are allowed there and why not.
    /// </summary>
    public async Task<ClusterFacts> GetClusterFactsAsync(PortalActor actor, string teamSlug, string clusterName, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var teamId = grant.Team.Id;
        // The cluster, its environment and what it has installed in one round trip, then the team's overrides: every view
        // of the catalogue for a cluster asks for this. (The overrides in the same query need SQL APPLY, which SQLite lacks.)
        var found = await (from c in db.Clusters.AsNoTracking()
                           join e in db.Environments on c.EnvironmentId equals e.Id
                           where c.TeamId == teamId && c.Name == clusterName
                           select new
                           {
                               Cluster = c,
                               Environment = e.Name,
                               Installed = db.AddonInstallations.Where(a => a.ClusterId == c.Id).Select(a => new { a.AddonId, a.CatalogVersion }).ToList(),
                           }).FirstOrDefaultAsync(ct)
                    ?? throw new NotFoundException("Cluster", $"{teamSlug}/{clusterName}");
        return new ClusterFacts(found.Environment, KubernetesVersionOf(found.Cluster),
            found.Installed.ToDictionary(a => a.AddonId, a => a.CatalogVersion, StringComparer.Ordinal),
            await OverridesAsync(db, teamId, ct));
    }

    /// <summary>
    /// Records an installation (phase Pending, generation 1) and enqueues its reconcile. Refuses, naming the reason:
    /// a cluster that is not Ready or Attached, an unknown add-on or version, a version the environment's maturity
    /// policy or the cluster's Kubernetes version does not allow, a conflict, values the schema rejects (400 with each
    /// JSON path under <c>values</c>), and missing required add-ons unless <see cref="AddonInstallRequest.InstallDependencies"/>
    /// confirms they are installed first (then they are recorded in the same transaction).
    /// </summary>
    public async Task<AddonInstallationView> InstallAsync(PortalActor actor, string teamSlug, string clusterName, AddonInstallRequest request, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var (cluster, environment) = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var entry = RequireEntry(request.AddonId, "addonId");
        RequireInstallable(cluster);
        if (await db.AddonInstallations.AnyAsync(a => a.ClusterId == cluster.Id && a.AddonId == entry.Id, ct))
            throw new ConflictException($"{entry.Name} is already installed on cluster '{clusterName}'; change its version or values instead.", "addonId");

        var facts = await FactsAsync(db, cluster, environment, except: null, ct);
        var version = request.Version is null ? DefaultVersion(entry, facts) : RequireVersion(entry, request.Version, "version");
        var overrides = request.Values ?? [];
        RequireValidValues(version, overrides);
        RequireEligible(entry, version, facts, clusterName);

        var plan = AddonDependencies.Plan(catalog, entry, version, facts);
        if (plan.Refusals.Count > 0)
            throw new ConflictException($"{entry.Name} {version.Version} cannot be installed on cluster '{clusterName}': {string.Join(" ", plan.Refusals)}", "version");
        if (plan.InstallFirst.Count > 0 && !request.InstallDependencies)
            throw new ConflictException(
                $"{entry.Name} {version.Version} requires {Describe(plan.InstallFirst)}, not installed on cluster '{clusterName}'. " +
                "Send the request again with installDependencies: true to install them first.", "installDependencies");

        var now = clock.GetUtcNow();
        var created = new List<AddonInstallation>();
        foreach (var step in plan.InstallFirst)
        {
            created.Add(Add(db, actor, grant.Team.Id, teamSlug, cluster, step.Entry, step.Version, [], now,
                $"{actor.Name} installed {step.Entry.Name} {step.Version.Version} as a requirement of {entry.Name}."));
        }
        var installation = Add(db, actor, grant.Team.Id, teamSlug, cluster, entry, version, overrides, now,
            $"{actor.Name} asked to install {entry.Name} {version.Version}{(overrides.Count > 0 ? " with custom values" : "")}.");
        created.Add(installation);
        await db.SaveOrConflictAsync($"Add-on '{entry.Id}' on cluster '{clusterName}'", ct);
        foreach (var row in created) EnqueueReconcile(row.Id);
        return new AddonInstallationView(installation, teamSlug, cluster.Name, environment);
    }

    /// <summary>
    /// Changes the version and/or the values (If-Match honoured) and bumps the generation. The new version is checked
    /// as an install is (maturity, Kubernetes range, conflicts, schema); its requirements must already be installed.
    /// </summary>
    public Task<AddonInstallationView> UpdateAsync(PortalActor actor, string teamSlug, string clusterName, string addonId,
        AddonChanges changes, long? expectedVersion, CancellationToken ct) =>
        SaveChangesExtensions.RetryUnconditionalAsync(expectedVersion,
            () => UpdateOnceAsync(actor, teamSlug, clusterName, addonId, changes, expectedVersion, ct));

    private async Task<AddonInstallationView> UpdateOnceAsync(PortalActor actor, string teamSlug, string clusterName, string addonId,
        AddonChanges changes, long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var (cluster, environment) = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var installation = await FindAsync(db, cluster, teamSlug, addonId, track: true, ct);
        installation.RequireVersion(What(installation, clusterName), expectedVersion);
        if (installation.IsUninstalling)
            throw new ConflictException($"Add-on '{addonId}' is being uninstalled from cluster '{clusterName}' and can no longer be changed.");
        RequireInstallable(cluster);
        var entry = RequireEntry(addonId, "addonId");
        var version = RequireVersion(entry, changes.Version ?? installation.CatalogVersion, "version");
        var overrides = changes.Values ?? installation.Values;
        RequireValidValues(version, overrides);
        var versionChanged = version.Version != installation.CatalogVersion;
        var valuesChanged = !JsonNode.DeepEquals(overrides, installation.Values);
        if (!versionChanged && !valuesChanged) return new AddonInstallationView(installation, teamSlug, cluster.Name, environment);

        var facts = await FactsAsync(db, cluster, environment, except: addonId, ct);
        RequireEligible(entry, version, facts, clusterName);
        var plan = AddonDependencies.Plan(catalog, entry, version, facts);
        if (plan.Refusals.Count > 0 || plan.InstallFirst.Count > 0)
            throw new ConflictException($"{entry.Name} {version.Version} cannot run on cluster '{clusterName}': " +
                                        string.Join(" ", plan.Refusals.Concat(plan.InstallFirst.Count > 0 ? [$"it requires {Describe(plan.InstallFirst)}; install them first."] : [])), "version");

        var now = clock.GetUtcNow();
        var before = Snapshot(installation);
        var previous = installation.CatalogVersion;
        Respec(installation, version.Version, overrides, now);
        AuditLog.Record(db, actor, now, "addon.update", Resource, Target(teamSlug, clusterName, addonId), grant.Team.Id, before, Snapshot(installation));
        EventLog.Record(db, now, installation.TeamId, Resource, installation.Id, "spec-changed", EventOutcome.Info,
            $"{actor.Name} changed the spec (generation {installation.Generation}): " +
            string.Join("; ", new[] { versionChanged ? $"version {previous} → {version.Version}" : null, valuesChanged ? "values" : null }.OfType<string>()) + ".");
        await db.SaveOrConflictAsync(What(installation, clusterName), ct);
        EnqueueReconcile(installation.Id);
        return new AddonInstallationView(installation, teamSlug, cluster.Name, environment);
    }

    /// <summary>
    /// Asks for the uninstall: phase Uninstalling, the reconciler deletes the Application (its finalizer makes Argo CD
    /// remove the workload) and the row once the cluster confirms it is gone. Refused (409, naming them) while other
    /// installed add-ons require this one. Asking again is harmless.
    /// </summary>
    public Task<AddonInstallationView> UninstallAsync(PortalActor actor, string teamSlug, string clusterName, string addonId, long? expectedVersion, CancellationToken ct) =>
        SaveChangesExtensions.RetryUnconditionalAsync(expectedVersion, () => UninstallOnceAsync(actor, teamSlug, clusterName, addonId, expectedVersion, ct));

    private async Task<AddonInstallationView> UninstallOnceAsync(PortalActor actor, string teamSlug, string clusterName, string addonId, long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var (cluster, environment) = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var installation = await FindAsync(db, cluster, teamSlug, addonId, track: true, ct);
        installation.RequireVersion(What(installation, clusterName), expectedVersion);
        if (installation.IsUninstalling) return new AddonInstallationView(installation, teamSlug, cluster.Name, environment);

        var staying = await InstalledAsync(db, cluster.Id, except: addonId, includeUninstalling: false, ct);
        var dependents = AddonDependencies.RequiredBy(catalog, addonId, staying);
        if (dependents.Count > 0)
            throw new ConflictException($"{addonId} cannot be uninstalled from cluster '{clusterName}': {string.Join(", ", dependents)} " +
                                        $"{(dependents.Count == 1 ? "requires" : "require")} it. Uninstall {(dependents.Count == 1 ? "it" : "them")} first.");

        var now = clock.GetUtcNow();
        var before = Snapshot(installation);
        RequestUninstall(installation, now);
        AuditLog.Record(db, actor, now, "addon.uninstall", Resource, Target(teamSlug, clusterName, addonId), grant.Team.Id, before, Snapshot(installation));
        EventLog.Record(db, now, installation.TeamId, Resource, installation.Id, "uninstall-requested", EventOutcome.Info, $"{actor.Name} asked to uninstall {addonId}.");
        await db.SaveOrConflictAsync(What(installation, clusterName), ct);
        EnqueueReconcile(installation.Id);
        return new AddonInstallationView(installation, teamSlug, cluster.Name, environment);
    }

    /// <summary>The installation's timeline, newest first.</summary>
    public async Task<Page<ResourceEvent>> ListEventsAsync(PortalActor actor, string teamSlug, string clusterName, string addonId, AddonQuery query, CancellationToken ct)
    {
        var limit = Cursor.ClampLimit(query.Limit);
        long? before = Cursor.Decode(query.Cursor) is { } key
            ? long.TryParse(key, out var id) ? id : throw new DomainValidationException("cursor", "is not a cursor this API issued.")
            : null;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var (cluster, _) = await FindClusterAsync(db, grant.Team.Id, teamSlug, clusterName, ct);
        var installation = await FindAsync(db, cluster, teamSlug, addonId, track: false, ct);
        var events = db.ResourceEvents.AsNoTracking()
            .Where(e => e.ResourceType == Resource && e.ResourceId == installation.Id && e.TeamId == grant.Team.Id);
        if (before is not null) events = events.Where(e => e.Id < before);
        var rows = await events.OrderByDescending(e => e.Id).Take(limit + 1).ToListAsync(ct);
        return Cursor.ToPage(rows, limit, e => e.Id.ToString());
    }

    // ---- maturity overrides (platform admins) ----

    public async Task<IReadOnlyList<MaturityOverride>> ListMaturityOverridesAsync(PortalActor actor, string teamSlug, CancellationToken ct)
    {
        TeamAccess.RequirePlatformAdmin(actor);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        return await db.MaturityOverrides.AsNoTracking().Where(o => o.TeamId == grant.Team.Id).OrderBy(o => o.AddonId).ToListAsync(ct);
    }

    /// <summary>Lets the team install any version of the add-on in any environment, whatever its maturity. Audited with the reason.</summary>
    public async Task<MaturityOverride> AddMaturityOverrideAsync(PortalActor actor, string teamSlug, string addonId, string reason, CancellationToken ct)
    {
        TeamAccess.RequirePlatformAdmin(actor);
        var errors = new ValidationErrors();
        if (catalog.Find(addonId ?? "") is null) errors.Add("addonId", $"'{addonId}' is not an add-on of the catalogue.");
        if (string.IsNullOrWhiteSpace(reason)) errors.Add("reason", "is required: say why this team may run versions the policy would refuse.");
        else errors.CheckText("reason", reason, MaturityOverride.ReasonMaxLength);
        errors.ThrowIfAny();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        if (await db.MaturityOverrides.AnyAsync(o => o.TeamId == grant.Team.Id && o.AddonId == addonId, ct))
            throw new ConflictException($"Team '{teamSlug}' already has a maturity override for {addonId}.", "addonId");
        var now = clock.GetUtcNow();
        var row = new MaturityOverride
        {
            TeamId = grant.Team.Id, AddonId = addonId!, Reason = reason.Trim(), CreatedByUserId = actor.UserId, CreatedBy = actor.Name, CreatedAt = now,
        };
        db.MaturityOverrides.Add(row);
        AuditLog.Record(db, actor, now, "addon.maturity-override.create", "maturity-override", $"{teamSlug}/{addonId}", grant.Team.Id, null,
            new { addonId, reason = row.Reason });
        await db.SaveOrConflictAsync($"Maturity override for {addonId}", ct);
        return row;
    }

    public async Task RemoveMaturityOverrideAsync(PortalActor actor, string teamSlug, string addonId, CancellationToken ct)
    {
        TeamAccess.RequirePlatformAdmin(actor);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var row = await db.MaturityOverrides.FirstOrDefaultAsync(o => o.TeamId == grant.Team.Id && o.AddonId == addonId, ct)
                  ?? throw new NotFoundException("Maturity override", $"{teamSlug}/{addonId}");
        db.MaturityOverrides.Remove(row);
        AuditLog.Record(db, actor, clock.GetUtcNow(), "addon.maturity-override.delete", "maturity-override", $"{teamSlug}/{addonId}", grant.Team.Id,
            new { addonId, reason = row.Reason }, null);
        await db.SaveChangesAsync(ct);
    }

    // ---- promotion ----

    /// <summary>
    /// Compares the add-ons of <paramref name="sourceCluster"/> with those of <paramref name="targetCluster"/> (same
    /// team) and, unless <paramref name="dryRun"/>, makes the target match in one transaction. Applying is refused
    /// (409 with every reason) unless every source installation is Healthy and every source version's maturity allows
    /// the target's environment (the team's overrides considered). A dry run returns the diff and the reasons.
    /// </summary>
    public async Task<AddonPromotion> PromoteAsync(PortalActor actor, string teamSlug, string targetCluster, string sourceCluster, bool dryRun, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        // Tenancy first: another team's caller learns nothing, not even that the request was malformed.
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, dryRun ? TeamPermission.Read : TeamPermission.Write, ct);
        if (string.IsNullOrEmpty(sourceCluster)) throw new DomainValidationException("from", "is required: the cluster to promote from.");
        if (sourceCluster == targetCluster) throw new DomainValidationException("from", "must be another cluster than the target.");
        var (source, sourceEnvironment) = await FindClusterAsync(db, grant.Team.Id, teamSlug, sourceCluster, ct);
        var (target, targetEnvironment) = await FindClusterAsync(db, grant.Team.Id, teamSlug, targetCluster, ct);
        var sourceRows = await db.AddonInstallations.AsNoTracking().Where(a => a.ClusterId == source.Id && a.UninstallRequestedAt == null).ToListAsync(ct);
        var targetRows = await db.AddonInstallations.Where(a => a.ClusterId == target.Id).ToListAsync(ct);
        var overrides = await OverridesAsync(db, grant.Team.Id, ct);

        var changes = AddonPromotion.Diff(sourceRows, targetRows.Where(a => !a.IsUninstalling).ToList());
        var blockers = new List<string>();
        if (target.Phase is not (ClusterPhase.Ready or ClusterPhase.Attached) || target.DeletionRequestedAt is not null)
            blockers.Add($"Cluster '{targetCluster}' is {target.Phase.ToString().ToLowerInvariant()}, not ready for add-ons.");
        foreach (var row in sourceRows.OrderBy(a => a.AddonId, StringComparer.Ordinal))
        {
            if (row.Phase != AddonPhase.Healthy || row.ObservedGeneration < row.Generation)
                blockers.Add($"{row.AddonId} on '{sourceCluster}' is {row.Phase.ToString().ToLowerInvariant()}{(row.Message is { Length: > 0 } m ? $" ({m})" : "")}; only Healthy add-ons are promoted.");
            var version = catalog.Find(row.AddonId)?.FindVersion(row.CatalogVersion);
            if (version is null)
                blockers.Add($"{row.AddonId} {row.CatalogVersion} is no longer in the catalogue.");
            else if (!overrides.Contains(row.AddonId) && MaturityPolicy.Refusal(version.Maturity, targetEnvironment) is { } refusal)
                blockers.Add($"{row.AddonId} {row.CatalogVersion}: {refusal}");
        }
        var promotion = new AddonPromotion(sourceCluster, sourceEnvironment, targetCluster, targetEnvironment, changes, blockers, Applied: false);
        if (dryRun || changes.Count == 0) return promotion;
        if (blockers.Count > 0)
            throw new ConflictException($"Cannot promote '{sourceCluster}' to '{targetCluster}': {string.Join(" ", blockers)}");

        var now = clock.GetUtcNow();
        var touched = new List<AddonInstallation>();
        foreach (var change in changes)
        {
            var wanted = sourceRows.FirstOrDefault(a => a.AddonId == change.AddonId);
            var existing = targetRows.FirstOrDefault(a => a.AddonId == change.AddonId);
            switch (change.Kind)
            {
                case PromotionChangeKind.Added when existing is not null:
                    // Still being uninstalled from an earlier change: that must finish before it can come back.
                    throw new ConflictException($"{change.AddonId} is still being uninstalled from '{targetCluster}'; promote again once it is gone.");
                case PromotionChangeKind.Added:
                    var entry = catalog.Find(change.AddonId)!;
                    touched.Add(Add(db, actor, grant.Team.Id, teamSlug, target, entry, entry.FindVersion(wanted!.CatalogVersion)!, wanted.Values, now,
                        $"{actor.Name} promoted {change.AddonId} {wanted.CatalogVersion} from '{sourceCluster}'."));
                    break;
                case PromotionChangeKind.Upgraded or PromotionChangeKind.ValuesChanged:
                    Respec(existing!, wanted!.CatalogVersion, wanted.Values, now);
                    EventLog.Record(db, now, existing!.TeamId, Resource, existing.Id, "promoted", EventOutcome.Info,
                        $"{actor.Name} promoted the spec from '{sourceCluster}': {change.Describe()}.");
                    touched.Add(existing);
                    break;
                case PromotionChangeKind.Removed:
                    RequestUninstall(existing!, now);
                    EventLog.Record(db, now, existing!.TeamId, Resource, existing.Id, "uninstall-requested", EventOutcome.Info,
                        $"{actor.Name} promoted '{sourceCluster}', which does not have {change.AddonId}: uninstalling.");
                    touched.Add(existing);
                    break;
            }
        }
        AuditLog.Record(db, actor, now, "addon.promote", "cluster", $"{teamSlug}/{targetCluster}", grant.Team.Id,
            new { cluster = targetCluster, addons = targetRows.Where(a => !a.IsUninstalling).OrderBy(a => a.AddonId).Select(a => $"{a.AddonId} {a.CatalogVersion}").ToList() },
            new { from = sourceCluster, changes = changes.Select(c => c.Describe()).ToList() });
        await db.SaveOrConflictAsync($"Add-ons of cluster '{targetCluster}'", ct);
        foreach (var row in touched) EnqueueReconcile(row.Id);
        return promotion with { Applied = true };
    }

    // ---- helpers ----

    private AddonInstallation Add(PortalDbContext db, PortalActor actor, Guid teamId, string teamSlug, Cluster cluster,
        AddonEntry entry, AddonVersion version, JsonObject overrides, DateTimeOffset now, string message)
    {
        var installation = new AddonInstallation
        {
            TeamId = teamId,
            ClusterId = cluster.Id,
            AddonId = entry.Id,
            CatalogVersion = version.Version,
            ValuesJson = overrides.ToJsonString(),
            Generation = 1,
            Phase = AddonPhase.Pending,
            Message = "Waiting for a worker to install it through Argo CD.",
            NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds(),
            CreatedByUserId = actor.UserId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.AddonInstallations.Add(installation);
        AuditLog.Record(db, actor, now, "addon.install", Resource, Target(teamSlug, cluster.Name, entry.Id), teamId, null, Snapshot(installation));
        EventLog.Record(db, now, teamId, Resource, installation.Id, "requested", EventOutcome.Info, message);
        return installation;
    }

    private static void Respec(AddonInstallation installation, string version, JsonObject overrides, DateTimeOffset now)
    {
        installation.CatalogVersion = version;
        installation.Values = overrides;
        installation.Generation++;
        installation.UpdatedAt = now;
        installation.NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds();
        installation.Attempt = 0;
        if (installation.Phase == AddonPhase.Failed) installation.Phase = AddonPhase.Pending;
    }

    /// <summary>Also used by the cluster reconciler when a cluster is deleted: its add-ons go first.</summary>
    internal static void RequestUninstall(AddonInstallation installation, DateTimeOffset now)
    {
        installation.UninstallRequestedAt = now;
        installation.Phase = AddonPhase.Uninstalling;
        installation.Message = "Uninstall requested: waiting for a worker to remove the Argo CD Application.";
        installation.Generation++;
        installation.UpdatedAt = now;
        installation.NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds();
        installation.Attempt = 0;
    }

    private AddonEntry RequireEntry(string? addonId, string field) =>
        catalog.Find(addonId ?? "") ?? throw new DomainValidationException(field, $"'{addonId}' is not an add-on of the catalogue.");

    private static AddonVersion RequireVersion(AddonEntry entry, string version, string field) =>
        entry.FindVersion(version) ?? throw new DomainValidationException(field,
            $"{entry.Name} has no version '{version}'; the catalogue has {string.Join(", ", entry.Versions.Select(v => v.Version))}.");

    /// <summary>The newest version the environment's maturity policy (or an override) allows, else the newest: its refusal then names the reason.</summary>
    private static AddonVersion DefaultVersion(AddonEntry entry, ClusterFacts facts) =>
        entry.Versions.FirstOrDefault(v => facts.OverriddenAddonIds.Contains(entry.Id) || MaturityPolicy.Allows(v.Maturity, facts.Environment))
        ?? entry.Versions[0];

    private static void RequireValidValues(AddonVersion version, JsonObject overrides)
    {
        var problems = AddonValues.Validate(version, overrides);
        if (problems.Count == 0) return;
        var errors = new ValidationErrors();
        foreach (var problem in problems) errors.Add(ValuesField(problem.Path), problem.Message);
        errors.ThrowIfAny();
    }

    /// <summary>"$.tracking.replicas" → "values.tracking.replicas": the field as the request names it.</summary>
    public static string ValuesField(string jsonPath) =>
        jsonPath is "$" or "" ? "values" : "values" + (jsonPath.StartsWith('$') ? jsonPath[1..] : "." + jsonPath);

    private void RequireEligible(AddonEntry entry, AddonVersion version, ClusterFacts facts, string clusterName)
    {
        var eligibility = AddonEligibility.Check(catalog, entry, version, facts);
        if (!eligibility.Allowed)
            throw new ConflictException($"{entry.Name} {version.Version} cannot go on cluster '{clusterName}': {string.Join(" ", eligibility.Reasons)}", "version");
    }

    private static void RequireInstallable(Cluster cluster)
    {
        if (cluster.DeletionRequestedAt is not null)
            throw new ConflictException($"Cluster '{cluster.Name}' is being deleted; add-ons can no longer be installed or changed there.");
        if (cluster.Phase is not (ClusterPhase.Ready or ClusterPhase.Attached))
            throw new ConflictException($"Cluster '{cluster.Name}' is {cluster.Phase.ToString().ToLowerInvariant()}; add-ons can be installed once it is ready.");
    }

    private async Task<ClusterFacts> FactsAsync(PortalDbContext db, Cluster cluster, EnvironmentName environment, string? except, CancellationToken ct)
    {
        var kubernetes = KubernetesVersionOf(cluster);
        var installed = await InstalledAsync(db, cluster.Id, except, includeUninstalling: true, ct);
        return new ClusterFacts(environment, kubernetes, installed, await OverridesAsync(db, cluster.TeamId, ct));
    }

    private static KubernetesVersion KubernetesVersionOf(Cluster cluster)
    {
        if (!KubernetesVersion.TryParse(cluster.CurrentVersion ?? cluster.KubernetesVersion, out var kubernetes)
            && !KubernetesVersion.TryParse(cluster.KubernetesVersion, out kubernetes))
            throw new ConflictException($"The Kubernetes version of cluster '{cluster.Name}' is not known, so add-on requirements cannot be checked; " +
                                        "attach the cluster with its kubernetesVersion.");
        return kubernetes;
    }

    private static async Task<IReadOnlyDictionary<string, string>> InstalledAsync(PortalDbContext db, Guid clusterId, string? except, bool includeUninstalling, CancellationToken ct)
    {
        var rows = db.AddonInstallations.AsNoTracking().Where(a => a.ClusterId == clusterId);
        if (!includeUninstalling) rows = rows.Where(a => a.UninstallRequestedAt == null);
        var list = await rows.Select(a => new { a.AddonId, a.CatalogVersion }).ToListAsync(ct);
        return list.Where(a => a.AddonId != except).ToDictionary(a => a.AddonId, a => a.CatalogVersion, StringComparer.Ordinal);
    }

    private static async Task<IReadOnlySet<string>> OverridesAsync(PortalDbContext db, Guid teamId, CancellationToken ct) =>
        (await db.MaturityOverrides.AsNoTracking().Where(o => o.TeamId == teamId).Select(o => o.AddonId).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);

    private static async Task<(Cluster Cluster, EnvironmentName Environment)> FindClusterAsync(PortalDbContext db, Guid teamId, string teamSlug, string name, CancellationToken ct)
    {
        // The cluster and its environment's name in one round trip.
        var found = await (from c in db.Clusters.AsNoTracking()
                           join e in db.Environments on c.EnvironmentId equals e.Id
                           where c.TeamId == teamId && c.Name == name
                           select new { Cluster = c, Environment = e.Name }).FirstOrDefaultAsync(ct)
                    ?? throw new NotFoundException("Cluster", $"{teamSlug}/{name}");
        return (found.Cluster, found.Environment);
    }

    private static async Task<AddonInstallation> FindAsync(PortalDbContext db, Cluster cluster, string teamSlug, string addonId, bool track, CancellationToken ct)
    {
        var query = track ? db.AddonInstallations : db.AddonInstallations.AsNoTracking();
        return await query.FirstOrDefaultAsync(a => a.ClusterId == cluster.Id && a.TeamId == cluster.TeamId && a.AddonId == addonId, ct)
               ?? throw new NotFoundException("Add-on", Target(teamSlug, cluster.Name, addonId));
    }

    private void EnqueueReconcile(Guid id)
    {
        try
        {
            jobs.Enqueue<ReconcileAddonJob>(j => j.RunAsync(id, CancellationToken.None));
        }
        catch (Exception e)
        {
            // The spec is committed; the resync finds it within one interval.
            logger.LogWarning(e, "Could not enqueue the reconcile of add-on installation {Id}; the resync job will pick it up", id);
        }
    }

    private static string Describe(IEnumerable<AddonPlanStep> steps) =>
        string.Join(", ", steps.Select(s => $"{s.Entry.Name} ({s.Entry.Id} {s.Version.Version})"));

    private static string What(AddonInstallation installation, string clusterName) => $"Add-on '{installation.AddonId}' on cluster '{clusterName}'";

    private static string Target(string teamSlug, string cluster, string addonId) => $"{teamSlug}/{cluster}/{addonId}";

    /// <summary>The spec as the audit log records it.</summary>
    internal static object Snapshot(AddonInstallation a) => new
    {
        addonId = a.AddonId,
        version = a.CatalogVersion,
        values = JsonSerializer.Deserialize<JsonElement>(a.ValuesJson),
        uninstallRequested = a.IsUninstalling,
    };
}

/// <summary>What the cluster reconciler's delete path does to the add-ons of a cluster being deleted.</summary>
public static class ClusterAddons
{
    /// <summary>
    /// Requests the uninstall of every add-on of the cluster not already leaving (phase Uninstalling, with an event),
    /// saves, and returns the ids of those newly requested (to enqueue) and of all still present.
    /// </summary>
    public static async Task<(IReadOnlyList<Guid> Requested, IReadOnlyList<string> Remaining)> UninstallAllAsync(
        PortalDbContext db, Guid clusterId, DateTimeOffset now, CancellationToken ct)
    {
        var rows = await db.AddonInstallations.Where(a => a.ClusterId == clusterId).ToListAsync(ct);
        var requested = new List<Guid>();
        foreach (var row in rows.Where(r => !r.IsUninstalling))
        {
            AddonService.RequestUninstall(row, now);
            EventLog.Record(db, now, row.TeamId, AddonService.Resource, row.Id, "uninstall-requested", EventOutcome.Info,
                "The cluster is being deleted: uninstalling the add-on first.");
            requested.Add(row.Id);
        }
        if (requested.Count > 0) await db.SaveChangesAsync(ct);
        return (requested, [.. rows.Select(r => r.AddonId).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Forgets the add-ons of a cluster AWS confirms is gone: nothing of theirs can be left to remove.</summary>
    public static async Task<int> ForgetAllAsync(PortalDbContext db, Guid clusterId, CancellationToken ct) =>
        await db.AddonInstallations.Where(a => a.ClusterId == clusterId).ExecuteDeleteAsync(ct);
}
