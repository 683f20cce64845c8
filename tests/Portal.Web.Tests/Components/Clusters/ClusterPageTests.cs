using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Clusters;
using Portal.Core.Events;
using Portal.Web.Components.Pages.Clusters;
using Portal.Web.Components.Shared.Clusters;

namespace Portal.Web.Tests.Components.Clusters;

public sealed class ClusterPageTests : ClusterUiTest
{
    /// <summary>Every control that changes a cluster, by its stable test id.</summary>
    private static readonly string[] LifecycleControls =
        ["cluster-actions", "cluster-upgrade-button", "cluster-edit-pools-button", "cluster-delete-button", "node-pools-editor", "node-pools-save"];

    [Fact]
    public async Task TheStatusAndTimeline_UpdateWithoutReload_AsTheReconcilerWritesThem()
    {
        await RequestClusterAsync("ml");
        SignIn(Maintainer);
        var page = RenderCluster("ml", poll: TimeSpan.FromMilliseconds(50));
        page.WaitForAssertion(() => Assert.Equal("Pending", page.Find("[data-testid=cluster-phase]").GetAttribute("data-phase")));
        Assert.Single(page.FindAll("[data-testid=cluster-event]"));
        Assert.NotNull(page.Find("[data-testid=cluster-progress]"));

        await WriteStatusAsync("ml", c =>
        {
            c.Phase = ClusterPhase.Provisioning;
            c.Message = "EKS is creating the control plane.";
            c.SetCondition("ControlPlaneReady", "False", "Creating", "EKS is creating the control plane.", DateTimeOffset.UtcNow);
        }, ("control-plane", EventOutcome.Started, "Creating the EKS control plane."));

        // One poll reads the cluster and its events separately, so it may catch the events of a write but not yet its
        // status: wait for both.
        page.WaitForAssertion(() =>
        {
            Assert.Equal(2, page.FindAll("[data-testid=cluster-event]").Count);
            Assert.Equal("Provisioning", page.Find("[data-testid=cluster-phase]").GetAttribute("data-phase"));
        }, TimeSpan.FromSeconds(5));
        Assert.Equal("control-plane", page.FindAll("[data-testid=cluster-event]")[0].GetAttribute("data-step")); // newest first
        Assert.Contains("EKS is creating the control plane.", page.Find("[data-testid=cluster-message]").TextContent);
        Assert.Equal("False", page.Find("[data-testid=cluster-condition][data-type=ControlPlaneReady]").GetAttribute("data-status"));

        await MarkReadyAsync("ml");
        page.WaitForAssertion(() =>
        {
            Assert.Equal("Ready", page.Find("[data-testid=cluster-phase]").GetAttribute("data-phase"));
            Assert.Equal(3, page.FindAll("[data-testid=cluster-event]").Count);
        }, TimeSpan.FromSeconds(5));
        Assert.Empty(page.FindAll("[data-testid=cluster-progress]"));
        Assert.Equal("active", page.Find("[data-testid=node-pool-status]").TextContent.Trim());
    }

