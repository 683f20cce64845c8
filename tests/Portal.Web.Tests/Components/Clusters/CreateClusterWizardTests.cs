using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Clusters;
using Portal.Core.Teams;
using Portal.Web.Components.Pages.Clusters;

namespace Portal.Web.Tests.Components.Clusters;

public sealed class CreateClusterWizardTests : ClusterUiTest
{
    [Fact]
    public async Task ABadName_MinAboveMax_AndAPoolWithoutInstanceType_ShowFieldMessages_AndKeepTheInput()
    {
        SignIn(Maintainer);
        var page = RenderWizard();

        Next(page);
        await page.Find("[data-testid=cluster-name] input, input[data-testid=cluster-name]").InputAsync(new ChangeEventArgs { Value = "Bad_Name" });
        // The DNS-1123 hint shows while typing, before anything is sent.
        page.WaitForAssertion(() => Assert.Contains("Cluster name must consist of lower-case letters", page.Markup));

        Next(page);
        await page.FindAll("input[data-testid=node-pool-min]")[0].ChangeAsync(new ChangeEventArgs { Value = "5" });
        await page.Find("[data-testid=node-pool-add]").ClickAsync(new MouseEventArgs());
        Assert.Equal(2, page.FindAll("[data-testid=node-pool]").Count);

        Next(page);
        await page.Find("[data-testid=cluster-wizard-submit]").ClickAsync(new MouseEventArgs());

        // Back on the first step with a problem: the name, as the service phrased it, and the name as typed.
        page.WaitForAssertion(() => Assert.Equal("step", page.Find("[data-testid=cluster-wizard-step-1]").GetAttribute("aria-current")));
        Assert.Equal("Bad_Name", page.Find("input[data-testid=cluster-name]").GetAttribute("value"));
        Assert.Contains("Cluster name must consist of lower-case letters", page.Markup);
        Assert.Contains("needs attention", page.Find("[data-testid=cluster-wizard-step-2]").TextContent);

        await page.Find("[data-testid=cluster-wizard-step-2]").ClickAsync(new MouseEventArgs());
        page.WaitForAssertion(() => Assert.Contains("Min nodes must not exceed maxSize (3).", page.Markup));
        Assert.Contains("Desired nodes must be between minSize (5) and maxSize (3).", page.Markup);
        Assert.Contains("Instance types must name at least one instance type.", page.Find("[data-testid=node-pool][data-index='1']").TextContent);
        Assert.Equal("5", page.FindAll("input[data-testid=node-pool-min]")[0].GetAttribute("value"));
        Assert.Equal(2, page.FindAll("[data-testid=node-pool]").Count);

        var clusters = await Clusters.ListAsync(Owner, TeamSlug, new ClusterQuery(), CancellationToken.None);
        Assert.Empty(clusters.Items);
        Assert.Empty(Jobs.Jobs);
    }

    [Fact]
    public async Task AGpuInstanceType_MarksItsPoolAndExplainsTheTaintAndImage()
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        Next(page);
        Next(page);
        Assert.Empty(page.FindAll("[data-testid=node-pool-gpu-note]"));

