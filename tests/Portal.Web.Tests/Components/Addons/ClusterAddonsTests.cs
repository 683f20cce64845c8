using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Addons.Catalog;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Web.Components.Pages.Catalog;
using Portal.Web.Components.Shared.Addons;
using Portal.Web.Tests.Components.Catalog;
using Portal.Web.Tests.Components.Clusters;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;

namespace Portal.Web.Tests.Components.Addons;

/// <summary>
/// The add-on screens wired to the real AddonService over SQLite (Hangfire's client recorded): install from the
/// details page, the cluster's installed add-ons with their actions, the promotion preview, maturity overrides.
/// </summary>
public sealed class ClusterAddonsTests : ClusterUiTest
{
    /// <summary>Requires MLflow: for dependencies offered first and for uninstalls refused while required.</summary>
    private static readonly AddonEntry Dashboard = new("dashboard", "Model dashboard", AddonCategory.MlLifecycle,
        "Charts of the registry's models.", new Uri("https://dashboard.example.test/"), "Dashboard",
        [TestCatalog.Version("0.3.0", Maturity.Stable, requires: [new AddonRequirement("mlflow", ">=1.10.0")])]);

    /// <summary>Brings an external-metrics adapter too, like Datadog's cluster agent: it cannot share a cluster with KEDA.</summary>
    private static readonly AddonEntry Datadog = new("datadog", "Datadog agent", AddonCategory.Monitoring,
        "Metrics and logs to Datadog.", new Uri("https://docs.datadoghq.com/"), "Pets",
        [TestCatalog.Version("3.150.0", Maturity.Stable, provides: ["external-metrics-adapter"])]);

    private static readonly AddonCatalog Catalog =
        new([TestCatalog.Spark, TestCatalog.Mlflow, TestCatalog.Luigi, TestCatalog.Keda, Dashboard, Datadog]);

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton(Catalog);