    [Fact]
    public async Task ScalingAPool_SendsTheWholeListWithTheVersionRead_AndBumpsTheGeneration()
    {
        await RequestClusterAsync("ml");
        await MarkReadyAsync("ml");
        SignIn(Maintainer);
        var page = RenderCluster("ml");
        await page.WaitForElement("[data-testid=cluster-edit-pools-button]").ClickAsync(new MouseEventArgs());

        await page.Find("input[data-testid=node-pool-desired]").ChangeAsync(new ChangeEventArgs { Value = "3" });
        await page.Find("input[data-testid=node-pool-max]").ChangeAsync(new ChangeEventArgs { Value = "5" });
        await page.Find("[data-testid=node-pools-save]").ClickAsync(new MouseEventArgs());

        page.WaitForElement("[data-testid=node-pools-table]");
        var stored = (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster;
        var pool = Assert.Single(stored.NodePools);
        Assert.Equal((1, 3, 5), (pool.MinSize, pool.DesiredSize, pool.MaxSize));
        Assert.Equal(2, stored.Generation);
        Assert.Equal(2, Jobs.Jobs.Count);
        Assert.Contains("3 (1–5)", page.Find("[data-testid=node-pool-size]").TextContent);
        Assert.Contains("2 (observed 1)", page.Find("[data-testid=cluster-generation]").TextContent);
    }

    [Fact]
    public async Task AddingAndRemovingPools_ReplacesThePoolList()
    {
        await RequestClusterAsync("ml", null, Pool("general"), Pool("batch", "t3.medium", 0, 0, 2));
        await MarkReadyAsync("ml");
        SignIn(Maintainer);
        var page = RenderCluster("ml");
        await page.WaitForElement("[data-testid=cluster-edit-pools-button]").ClickAsync(new MouseEventArgs());

        // Existing pools keep their instance types: EKS cannot change them in place.
        Assert.All(page.FindAll("[data-testid=node-pool] input[data-testid=node-pool-name]"), i => Assert.True(i.HasAttribute("disabled")));
        await page.Find("[data-testid=node-pool][data-name=batch] [data-testid=node-pool-remove]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=node-pool-add]").ClickAsync(new MouseEventArgs());
        var added = page.Find("[data-testid=node-pool][data-index='1']");
        await added.QuerySelector("input[data-testid=node-pool-name]")!.ChangeAsync(new ChangeEventArgs { Value = "spot" });
        await page.Find("[data-testid=node-pool][data-index='1'] input[data-testid=node-pool-capacity-spot]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=node-pool][data-index='1'] [data-testid=instance-type-picker-toggle]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=node-pool][data-index='1'] input[data-testid=instance-type-search]").InputAsync(new ChangeEventArgs { Value = "m5.xlarge" });
        await page.WaitForElement("[data-testid=node-pool][data-index='1'] button[data-testid=instance-type-add][data-name='m5.xlarge']").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=node-pools-save]").ClickAsync(new MouseEventArgs());

        page.WaitForElement("[data-testid=node-pools-table]");
        var stored = (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster;
        Assert.Equal(["general", "spot"], stored.NodePools.Select(p => p.Name));
        Assert.Equal(CapacityType.Spot, stored.NodePools[1].CapacityType);
        Assert.Equal(["m5.xlarge"], stored.NodePools[1].InstanceTypes);
    }

    [Fact]
    public async Task SavingPoolsAfterSomeoneElseChangedTheCluster_SaysSo_KeepsTheEdit_AndSavesOnTheSecondTry()
    {
        await RequestClusterAsync("ml");
        await MarkReadyAsync("ml");
        SignIn(Maintainer);
        var page = RenderCluster("ml");
        await page.WaitForElement("[data-testid=cluster-edit-pools-button]").ClickAsync(new MouseEventArgs());
        await page.Find("input[data-testid=node-pool-desired]").ChangeAsync(new ChangeEventArgs { Value = "3" });

        // Meanwhile the owner scales the same pool through the API.
        var read = await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None);
        await Clusters.UpdateClusterAsync(Owner, TeamSlug, "ml", new ClusterChanges(NodePools: [Pool("general", max: 4)]), read.Cluster.Version, CancellationToken.None);

        await page.Find("[data-testid=node-pools-save]").ClickAsync(new MouseEventArgs());
        page.WaitForElement("[data-testid=node-pools-stale]");
        Assert.Equal("3", page.Find("input[data-testid=node-pool-desired]").GetAttribute("value"));
        var stored = (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster;
        Assert.Equal((2, 4), (stored.NodePools[0].DesiredSize, stored.NodePools[0].MaxSize));

        await page.Find("[data-testid=node-pools-save]").ClickAsync(new MouseEventArgs());
        page.WaitForElement("[data-testid=node-pools-table]");
        stored = (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster;
        Assert.Equal(3, stored.NodePools[0].DesiredSize);
        Assert.Equal(3, stored.Generation);
    }

    [Fact]
    public async Task ABadScale_ShowsTheMessageOnTheField()
    {
        await RequestClusterAsync("ml");
        await MarkReadyAsync("ml");
        SignIn(Maintainer);
        var page = RenderCluster("ml");
        await page.WaitForElement("[data-testid=cluster-edit-pools-button]").ClickAsync(new MouseEventArgs());
        await page.Find("input[data-testid=node-pool-min]").ChangeAsync(new ChangeEventArgs { Value = "4" });
        await page.Find("[data-testid=node-pools-save]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Contains("Min nodes must not exceed maxSize (3).", page.Markup));
        Assert.Equal("4", page.Find("input[data-testid=node-pool-min]").GetAttribute("value"));
        Assert.Equal(1, (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster.Generation);
    }

    [Fact]
    public async Task TheUpgradeDialog_ShowsThePlan_AndOffersOnlyTheNextMinor()
    {
        await RequestClusterAsync("ml", "1.32");
        await MarkReadyAsync("ml");
        SignIn(Maintainer);
        var page = RenderCluster("ml");
        page.WaitForElement("[data-testid=cluster-upgrade-button]").Click();

        Dialogs.WaitForElement("[data-testid=upgrade-plan]");
        Assert.Equal(["1.32", "1.33", "1.34"], Dialogs.FindAll("[data-testid=upgrade-plan-step]").Select(s => s.GetAttribute("data-version")));
        var confirm = Assert.Single(Dialogs.FindAll("[data-testid=upgrade-confirm]"));
        Assert.Equal("Upgrade to 1.33", confirm.TextContent.Trim());
        Assert.Contains("control plane", Dialogs.Markup);
        await confirm.ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Contains("1.32 → 1.33", page.Find("[data-testid=cluster-version]").TextContent));
        Assert.Equal("1.33", (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster.KubernetesVersion);
        // While the control plane is on its way, the next step is not offered.
        Assert.True(page.Find("[data-testid=cluster-upgrade-button]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Deleting_RequiresTypingTheClustersName()
    {
        await RequestClusterAsync("ml");
        await MarkReadyAsync("ml");
        SignIn(Maintainer);
        var page = RenderCluster("ml");
        page.WaitForElement("[data-testid=cluster-delete-button]").Click();

        var confirm = Dialogs.WaitForElement("[data-testid=delete-confirm]");
        Assert.True(confirm.HasAttribute("disabled"));
        await Dialogs.Find("input[data-testid=delete-confirm-name]").InputAsync(new ChangeEventArgs { Value = "m" });
        Assert.True(Dialogs.Find("[data-testid=delete-confirm]").HasAttribute("disabled"));
        Assert.Null((await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster.DeletionRequestedAt);

        await Dialogs.Find("input[data-testid=delete-confirm-name]").InputAsync(new ChangeEventArgs { Value = "ml" });
        Dialogs.WaitForAssertion(() => Assert.False(Dialogs.Find("[data-testid=delete-confirm]").HasAttribute("disabled")));
        await Dialogs.Find("[data-testid=delete-confirm]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Equal("Deleting", page.Find("[data-testid=cluster-phase]").GetAttribute("data-phase")));
        Assert.NotNull((await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster.DeletionRequestedAt);
        Assert.Empty(page.FindAll("[data-testid=cluster-actions]"));
    }

    [Fact]
    public async Task AClusterThatFinishesDeleting_ShowsItIsGone()
    {
        await RequestClusterAsync("ml");
        await Clusters.DeleteClusterAsync(Owner, TeamSlug, "ml", null, CancellationToken.None);
        SignIn(Maintainer);
        var page = RenderCluster("ml", poll: TimeSpan.FromMilliseconds(50));
        page.WaitForElement("[data-testid=cluster-progress]");

        await using (var db = await Service<Microsoft.EntityFrameworkCore.IDbContextFactory<Portal.Core.Persistence.PortalDbContext>>().CreateDbContextAsync())
        {
            db.Clusters.Remove(db.Clusters.Single(c => c.Name == "ml"));
            await db.SaveChangesAsync();
        }
        page.WaitForElement("[data-testid=cluster-deleted]", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task TheKubeconfig_IsOfferedOnceTheEndpointIsKnown()
    {
        await RequestClusterAsync("ml");
        SignIn(Viewer);
        var page = RenderCluster("ml", poll: TimeSpan.FromMilliseconds(50));
        page.WaitForElement("[data-testid=cluster-kubeconfig-unavailable]");

        await MarkReadyAsync("ml");
        await page.WaitForElement("[data-testid=cluster-kubeconfig-button]", TimeSpan.FromSeconds(5)).ClickAsync(new MouseEventArgs());
        var kubeconfig = page.WaitForElement("[data-testid=cluster-kubeconfig]").TextContent;
        Assert.Contains("https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com", kubeconfig);
        Assert.Contains("get-token", kubeconfig);
        Assert.StartsWith("data:application/yaml;base64,", page.Find("[data-testid=cluster-kubeconfig-download]").GetAttribute("href"));
    }

    [Fact]
    public async Task AViewer_SeesStatusPoolsAndEvents_ButNoControls()
    {
        await RequestClusterAsync("ml");
        await MarkReadyAsync("ml");
        SignIn(Viewer);
        var page = RenderCluster("ml");
        page.WaitForElement("[data-testid=node-pools-table]");

        Assert.NotEmpty(page.FindAll("[data-testid=cluster-event]"));
        foreach (var id in LifecycleControls) Assert.DoesNotContain($"data-testid=\"{id}\"", page.Markup);
        Assert.DoesNotContain("Delete cluster", page.Markup);
        Assert.DoesNotContain("Edit node pools", page.Markup);
    }

    [Fact]
    public async Task SomeoneOutsideTheTeam_SeesNotFound()
    {
        await RequestClusterAsync("ml");
        await SignInAsync("mallory");
        var page = RenderCluster("ml");
        page.WaitForElement("[data-testid=status-notfound]");
    }

    [Fact]
    public async Task AnUnknownCluster_ShowsNotFound()
    {
        SignIn(Maintainer);
        var page = RenderCluster("nope");
        page.WaitForElement("[data-testid=status-notfound]");
        await Task.CompletedTask;
    }

    private IRenderedComponent<ClusterPage> RenderCluster(string name, TimeSpan? poll = null) =>
        RenderPage<ClusterPage>(p => p.Add(x => x.Team, TeamSlug).Add(x => x.Name, name)
            // Long by default, so only the tests about live updates see the page change by itself.
            .Add(x => x.PollInterval, poll ?? TimeSpan.FromMinutes(5)));
}