        await page.Find("[data-testid=node-pool-add]").ClickAsync(new MouseEventArgs());
        var gpuPool = PoolAt(page, 1);
        AddInstanceType(page, gpuPool, "g5.xlarge");

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=node-pool-gpu-note]")));
        var note = PoolAt(page, 1).QuerySelector("[data-testid=node-pool-gpu-note]")!.TextContent;
        Assert.Contains("nvidia.com/gpu=true:NoSchedule", note);
        Assert.Contains("NVIDIA", note);
        Assert.NotNull(PoolAt(page, 1).QuerySelector("[data-testid=node-pool-gpu-badge]"));
        Assert.Null(PoolAt(page, 0).QuerySelector("[data-testid=node-pool-gpu-note]"));
        Assert.Contains("1 × NVIDIA A10G", PoolAt(page, 1).QuerySelector("[data-testid=instance-type-selected]")!.TextContent);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task ThePicker_ShowsVcpuMemoryGpuAndPrice_WithTheRegionOfThePrice()
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        Next(page);
        Next(page);
        await PoolAt(page, 0).QuerySelector("[data-testid=instance-type-picker-toggle]")!.ClickAsync(new MouseEventArgs());
        await page.Find("input[data-testid=instance-type-search]").InputAsync(new ChangeEventArgs { Value = "g5.xlarge" });

        var row = page.WaitForElement("[data-testid=instance-type-option][data-name='g5.xlarge']");
        var cells = row.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(["g5.xlarge", "4", "16 GiB", "1 × NVIDIA A10G", "$1.006/h"], cells.Take(5));
        Assert.Contains("us-east-1 on-demand price", page.Find("[data-testid=instance-type-options]").TextContent);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task CreatingAClusterWithASpotPoolAndAGpuPool_RecordsIt_AndOpensItsPage()
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        Assert.NotNull(page.Find("[data-testid=cluster-environment-dev]"));
        Next(page);
        await page.Find("input[data-testid=cluster-name]").InputAsync(new ChangeEventArgs { Value = "ml" });
        Next(page);
        ChooseSpot(page, 0);
        await page.Find("[data-testid=node-pool-add]").ClickAsync(new MouseEventArgs());
        var gpu = PoolAt(page, 1);
        await gpu.QuerySelector("input[data-testid=node-pool-name]")!.ChangeAsync(new ChangeEventArgs { Value = "gpu" });
        AddInstanceType(page, PoolAt(page, 1), "g5.xlarge");
        Next(page);
        Assert.Contains("GPU pool", page.Find("[data-testid=cluster-review]").TextContent);
        await page.Find("[data-testid=cluster-wizard-submit]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.EndsWith("/teams/data-science/clusters/ml", Services.GetService<NavigationManager>()!.Uri));
        var created = await Clusters.GetAsync(Owner, TeamSlug, "ml", CancellationToken.None);
        Assert.Equal(Clusters.DefaultVersion, created.Cluster.KubernetesVersion);
        var general = created.Cluster.NodePools.Single(p => p.Name == "general");
        Assert.Equal(CapacityType.Spot, general.CapacityType);
        var gpuPool = created.Cluster.NodePools.Single(p => p.Name == "gpu");
        Assert.True(gpuPool.IsGpu);
        Assert.Equal(NodePool.NvidiaAmiType, gpuPool.AmiType);
        Assert.Contains(NodePool.GpuTaint, gpuPool.Taints);
        Assert.Single(Jobs.Jobs);
    }

    [Fact]
    public async Task ATeamWithoutEnvironments_IsToldHowToRegisterOne()
    {
        await Service<TeamService>().CreateTeamAsync(Maintainer, new NewTeam("fraud", "Fraud", null, null), CancellationToken.None);
        SignIn(Maintainer);
        var page = RenderPage<CreateClusterPage>(p => p.Add(x => x.Team, "fraud"));

        page.WaitForElement("[data-testid=cluster-wizard-no-environments]");
        Assert.Equal("/teams/fraud?tab=environments", page.Find("[data-testid=cluster-wizard-register-environment-link]").GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-testid=cluster-wizard-submit]"));
        Assert.Empty(page.FindAll("[data-testid=cluster-wizard-next]"));
    }

    [Fact]
    public async Task AViewer_GetsNoWizard()
    {
        SignIn(Viewer);
        var page = RenderPage<CreateClusterPage>(p => p.Add(x => x.Team, TeamSlug));

        page.WaitForElement("[data-testid=cluster-wizard-read-only]");
        Assert.Empty(page.FindAll("[data-testid=cluster-wizard-next]"));
        Assert.Empty(page.FindAll("input"));
        await Task.CompletedTask;
    }

    private IRenderedComponent<CreateClusterPage> RenderWizard()
    {
        var page = RenderPage<CreateClusterPage>(p => p.Add(x => x.Team, TeamSlug));
        page.WaitForElement("[data-testid=cluster-wizard-next]");
        return page;
    }

    private static void Next(IRenderedComponent<CreateClusterPage> page) => page.Find("[data-testid=cluster-wizard-next]").Click();

    private static IElement PoolAt(IRenderedComponent<CreateClusterPage> page, int index) =>
        page.Find($"[data-testid=node-pool][data-index='{index}']");

    private static void AddInstanceType(IRenderedComponent<CreateClusterPage> page, IElement pool, string type)
    {
        var index = pool.GetAttribute("data-index");
        pool.QuerySelector("[data-testid=instance-type-picker-toggle]")!.Click();
        page.Find($"[data-testid=node-pool][data-index='{index}'] input[data-testid=instance-type-search]").Input(type);
        page.WaitForElement($"[data-testid=node-pool][data-index='{index}'] button[data-testid=instance-type-add][data-name='{type}']").Click();
        page.WaitForElement($"[data-testid=node-pool][data-index='{index}'] [data-testid=instance-type-selected][data-name='{type}']");
    }

    // MudBlazor puts the test id on the radio's <input>, which reacts to clicks.
    private static void ChooseSpot(IRenderedComponent<CreateClusterPage> page, int index) =>
        page.Find($"[data-testid=node-pool][data-index='{index}'] input[data-testid=node-pool-capacity-spot]").Click();
}
