using Bunit;
using Microsoft.AspNetCore.Components;
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
        page.WaitForElement("[data-testid=cluster-edit-pools-button]").Click();

        page.Find("[data-testid=node-pool-label-add]").Click();
        page.Find("[data-testid=node-pool-label-row] input[data-testid=node-pool-label-key]").Change("workload");
        page.Find("[data-testid=node-pool-label-row] input[data-testid=node-pool-label-value]").Change("batch");
        page.Find("[data-testid=node-pool-taint-add]").Click();
        page.Find("[data-testid=node-pool-taint-row] input[data-testid=node-pool-taint-key]").Change("dedicated");
        page.Find("[data-testid=node-pool-taint-row] input[data-testid=node-pool-taint-value]").Change("ml");
        page.Find("[data-testid=cluster-tag-add]").Click();
        page.Find("[data-testid=cluster-tag-row] input[data-testid=cluster-tag-key]").Change("owner");
        page.Find("[data-testid=cluster-tag-row] input[data-testid=cluster-tag-value]").Change("ml-team");
        page.Find("[data-testid=node-pools-save]").Click();

        page.WaitForElement("[data-testid=node-pools-table]");
        var stored = (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster;
        var pool = Assert.Single(stored.NodePools);
        Assert.Equal(new Dictionary<string, string> { ["workload"] = "batch" }, pool.Labels);
        Assert.Equal([new NodeTaint("dedicated", "ml", TaintEffect.NoSchedule)], pool.Taints);
        Assert.Equal(new Dictionary<string, string> { ["owner"] = "ml-team" }, stored.Tags);
        Assert.Equal(2, stored.Generation);

        // Editing again starts from what is stored; removing the taint and the label takes them away.
        page.Find("[data-testid=cluster-edit-pools-button]").Click();
        Assert.Equal("workload", page.Find("input[data-testid=node-pool-label-key]").GetAttribute("value"));
        page.Find("[data-testid=node-pool-taint-remove]").Click();
        page.Find("[data-testid=node-pool-label-remove]").Click();
        page.Find("[data-testid=node-pools-save]").Click();
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
        page.WaitForElement("[data-testid=cluster-edit-pools-button]").Click();

        page.Find("[data-testid=node-pool-label-add]").Click();
        page.Find("input[data-testid=node-pool-label-key]").Change("node.kubernetes.io/role");
        page.Find("input[data-testid=node-pool-label-value]").Change("gpu");
        page.Find("[data-testid=node-pool-taint-add]").Click();
        page.Find("input[data-testid=node-pool-taint-key]").Change("bad key!");
        page.Find("[data-testid=cluster-tag-add]").Click();
        page.Find("input[data-testid=cluster-tag-key]").Change("aws:owner");
        page.Find("input[data-testid=cluster-tag-value]").Change("x");
        page.Find("[data-testid=node-pools-save]").Click();

        page.WaitForAssertion(() => Assert.Contains("are set by Kubernetes or EKS", page.Find("[data-testid=node-pool-label-row]").TextContent));
        Assert.Contains("Key", page.Find("[data-testid=node-pool-taint-row]").TextContent);
        Assert.Contains("mud-input-error", page.Find("[data-testid=node-pool-taint-row]").InnerHtml);
        Assert.Contains("reserved for AWS and the platform", page.Find("[data-testid=cluster-tag-row]").TextContent);
        Assert.Equal(1, (await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None)).Cluster.Generation);

        // Fix them, but type one label key twice: flagged on the second row, and nothing is sent.
        page.Find("[data-testid=node-pool-taint-remove]").Click();
        page.Find("[data-testid=cluster-tag-remove]").Click();
        page.Find("input[data-testid=node-pool-label-key]").Change("role");
        page.Find("[data-testid=node-pool-label-add]").Click();
        page.FindAll("input[data-testid=node-pool-label-key]")[1].Change("role");
        page.WaitForAssertion(() => Assert.Contains("already used above", page.FindAll("[data-testid=node-pool-label-row]")[1].TextContent));
        page.Find("[data-testid=node-pools-save]").Click();
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

        retry.Click();

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
        Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click();
        Assert.NotNull((await Clusters.GetAsync(Owner, TeamSlug, "onprem", CancellationToken.None)).Cluster);

        page.Find("[data-testid=cluster-detach-button]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains(Dialogs.FindAll("button"), b => b.TextContent.Trim() == "Detach"));
        Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Detach").Click();

        page.WaitForAssertion(() => Assert.Contains("detached", page.Find("[data-testid=cluster-deleted]").TextContent));
        await Assert.ThrowsAsync<Portal.Core.Common.NotFoundException>(() => Clusters.GetAsync(Owner, TeamSlug, "onprem", CancellationToken.None));
    }

    [Fact]
    public async Task TheAttachForm_RegistersACluster_AndShowsWhatIsWrongWithABadKubeconfig()
    {
        SignIn(Maintainer);
        var page = RenderPage<AttachClusterPage>(p => p.Add(x => x.Team, TeamSlug));
        page.WaitForElement("input[data-testid=cluster-attach-name]").Change("onprem");
        page.Find("textarea[data-testid=cluster-attach-kubeconfig]").Change(Kubeconfig.Replace("https://", "http://"));
        page.Find("[data-testid=cluster-attach-submit]").Click();

        page.WaitForAssertion(() => Assert.Contains("Kubeconfig", page.Find("[data-testid=cluster-attach-kubeconfig]").ParentElement!.ParentElement!.TextContent));
        Assert.Contains("mud-input-error", page.Markup);

        page.Find("textarea[data-testid=cluster-attach-kubeconfig]").Change(Kubeconfig);
        page.Find("input[data-testid=cluster-attach-version]").Change("1.31");
        page.Find("[data-testid=cluster-attach-submit]").Click();

        page.WaitForAssertion(() => Assert.EndsWith("/teams/data-science/clusters/onprem", Services.GetRequiredService<NavigationManager>().Uri));
        var attached = (await Clusters.GetAsync(Owner, TeamSlug, "onprem", CancellationToken.None)).Cluster;
        Assert.Equal((ClusterPhase.Attached, "1.31", "https://k8s.example.test:6443"), (attached.Phase, attached.KubernetesVersion, attached.KubernetesEndpoint));
    }
}
