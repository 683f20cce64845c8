using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Environments;
using Portal.Testing;

namespace Portal.Core.Tests.Addons;

/// <summary>The service's rules (maturity and overrides, conflicts, requirements, promotion), on cluster rows marked Ready.</summary>
public sealed class AddonRulesTests(PostgresDatabaseFixture database, AddonCloud cloud)
    : AddonTests(database, cloud), IClassFixture<PostgresDatabaseFixture>, IClassFixture<AddonCloud>
{
    [Fact]
    public async Task AlphaOnStaging_IsRefusedWithTheReason_AndAnAdminOverrideAllowsIt_Audited()
    {
        var (owner, team) = await TeamAsync(EnvironmentName.Staging);
        var staging = await ReadyRowAsync(team, EnvironmentName.Staging, "stage");

        var refused = await Assert.ThrowsAsync<ConflictException>(() =>
            Addons.InstallAsync(owner, team.Slug, staging.Name, new AddonInstallRequest("tracker", "2.0.0"), Ct));
        Assert.Equal("version", refused.Field);
        Assert.Contains("alpha", refused.Message, StringComparison.OrdinalIgnoreCase);

        var (_, admin) = await SignInAdminAsync();
        await Assert.ThrowsAsync<ForbiddenException>(() => Addons.AddMaturityOverrideAsync(owner, team.Slug, "tracker", "we test it", Ct));
        await Assert.ThrowsAsync<DomainValidationException>(() => Addons.AddMaturityOverrideAsync(admin, team.Slug, "tracker", " ", Ct));
        var lastAudit = await LastAuditIdAsync();
        await Addons.AddMaturityOverrideAsync(admin, team.Slug, "tracker", "Load test of the 2.0 tracking server before its beta.", Ct);

        var audit = Assert.Single(await AuditEntriesAfterAsync(lastAudit));
        Assert.Equal("addon.maturity-override.create", audit.Action);
        Assert.Contains("Load test", audit.AfterJson);
        var installed = await Addons.InstallAsync(owner, team.Slug, staging.Name, new AddonInstallRequest("tracker", "2.0.0"), Ct);
        Assert.Equal("2.0.0", installed.Installation.CatalogVersion);
        Assert.Equal(["tracker"], (await Addons.ListMaturityOverridesAsync(admin, team.Slug, Ct)).Select(o => o.AddonId));
    }

    [Fact]
    public async Task WithoutAVersion_TheNewestTheEnvironmentAllowsIsPicked()
    {
        var (owner, team) = await TeamAsync(EnvironmentName.Staging);
        var staging = await ReadyRowAsync(team, EnvironmentName.Staging, "stage");

        var view = await Addons.InstallAsync(owner, team.Slug, staging.Name, new AddonInstallRequest("tracker"), Ct);

        Assert.Equal("1.0.0", view.Installation.CatalogVersion);
    }

    [Fact]
    public async Task Conflicts_AreRefusedWithTheReason()
    {
        var (owner, team) = await TeamAsync();
        var dev = await ReadyRowAsync(team, EnvironmentName.Dev, "main");
        await Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("metrics-a"), Ct);

        var refused = await Assert.ThrowsAsync<ConflictException>(() => Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("metrics-b"), Ct));

        Assert.Contains("metrics-a", refused.Message);
        await using var db = Database.CreateContext();
        Assert.False(await db.AddonInstallations.AnyAsync(a => a.ClusterId == dev.Id && a.AddonId == "metrics-b", Ct));
    }

    [Fact]
    public async Task InstallRefusals_NameTheProblem()
    {
        var (owner, team) = await TeamAsync();
        var dev = await ReadyRowAsync(team, EnvironmentName.Dev, "main");
        var (_, viewer) = await AddMemberAsync(owner, team, Portal.Core.Teams.TeamRole.Viewer, "viewer");
        var (_, stranger) = await SignInAsync("stranger");

        Assert.Contains("addonId", (await Assert.ThrowsAsync<DomainValidationException>(() =>
            Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("nope"), Ct))).Errors.Keys);
        Assert.Contains("version", (await Assert.ThrowsAsync<DomainValidationException>(() =>
            Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("tracker", "7.7.7"), Ct))).Errors.Keys);
        await Assert.ThrowsAsync<ForbiddenException>(() => Addons.InstallAsync(viewer, team.Slug, dev.Name, new AddonInstallRequest("tracker"), Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Addons.InstallAsync(stranger, team.Slug, dev.Name, new AddonInstallRequest("tracker"), Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Addons.InstallAsync(owner, team.Slug, "nowhere", new AddonInstallRequest("tracker"), Ct));
        await Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("tracker"), Ct);
        Assert.Equal("addonId", (await Assert.ThrowsAsync<ConflictException>(() =>
            Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("tracker"), Ct))).Field);

        await using (var db = Database.CreateContext())
            await db.Clusters.Where(c => c.Id == dev.Id).ExecuteUpdateAsync(u => u.SetProperty(c => c.Phase, ClusterPhase.Provisioning), Ct);
        Assert.Contains("ready", (await Assert.ThrowsAsync<ConflictException>(() =>
            Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("pipelines"), Ct))).Message);
    }

    [Fact]
    public async Task PromotionPreview_IsExact_AndApplyIsRefusedWhileASourceAddonIsDegraded()
    {
        var (owner, team) = await TeamAsync(EnvironmentName.Dev, EnvironmentName.Staging);
        var dev = await ReadyRowAsync(team, EnvironmentName.Dev, "dev");
        var staging = await ReadyRowAsync(team, EnvironmentName.Staging, "stage");
        await Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("tracker", "1.0.0", JsonObject("""{"tracking":{"replicas":3},"ingress":{"enabled":true}}""")), Ct);
        await Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("base"), Ct);
        await Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("pipelines"), Ct);
        await Addons.InstallAsync(owner, team.Slug, staging.Name, new AddonInstallRequest("tracker", "0.9.0", JsonObject("""{"tracking":{"replicas":1}}""")), Ct);
        await Addons.InstallAsync(owner, team.Slug, staging.Name, new AddonInstallRequest("metrics-a"), Ct);
        await SetPhaseAsync(dev, AddonPhase.Healthy);
        await SetPhaseAsync(dev, AddonPhase.Degraded, "base", "Back-off pulling image");

        var preview = await Addons.PromoteAsync(owner, team.Slug, staging.Name, dev.Name, dryRun: true, Ct);

        Assert.Equal(
        [
            "base Added -> 1.0.0 []",
            "metrics-a Removed 1.0.0 -> []",
            "pipelines Added -> 2.16.0 []",
            "tracker Upgraded 0.9.0 -> 1.0.0 [$.ingress.enabled, $.tracking.replicas]",
        ], preview.Changes.Select(c => $"{c.AddonId} {c.Kind} {c.FromVersion} -> {c.ToVersion} [{string.Join(", ", c.ChangedValuePaths)}]".Replace("  ", " ")));
        Assert.False(preview.Applied);
        Assert.Contains(preview.Blockers, b => b.Contains("base") && b.Contains("degraded") && b.Contains("Back-off pulling image"));

        var refused = await Assert.ThrowsAsync<ConflictException>(() => Addons.PromoteAsync(owner, team.Slug, staging.Name, dev.Name, dryRun: false, Ct));
        Assert.Contains("base", refused.Message);
        await using (var db = Database.CreateContext())
            Assert.Equal(["metrics-a", "tracker"], await db.AddonInstallations.Where(a => a.ClusterId == staging.Id).OrderBy(a => a.AddonId).Select(a => a.AddonId).ToListAsync(Ct));

        await SetPhaseAsync(dev, AddonPhase.Healthy);
        var applied = await Addons.PromoteAsync(owner, team.Slug, staging.Name, dev.Name, dryRun: false, Ct);

        Assert.True(applied.Applied);
        await using (var db = Database.CreateContext())
        {
            var rows = await db.AddonInstallations.AsNoTracking().Where(a => a.ClusterId == staging.Id).OrderBy(a => a.AddonId).ToListAsync(Ct);
            Assert.Equal(["base", "metrics-a", "pipelines", "tracker"], rows.Select(r => r.AddonId));
            Assert.Equal(AddonPhase.Uninstalling, rows.Single(r => r.AddonId == "metrics-a").Phase);
            var tracker = rows.Single(r => r.AddonId == "tracker");
            Assert.Equal(("1.0.0", 2L, 3), (tracker.CatalogVersion, tracker.Generation, (int)tracker.Values["tracking"]!["replicas"]!));
        }
        var again = await Addons.PromoteAsync(owner, team.Slug, staging.Name, dev.Name, dryRun: true, Ct);
        Assert.Empty(again.Changes);
    }

    [Fact]
    public async Task Promotion_IsRefusedWhenTheTargetEnvironmentDoesNotAllowASourceVersion()
    {
        var (owner, team) = await TeamAsync(EnvironmentName.Dev, EnvironmentName.Prod);
        var dev = await ReadyRowAsync(team, EnvironmentName.Dev, "dev");
        var prod = await ReadyRowAsync(team, EnvironmentName.Prod, "prod");
        await Addons.InstallAsync(owner, team.Slug, dev.Name, new AddonInstallRequest("tracker", "2.0.0"), Ct);
        await SetPhaseAsync(dev, AddonPhase.Healthy);

        var preview = await Addons.PromoteAsync(owner, team.Slug, prod.Name, dev.Name, dryRun: true, Ct);

        Assert.Contains(preview.Blockers, b => b.Contains("tracker 2.0.0"));
        await Assert.ThrowsAsync<ConflictException>(() => Addons.PromoteAsync(owner, team.Slug, prod.Name, dev.Name, dryRun: false, Ct));
    }

    private async Task SetPhaseAsync(Cluster cluster, AddonPhase phase, string? addonId = null, string? message = null)
    {
        await using var db = Database.CreateContext();
        await db.AddonInstallations.Where(a => a.ClusterId == cluster.Id && (addonId == null || a.AddonId == addonId))
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Phase, phase).SetProperty(a => a.Message, message)
                .SetProperty(a => a.ObservedGeneration, a => a.Generation), Ct);
    }
}
