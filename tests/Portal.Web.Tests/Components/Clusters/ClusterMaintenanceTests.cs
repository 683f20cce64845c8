using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Clusters;
using Portal.Core.Environments;
using Portal.Web.Components.Pages.Clusters;

namespace Portal.Web.Tests.Components.Clusters;

/// <summary>Node labels, taints and tags in the editor; retrying a failed cluster; attaching and detaching.</summary>
public sealed class ClusterMaintenanceTests : ClusterUiTest
{
    private const string Kubeconfig = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: onprem
          cluster:
            server: https://k8s.example.test:6443
            certificate-authority-data: Q0EgREFUQQ==
        contexts:
        - name: onprem
          context: {cluster: onprem, user: admin}
        current-context: onprem
        users:
        - name: admin
          user: {token: not-a-real-token}
        """;

    private IRenderedComponent<ClusterPage> RenderCluster(string name) =>
        RenderPage<ClusterPage>(p => p.Add(x => x.Team, TeamSlug).Add(x => x.Name, name).Add(x => x.PollInterval, TimeSpan.FromMinutes(5)));

    [Fact]
    public async Task LabelsTaintsAndTags_AreEditedAndSavedWithThePools()
    {
        await RequestClusterAsync("ml");
        await MarkReadyAsync("ml");
        SignIn(Maintainer);
        var page = RenderCluster("ml");
        await page.WaitForElement("[data-testid=cluster-edit-pools-button]").ClickAsync(new MouseEventArgs());

        await page.Find("[data-testid=node-pool-label-add]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=node-pool-label-row] input[data-testid=node-pool-label-key]").ChangeAsync(new ChangeEventArgs { Value = "workload" });
        await page.Find("[data-testid=node-pool-label-row] input[data-testid=node-pool-label-value]").ChangeAsync(new ChangeEventArgs { Value = "batch" });
        await page.Find("[data-testid=node-pool-taint-add]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=node-pool-taint-row] input[data-testid=node-pool-taint-key]").ChangeAsync(new ChangeEventArgs { Value = "dedicated" });
        await page.Find("[data-testid=node-pool-taint-row] input[data-testid=node-pool-taint-value]").ChangeAsync(new ChangeEventArgs { Value = "ml" });
        await page.Find("[data-testid=cluster-tag-add]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=cluster-tag-row] input[data-testid=cluster-tag-key]").ChangeAsync(new ChangeEventArgs { Value = "owner" });
        await page.Find("[data-testid=cluster-tag-row] input[data-testid=cluster-tag-value]").ChangeAsync(new ChangeEventArgs { Value = "ml-team" });
        await page.Find("[data-testid=node-pools-save]").ClickAsync(new MouseEventArgs());

        page.WaitForElement("[data-testid=node-pools-table]");
        var stored = (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster;
        var pool = Assert.Single(stored.NodePools);
        Assert.Equal(new Dictionary<string, string> { ["workload"] = "batch" }, pool.Labels);
        Assert.Equal([new NodeTaint("dedicated", "ml", TaintEffect.NoSchedule)], pool.Taints);
        Assert.Equal(new Dictionary<string, string> { ["owner"] = "ml-team" }, stored.Tags);
        Assert.Equal(2, stored.Generation);

        // Editing again starts from what is stored; removing the taint and the label takes them away.
        await page.Find("[data-testid=cluster-edit-pools-button]").ClickAsync(new MouseEventArgs());
        Assert.Equal("workload", page.Find("input[data-testid=node-pool-label-key]").GetAttribute("value"));
        await page.Find("[data-testid=node-pool-taint-remove]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=node-pool-label-remove]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=node-pools-save]").ClickAsync(new MouseEventArgs());
        page.WaitForElement("[data-testid=node-pools-table]");
        stored = (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster;
        Assert.Empty(stored.NodePools[0].Labels);
        Assert.Empty(stored.NodePools[0].Taints);
        Assert.Equal("ml-team", stored.Tags["owner"]);
    }

    [Fact]
    public async Task BadLabelsTaintsAndTags_ShowTheServicesMessageOnTheirRow_AndDuplicatesAreCaughtBeforeSaving()
    {
        await RequestClusterAsync("ml");
        await MarkReadyAsync("ml");
        SignIn(Maintainer);
        var page = RenderCluster("ml");
        await page.WaitForElement("[data-testid=cluster-edit-pools-button]").ClickAsync(new MouseEventArgs());

        await page.Find("[data-testid=node-pool-label-add]").ClickAsync(new MouseEventArgs());
        await page.Find("input[data-testid=node-pool-label-key]").ChangeAsync(new ChangeEventArgs { Value = "node.kubernetes.io/role" });
        await page.Find("input[data-testid=node-pool-label-value]").ChangeAsync(new ChangeEventArgs { Value = "gpu" });
        await page.Find("[data-testid=node-pool-taint-add]").ClickAsync(new MouseEventArgs());
        await page.Find("input[data-testid=node-pool-taint-key]").ChangeAsync(new ChangeEventArgs { Value = "bad key!" });
        await page.Find("[data-testid=cluster-tag-add]").ClickAsync(new MouseEventArgs());
        await page.Find("input[data-testid=cluster-tag-key]").ChangeAsync(new ChangeEventArgs { Value = "aws:owner" });
        await page.Find("input[data-testid=cluster-tag-value]").ChangeAsync(new ChangeEventArgs { Value = "x" });
        await page.Find("[data-testid=node-pools-save]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Contains("are set by Kubernetes or EKS", page.Find("[data-testid=node-pool-label-row]").TextContent));
        Assert.Contains("Key", page.Find("[data-testid=node-pool-taint-row]").TextContent);
        Assert.Contains("mud-input-error", page.Find("[data-testid=node-pool-taint-row]").InnerHtml);
        Assert.Contains("reserved for AWS and the platform", page.Find("[data-testid=cluster-tag-row]").TextContent);
        Assert.Equal(1, (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster.Generation);

        // Fix them, but type one label key twice: flagged on the second row, and nothing is sent.
        await page.Find("[data-testid=node-pool-taint-remove]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=cluster-tag-remove]").ClickAsync(new MouseEventArgs());
        await page.Find("input[data-testid=node-pool-label-key]").ChangeAsync(new ChangeEventArgs { Value = "role" });
        await page.Find("[data-testid=node-pool-label-add]").ClickAsync(new MouseEventArgs());
        await page.FindAll("input[data-testid=node-pool-label-key]")[1].ChangeAsync(new ChangeEventArgs { Value = "role" });
        page.WaitForAssertion(() => Assert.Contains("already used above", page.FindAll("[data-testid=node-pool-label-row]")[1].TextContent));
        await page.Find("[data-testid=node-pools-save]").ClickAsync(new MouseEventArgs());
        Assert.Equal(1, (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster.Generation);
        Assert.NotNull(page.Find("[data-testid=node-pools-editor]"));
    }

    [Fact]
    public async Task AFailedCluster_OffersRetry_WhichClearsTheErrorAndEnqueuesAReconcile()
    {
        var created = await RequestClusterAsync("ml");
        await WriteStatusAsync("ml", c =>
        {
            c.Phase = ClusterPhase.Failed;
            c.ObservedGeneration = c.Generation;
            c.LastError = "EKS refused CreateNodegroup (InvalidParameterException): subnet full.";
        });
        SignIn(Maintainer);
        var page = RenderCluster("ml");
        var retry = page.WaitForElement("[data-testid=cluster-retry-button]");
        Assert.Equal("Retry", retry.TextContent.Trim());
        var jobs = Jobs.Jobs.Count;

        await retry.ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Equal("Provisioning", page.Find("[data-testid=cluster-phase]").GetAttribute("data-phase")));
        Assert.Empty(page.FindAll("[data-testid=cluster-last-error]"));
        Assert.Equal(jobs + 1, Jobs.Jobs.Count);
        Assert.Equal("retry-requested", (await Clusters.ListEventsAsync(Owner, TeamSlug, "ml", new ClusterQuery(Limit: 1), CancellationToken.None)).Items[0].Step);
        Assert.Equal(created.Cluster.Generation, (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster.Generation);
    }

    [Fact]
    public async Task AViewer_IsNotOfferedRetry()
    {
        await RequestClusterAsync("ml");
        await WriteStatusAsync("ml", c => { c.Phase = ClusterPhase.Failed; c.LastError = "Broken."; });
        SignIn(Viewer);
        var page = RenderCluster("ml");
        page.WaitForElement("[data-testid=cluster-last-error]");
        Assert.Empty(page.FindAll("[data-testid=cluster-retry-button]"));
    }

    [Fact]
    public async Task DetachingAnAttachedCluster_AsksFirst_ThenForgetsIt()
    {
        await Clusters.AttachClusterAsync(Owner, TeamSlug, new AttachedCluster("onprem", EnvironmentName.Dev, Kubeconfig), CancellationToken.None);
        SignIn(Maintainer);
        var page = RenderCluster("onprem");
        page.WaitForElement("[data-testid=cluster-detach-button]").Click();

        // Cancelling keeps it.
        Dialogs.WaitForAssertion(() => Assert.Contains("keeps running", Dialogs.Markup));
        await Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").ClickAsync(new MouseEventArgs());
        Assert.NotNull((await Clusters.GetAsync(Owner, TeamSlug, "onprem", CancellationToken.None)).Cluster);

        page.Find("[data-testid=cluster-detach-button]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains(Dialogs.FindAll("button"), b => b.TextContent.Trim() == "Detach"));
        await Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Detach").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Contains("detached", page.Find("[data-testid=cluster-deleted]").TextContent));
        await Assert.ThrowsAsync<Portal.Core.Common.NotFoundException>(() => Clusters.GetAsync(Owner, TeamSlug, "onprem", CancellationToken.None));
    }

    [Fact]
    public async Task TheAttachForm_RegistersACluster_AndShowsWhatIsWrongWithABadKubeconfig()
    {
        SignIn(Maintainer);
        var page = RenderPage<AttachClusterPage>(p => p.Add(x => x.Team, TeamSlug));
        await page.WaitForElement("input[data-testid=cluster-attach-name]").ChangeAsync(new ChangeEventArgs { Value = "onprem" });
        await page.Find("textarea[data-testid=cluster-attach-kubeconfig]").ChangeAsync(new ChangeEventArgs { Value = Kubeconfig.Replace("https://", "http://") });
        await page.Find("[data-testid=cluster-attach-submit]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Contains("Kubeconfig", page.Find("[data-testid=cluster-attach-kubeconfig]").ParentElement!.ParentElement!.TextContent));
        Assert.Contains("mud-input-error", page.Markup);

        await page.Find("textarea[data-testid=cluster-attach-kubeconfig]").ChangeAsync(new ChangeEventArgs { Value = Kubeconfig });
        await page.Find("input[data-testid=cluster-attach-version]").ChangeAsync(new ChangeEventArgs { Value = "1.31" });
        await page.Find("[data-testid=cluster-attach-submit]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.EndsWith("/teams/data-science/clusters/onprem", Services.GetRequiredService<NavigationManager>().Uri));
        var attached = (await Clusters.GetAsync(Owner, TeamSlug, "onprem", CancellationToken.None)).Cluster;
        Assert.Equal((ClusterPhase.Attached, "1.31", "https://k8s.example.test:6443"), (attached.Phase, attached.KubernetesVersion, attached.KubernetesEndpoint));
    }
}
