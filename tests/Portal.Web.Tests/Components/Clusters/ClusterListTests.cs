using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Clusters;
using Portal.Core.Environments;
using Portal.Web.Components.Pages.Clusters;
using Portal.Web.Components.Pages.Teams;

namespace Portal.Web.Tests.Components.Clusters;

public sealed class ClusterListTests : ClusterUiTest
{
    // Something else's cluster, reached by kubeconfig; it carries no secret worth protecting in a test.
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

    [Fact]
    public async Task AnEmptyTeam_OffersAMaintainerToCreateACluster()
    {
        SignIn(Maintainer);
        var page = RenderPage<ClustersPage>(p => p.Add(x => x.Team, TeamSlug));

        page.WaitForElement("[data-testid=clusters-empty]");
        Assert.Equal("/teams/data-science/clusters/new", page.Find("[data-testid=cluster-create-button]").GetAttribute("href"));
        Assert.Equal("H1", page.Find("[data-testid=clusters-heading]").TagName);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task TheList_ShowsPhaseAsTextAndColour_VersionsAndPools()
    {
        await RequestClusterAsync("ml", "1.33", Pool("general", capacity: CapacityType.Spot), Pool("gpu", "g5.xlarge", 0, 1, 2));
        await WriteStatusAsync("ml", c => c.Phase = ClusterPhase.Provisioning);
        SignIn(Maintainer);
        var page = RenderPage<ClustersPage>(p => p.Add(x => x.Team, TeamSlug));

        var row = page.WaitForElement("[data-testid=cluster-row][data-name=ml]");
        var phase = row.QuerySelector("[data-testid=cluster-phase]")!;
        Assert.Equal("Provisioning", phase.TextContent.Trim());
        Assert.Contains("mud-chip-color-info", phase.ClassName);
        var text = row.TextContent;
        Assert.Contains("dev", text);
        Assert.Contains("1.33", text);
        Assert.Contains("general: 2 × m5.large (1–3, spot)", text);
        Assert.Contains("gpu: 1 × g5.xlarge (0–2, on-demand, GPU)", text);
        Assert.Equal("/teams/data-science/clusters/ml", row.QuerySelector("[data-testid=cluster-link]")!.GetAttribute("href"));
    }

    [Fact]
    public async Task AViewer_SeesTheClusters_ButIsNotOfferedToCreateOne()
    {
        SignIn(Viewer);
        var empty = RenderPage<ClustersPage>(p => p.Add(x => x.Team, TeamSlug));
        empty.WaitForElement("[data-testid=clusters-empty]");
        Assert.Empty(empty.FindAll("[data-testid=cluster-create-button]"));

        await RequestClusterAsync("ml");
        await LeavePageAsync();
        var page = RenderPage<ClustersPage>(p => p.Add(x => x.Team, TeamSlug));
        page.WaitForElement("[data-testid=cluster-row]");
        Assert.Empty(page.FindAll("[data-testid=cluster-create-button]"));
    }

    [Fact]
    public async Task TheTeamPage_HasAClustersTab()
    {
        await RequestClusterAsync("ml");
        SignIn(Viewer);
        var page = RenderPage<TeamPage>(p => p.Add(x => x.Slug, TeamSlug));
        page.WaitForElement("[data-testid=team-title]");

        await page.FindAll(".mud-tab").First(t => t.TextContent.Trim() == "Clusters").ClickAsync(new MouseEventArgs());
        page.WaitForElement("[data-testid=cluster-row][data-name=ml]");
        Assert.Equal("H2", page.Find("[data-testid=clusters-heading]").TagName);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task AnAttachedCluster_ReadsAttached_AndHasNoLifecycleButtons()
    {
        await Clusters.AttachClusterAsync(Owner, TeamSlug, new AttachedCluster("onprem", EnvironmentName.Dev, Kubeconfig, "1.31"), CancellationToken.None);
        SignIn(Owner);
        var list = RenderPage<ClustersPage>(p => p.Add(x => x.Team, TeamSlug));
        Assert.Equal("Attached", list.WaitForElement("[data-testid=cluster-row] [data-testid=cluster-phase]").TextContent.Trim());

        await LeavePageAsync();
        var page = RenderPage<ClusterPage>(p => p.Add(x => x.Team, TeamSlug).Add(x => x.Name, "onprem"));
        page.WaitForElement("[data-testid=cluster-attached]");
        Assert.NotNull(page.Find("[data-testid=cluster-attached-note]"));
        Assert.Empty(page.FindAll("[data-testid=cluster-actions]"));
        Assert.Empty(page.FindAll("[data-testid=cluster-kubeconfig-button]"));
        Assert.Contains("https://k8s.example.test:6443", page.Find("[data-testid=cluster-endpoint]").TextContent);
    }
}
