using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Core.Access;
using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Environments;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;
using Portal.Core.Teams;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>
/// Every main page, as a platform admin sees it (the widest view): no serious or critical axe violation, a screenshot
/// each, and on a narrow window no sideways scrolling.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class MainPagesTests(PortalInABrowser portal)
{
    private static readonly (string Name, string Path)[] MainPages =
    [
        ("dashboard", "/"),
        ("teams", "/teams"),
        ("team-overview", "/teams/data-science"),
        ("team-members", "/teams/data-science?tab=members"),
        ("team-environments", "/teams/data-science?tab=environments"),
        ("team-page", "/teams/data-science?tab=groups"),
        ("team-audit", "/teams/data-science?tab=audit"),
        ("team-clusters", "/teams/data-science?tab=clusters"),
        ("team-clusters-page", "/teams/data-science/clusters"),
        ("clusters", "/clusters"),
        ("cluster", "/teams/data-science/clusters/models"),
        ("catalog", "/catalog"),
        ("catalog-mlflow", "/catalog/mlflow"),
        ("team-costs", "/teams/data-science/costs"),
        ("tokens", "/tokens"),
        ("admin-teams", "/admin/teams"),
        ("admin-audit", "/admin/audit"),
        ("admin-maturity-overrides", "/admin/maturity-overrides"),
        ("admin-costs", "/admin/costs"),
    ];

    /// <summary>The pictures the README shows.</summary>
    private static readonly HashSet<string> ReadmePictures = ["dashboard", "team-page", "admin-audit"];

    [Fact]
    public async Task EveryMainPage_PassesAxe_AtDesktopSize()
    {
        await GivenDataScienceTeamAsync();
        var page = await portal.OpenPageAsync();
        await portal.SignInAsAsync(page, "alice");
        foreach (var (name, path) in MainPages)
        {
            await portal.GoToAsync(page, path);
            await PortalInABrowser.ScreenshotAsync(page, name, forReadme: ReadmePictures.Contains(name));
            await portal.AssertAccessibleAsync(page, name);
        }
        await ForEachWizardStepAsync(page, async step =>
        {
            await PortalInABrowser.ScreenshotAsync(page, step);
            await portal.AssertAccessibleAsync(page, step);
        });
        await ForEachEndpointWizardStepAsync(page, async step =>
        {
            await PortalInABrowser.ScreenshotAsync(page, step);
            await portal.AssertAccessibleAsync(page, step);
        });
    }

    [Fact]
    public async Task EveryMainPage_FitsANarrowWindow_WithNavigationWithinReach()
    {
        await GivenDataScienceTeamAsync();
        var page = await portal.OpenPageAsync(PortalInABrowser.Narrow);
        await portal.SignInAsAsync(page, "alice");
        foreach (var (name, path) in MainPages)
        {
            await portal.GoToAsync(page, path);
            await PortalInABrowser.AssertNoHorizontalOverflowAsync(page, name);
        }
        await ForEachWizardStepAsync(page, step => PortalInABrowser.AssertNoHorizontalOverflowAsync(page, step));
        await ForEachEndpointWizardStepAsync(page, step => PortalInABrowser.AssertNoHorizontalOverflowAsync(page, step));
        await page.GetByTestId("nav-toggle").ClickAsync();
        await page.GetByTestId("nav-admin-audit").ClickAsync();
        await page.WaitForURLAsync("**/admin/audit");
        await PortalInABrowser.ScreenshotAsync(page, "narrow-admin-audit");
    }

    /// <summary>
    /// The create-cluster wizard, step by step (one address, so not in <see cref="MainPages"/>): environment, name and
    /// version, node pools with the instance-type picker open (its table is the widest thing in the wizard), review.
    /// </summary>
    private async Task ForEachWizardStepAsync(IPage page, Func<string, Task> check)
    {
        await portal.GoToAsync(page, "/teams/data-science/clusters/new");
        await check("cluster-wizard-environment");
        await page.GetByTestId("cluster-wizard-next").ClickAsync();
        await page.GetByTestId("cluster-name").FillAsync("notebooks");
        await check("cluster-wizard-name");
        await page.GetByTestId("cluster-wizard-next").ClickAsync();
        await page.GetByTestId("instance-type-picker-toggle").ClickAsync();
        await page.GetByTestId("instance-type-search").FillAsync("g5");
        await Assertions.Expect(page.GetByTestId("instance-type-option").First).ToBeVisibleAsync();
        await check("cluster-wizard-node-pools");
        await page.GetByTestId("cluster-wizard-next").ClickAsync();
        await Assertions.Expect(page.GetByTestId("cluster-review")).ToBeVisibleAsync();
        await check("cluster-wizard-review");
    }

    /// <summary>
    /// The endpoint wizard's steps with the most on them: the GPU picker's table, and autoscaling at minimum 0 (the
    /// caveat) with a query that fails to parse (the message and the caret under it). The review with its manifests
    /// is checked in journey 4, where the cluster is Ready.
    /// </summary>
    private async Task ForEachEndpointWizardStepAsync(IPage page, Func<string, Task> check)
    {
        await portal.GoToAsync(page, "/teams/data-science/clusters/models/endpoints/new");
        await page.GetByTestId("endpoint-name").FillAsync("resnet");
        await check("endpoint-wizard-server");
        await page.GetByTestId("endpoint-wizard-step-2").ClickAsync();
        await Assertions.Expect(page.GetByTestId("gpu-option").First).ToBeVisibleAsync();
        await check("endpoint-wizard-gpu");
        await page.GetByTestId("endpoint-wizard-step-3").ClickAsync();
        await page.Locator("input[data-testid=endpoint-min]").FillAsync("0");
        await page.Locator("input[data-testid=endpoint-min]").PressAsync("Tab");
        await page.Locator("[data-testid=trigger-query] textarea").FillAsync("sum(rate(nv_inference_request_success[1m])");
        await Assertions.Expect(page.GetByTestId("promql-caret")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("scale-to-zero-note")).ToBeVisibleAsync();
        await check("endpoint-wizard-autoscaling");
    }

    /// <summary>A team with a member, an environment, a cluster and a group mapping, so the tabs show content rather than empty states.</summary>
    private async Task GivenDataScienceTeamAsync()
    {
        using var scope = portal.Services.CreateScope();
        var services = scope.ServiceProvider;
        var teams = services.GetRequiredService<TeamService>();
        try
        {
            await teams.CreateTeamAsync(PortalActor.System,
                new NewTeam("data-science", "Data science", "Models, notebooks and the feature store.", "CC-1042", "dana@example.test"), default);
        }
        catch (ConflictException)
        {
            return; // the other test of this class made it already
        }
        await services.GetRequiredService<GroupMappingService>().AddAsync(PortalActor.System, "data-science", "data-science-owners", TeamRole.Owner, default);
        await services.GetRequiredService<GroupMappingService>().AddAsync(PortalActor.System, "data-science", "data-science-readers", TeamRole.Viewer, default);
        await services.GetRequiredService<MemberService>().AddMemberAsync(PortalActor.System, "data-science", "victor@example.test", TeamRole.Viewer, default);
        await services.GetRequiredService<EnvironmentService>().RegisterAsync(PortalActor.System, "data-science",
            new NewEnvironment(EnvironmentName.Dev, "123456789012", "eu-west-1", "arn:aws:iam::123456789012:role/unicron-provisioner", null), default);
        // Provisioned in the background by the embedded cloud; the pages show it in whatever phase it has reached.
        await services.GetRequiredService<ClusterService>().RequestClusterAsync(PortalActor.System, "data-science", new NewCluster("models", EnvironmentName.Dev,
        [
            new NodePoolSpec("general", ["m5.large"], CapacityType.OnDemand, 1, 2, 3),
            new NodePoolSpec("gpu", ["g5.xlarge"], CapacityType.Spot, 0, 1, 2),
        ]), default);
    }
}