    private AddonService Addons => Service<AddonService>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Service<EnvironmentService>().RegisterAsync(Owner, TeamSlug,
            new NewEnvironment(EnvironmentName.Staging, "210987654321", "eu-west-1", "arn:aws:iam::210987654321:role/unicron-provisioner", null),
            CancellationToken.None);
        await RequestClusterAsync("play", "1.33");
        await Clusters.RequestClusterAsync(Owner, TeamSlug, new NewCluster("pre", EnvironmentName.Staging, [Pool("general")], "1.33"), CancellationToken.None);
        await MarkReadyAsync("play");
        await MarkReadyAsync("pre");
    }

    private IRenderedComponent<ClusterAddonList> OpenCluster(string cluster, bool canWrite = true) => RenderPage<ClusterAddonList>(p =>
    {
        p.Add(x => x.Team, TeamSlug);
        p.Add(x => x.Cluster, cluster);
        p.Add(x => x.CanWrite, canWrite);
        p.Add(x => x.PollInterval, TimeSpan.FromMilliseconds(50));
    });

    private Task<AddonInstallationView> InstallAsync(string cluster, string addonId, string? version = null, string? values = null, bool dependencies = false) =>
        Addons.InstallAsync(Owner, TeamSlug, cluster,
            new AddonInstallRequest(addonId, version, values is null ? null : (JsonObject)JsonNode.Parse(values)!, dependencies), CancellationToken.None);

    /// <summary>What the add-on reconciler writes when Argo CD reports on the Application.</summary>
    private async Task WriteAddonStatusAsync(string cluster, string addonId, AddonPhase phase, string message)
    {
        await using var db = await Service<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var clusterId = await db.Clusters.Where(c => c.Name == cluster).Select(c => c.Id).SingleAsync();
        var row = await db.AddonInstallations.SingleAsync(a => a.ClusterId == clusterId && a.AddonId == addonId);
        row.Phase = phase;
        row.Message = message;
        row.ObservedGeneration = row.Generation;
        await db.SaveChangesAsync();
    }

    private async Task<IReadOnlyList<AddonInstallation>> InstalledAsync(string cluster) =>
        [.. (await Addons.ListAsync(Owner, TeamSlug, cluster, new AddonQuery(), CancellationToken.None)).Items.Select(v => v.Installation)];

    // ---- install, from the details page ----

    [Fact]
    public async Task InstallingFromTheDetailsPage_RecordsTheInstallation_AndGoesToTheClustersAddOns()
    {
        SignIn(Owner);
        var page = RenderPage<AddonPage>(p => p.Add(x => x.Id, "mlflow"));
        page.WaitForElement("[data-testid=addon-install-button]").Click();
        Dialogs.WaitForElement("[data-testid=install-dialog]");
        await Dialogs.Find("[data-testid=schema-field][data-path='$.replicas'] input").ChangeAsync(new ChangeEventArgs { Value = "3" });
        await Dialogs.Find("[data-testid=install-confirm]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.EndsWith($"/teams/{TeamSlug}/clusters/play#addons", Services.GetRequiredService<NavigationManager>().Uri));
        var installation = Assert.Single(await InstalledAsync("play"));
        Assert.Equal(("mlflow", "1.11.5", AddonPhase.Pending), (installation.AddonId, installation.CatalogVersion, installation.Phase));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"replicas":3}"""), installation.Values), installation.ValuesJson);
        Assert.Contains(Jobs.Jobs, j => j.Args.Contains(installation.Id));
    }

    [Fact]
    public async Task ConfirmedDependencies_AreInstalledFirst_InTheSameRequest()
    {
        SignIn(Owner);
        var page = RenderPage<AddonPage>(p => p.Add(x => x.Id, "dashboard"));
        page.WaitForElement("[data-testid=addon-install-button]").Click();
        Dialogs.WaitForElement("[data-testid=install-dependencies]");
        Assert.True(Dialogs.Find("[data-testid=install-confirm]").HasAttribute("disabled"));
        await Dialogs.Find("[data-testid=install-dependencies] input[type=checkbox]").ChangeAsync(new ChangeEventArgs { Value = true });
        await Dialogs.Find("[data-testid=install-confirm]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.EndsWith("#addons", Services.GetRequiredService<NavigationManager>().Uri));
        Assert.Equal(["dashboard", "mlflow"], (await InstalledAsync("play")).Select(i => i.AddonId));
    }

    [Fact]
    public async Task WhatIsInstalled_DecidesEligibility_AConflictIsShownWithItsReason()
    {
        await InstallAsync("play", "keda");
        SignIn(Owner);
        var page = RenderPage<AddonPage>(p => p.Add(x => x.Id, "datadog"));

        var cell = page.WaitForElement($"[data-testid=addon-eligibility-row][data-cluster='{TeamSlug}/play'] [data-testid=addon-eligibility-cell]");
        Assert.Equal("false", cell.GetAttribute("data-allowed"));
        Assert.Contains("both provide the external-metrics-adapter", cell.TextContent);
        Assert.Equal("true", page.Find($"[data-testid=addon-eligibility-row][data-cluster='{TeamSlug}/pre'] [data-testid=addon-eligibility-cell]").GetAttribute("data-allowed"));
    }

    [Fact]
    public async Task ARefusalOfTheService_IsShownInPlainWords_AndTheDialogStays()
    {
        SignIn(Owner);
        var page = RenderPage<AddonPage>(p => p.Add(x => x.Id, "keda"));
        page.WaitForElement("[data-testid=addon-install-button]").Click();
        Dialogs.WaitForElement("[data-testid=install-dialog]");
        // Installed meanwhile (by someone else): the service refuses, the dialog says so.
        await InstallAsync("play", "keda");
        Dialogs.Find("[data-testid=install-confirm]").Click();

        Dialogs.WaitForAssertion(() => Assert.Contains("KEDA is already installed on cluster 'play'", Dialogs.Find("[data-testid=install-error]").TextContent));
        Assert.NotEmpty(Dialogs.FindAll("[data-testid=install-dialog]"));
    }

    // ---- installed add-ons on a cluster ----

    [Fact]
    public async Task TheClustersAddOns_ShowVersionMaturityPhase_AndArgosMessage_UpdatingBySelves()
    {
        await InstallAsync("play", "mlflow", "1.11.5");
        SignIn(Viewer);
        var section = OpenCluster("play", canWrite: false);

        var row = section.WaitForElement("[data-testid=cluster-addon-row][data-addon=mlflow]");
        Assert.Equal("Pending", row.GetAttribute("data-phase"));
        Assert.Contains("1.11.5 beta", row.QuerySelector("[data-testid=cluster-addon-version]")!.TextContent);
        Assert.Empty(section.FindAll("[data-testid=cluster-addon-upgrade]"));
        Assert.Empty(section.FindAll("[data-testid=cluster-addons-promote]"));

        await WriteAddonStatusAsync("play", "mlflow", AddonPhase.Degraded, "Unable to resolve 'chart': chart not found in https://charts.example.test");
        section.WaitForAssertion(() =>
            Assert.Equal("Degraded", section.Find("[data-testid=cluster-addon-row][data-addon=mlflow]").GetAttribute("data-phase")), TimeSpan.FromSeconds(5));
        Assert.Contains("chart not found", section.Find("[data-testid=cluster-addon-message]").TextContent);
    }

    [Fact]
    public async Task Events_OfAnAddOn_AreShownNewestFirst()
    {
        await InstallAsync("play", "mlflow");
        SignIn(Owner);
        var section = OpenCluster("play");
        await section.WaitForElement("[data-testid=cluster-addon-events-button]").ClickAsync(new MouseEventArgs());

        var events = section.WaitForElement("[data-testid=cluster-addon-events][data-addon=mlflow]");
        Assert.Contains("asked to install MLflow 1.11.5", events.TextContent);
    }

    [Fact]
    public async Task Changing_AnAddOnsValues_SendsThemWithTheVersionItStartedFrom()
    {
        await InstallAsync("play", "mlflow", "1.11.5", """{"replicas":2}""");
        SignIn(Owner);
        var section = OpenCluster("play");
        section.WaitForElement("[data-testid=cluster-addon-upgrade]").Click();

        Dialogs.WaitForElement("[data-testid=upgrade-addon-dialog]");
        // Prefilled with the installation's own values.
        Assert.Equal("2", Dialogs.Find("[data-testid=schema-field][data-path='$.replicas'] input").GetAttribute("value"));
        await Dialogs.Find("[data-testid=schema-field][data-path='$.replicas'] input").ChangeAsync(new ChangeEventArgs { Value = "4" });
        Dialogs.Find("[data-testid=upgrade-addon-save]").Click();

        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=upgrade-addon-dialog]")));
        var installation = Assert.Single(await InstalledAsync("play"));
        Assert.Equal(2, installation.Generation);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"replicas":4}"""), installation.Values), installation.ValuesJson);
    }

    [Fact]
    public async Task AChangeMadeMeanwhile_IsReported_NotOverwritten()
    {
        await InstallAsync("play", "mlflow", "1.11.5");
        SignIn(Owner);
        var section = OpenCluster("play");
        section.WaitForElement("[data-testid=cluster-addon-upgrade]").Click();
        Dialogs.WaitForElement("[data-testid=upgrade-addon-dialog]");
        await Addons.UpdateAsync(Owner, TeamSlug, "play", "mlflow", new AddonChanges(Values: (JsonObject)JsonNode.Parse("""{"replicas":5}""")!), null, CancellationToken.None);

        await Dialogs.Find("[data-testid=schema-field][data-path='$.replicas'] input").ChangeAsync(new ChangeEventArgs { Value = "4" });
        Dialogs.Find("[data-testid=upgrade-addon-save]").Click();

        Dialogs.WaitForAssertion(() => Assert.Contains("changed since this dialog opened", Dialogs.Find("[data-testid=upgrade-addon-error]").TextContent));
        Assert.Equal("""{"replicas":5}""", Assert.Single(await InstalledAsync("play")).ValuesJson);
    }

    [Fact]
    public async Task TheUpgradeDialog_OffersOnlyVersionsTheClusterAllows_AndSaysWhyNotTheOthers()
    {
        await InstallAsync("pre", "spark-operator", "2.5.2");
        SignIn(Owner);
        var section = OpenCluster("pre");
        section.WaitForElement("[data-testid=cluster-addon-upgrade]").Click();

        var refused = Dialogs.WaitForElement("[data-testid=upgrade-addon-refused-version][data-version='2.6.0']");
        Assert.Contains("alpha", refused.TextContent);
    }

    [Fact]
    public async Task UninstallingARequiredAddOn_IsRefused_NamingWhatRequiresIt()
    {
        await InstallAsync("play", "dashboard", dependencies: true);
        SignIn(Owner);
        var section = OpenCluster("play");
        // The section renders again when its data arrives: a button found before that has a stale handler, so find and
        // click in one retried step (a click that threw did nothing, so retrying it is safe).
        section.WaitForAssertion(() => section.Find("[data-testid=cluster-addon-row][data-addon=mlflow] [data-testid=cluster-addon-uninstall]").Click());
        Dialogs.WaitForAssertion(() => Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Uninstall").Click());

        Snackbars.WaitForAssertion(() => Assert.Contains("dashboard requires it", Snackbars.Markup));
        Assert.All(await InstalledAsync("play"), i => Assert.False(i.IsUninstalling));
    }

    [Fact]
    public async Task Uninstalling_AfterConfirmation_MarksItUninstalling()
    {
        await InstallAsync("play", "keda");
        SignIn(Owner);
        var section = OpenCluster("play");
        section.WaitForElement("[data-testid=cluster-addon-uninstall]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains(Dialogs.FindAll("button"), b => b.TextContent.Trim() == "Uninstall"));
        await Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Uninstall").ClickAsync(new MouseEventArgs());

        section.WaitForAssertion(() => Assert.Equal("Uninstalling", section.Find("[data-testid=cluster-addon-row]").GetAttribute("data-phase")));
        Assert.True(Assert.Single(await InstalledAsync("play")).IsUninstalling);
    }

    // ---- promotion ----

    [Fact]
    public async Task ThePromotionPreview_ShowsTheDiff_AndRefusesWhileASourceAddOnIsNotHealthy()
    {
        await InstallAsync("play", "mlflow", "1.10.0", """{"replicas":2}""");
        await InstallAsync("play", "luigi");
        await InstallAsync("pre", "keda");
        await WriteAddonStatusAsync("play", "mlflow", AddonPhase.Healthy, "Synced and healthy.");
        await WriteAddonStatusAsync("play", "luigi", AddonPhase.Degraded, "Deployment luigi-scheduler exceeded its progress deadline");
        SignIn(Owner);
        var section = OpenCluster("pre");
        section.WaitForElement("[data-testid=cluster-addons-promote]").Click();

        var dialog = Dialogs.WaitForElement("[data-testid=promote-changes]");
        var changes = Dialogs.FindAll("[data-testid=promote-change]").Select(c => (c.GetAttribute("data-addon"), c.GetAttribute("data-kind"))).ToList();
        Assert.Equal([("keda", "removed"), ("luigi", "added"), ("mlflow", "added")], changes);
        Assert.Contains("$.replicas", Dialogs.Find("[data-testid=promote-change][data-addon=mlflow] [data-testid=promote-change-paths]").TextContent);
        var blockers = Dialogs.FindAll("[data-testid=promote-blocker]").Select(b => b.TextContent).ToList();
        Assert.Contains(blockers, b => b.Contains("luigi on 'play' is degraded") && b.Contains("exceeded its progress deadline"));
        Assert.Contains(blockers, b => b.Contains("luigi 3.6.0") && b.Contains("dev", StringComparison.OrdinalIgnoreCase));
        Assert.True(Dialogs.Find("[data-testid=promote-apply]").HasAttribute("disabled"));
        Assert.NotNull(dialog);
    }

    [Fact]
    public async Task ApplyingAPromotion_AfterConfirmation_MakesTheTargetMatch()
    {
        await InstallAsync("play", "mlflow", "1.10.0", """{"replicas":2}""");
        await WriteAddonStatusAsync("play", "mlflow", AddonPhase.Healthy, "Synced and healthy.");
        SignIn(Owner);
        var section = OpenCluster("pre");
        section.WaitForElement("[data-testid=cluster-addons-promote]").Click();
        Dialogs.WaitForElement("[data-testid=promote-change][data-addon=mlflow]");
        Assert.Empty(Dialogs.FindAll("[data-testid=promote-blockers]"));

        Dialogs.Find("[data-testid=promote-apply]").Click();
        Assert.Contains("Apply 1 change(s) to pre", Dialogs.Find("[data-testid=promote-confirm-text]").TextContent);
        Assert.Empty(await InstalledAsync("pre"));
        await Dialogs.Find("[data-testid=promote-confirm]").ClickAsync(new MouseEventArgs());

        section.WaitForElement("[data-testid=cluster-addon-row][data-addon=mlflow]");
        var promoted = Assert.Single(await InstalledAsync("pre"));
        Assert.Equal("1.10.0", promoted.CatalogVersion);
        Assert.Equal("""{"replicas":2}""", promoted.ValuesJson);
    }
}
