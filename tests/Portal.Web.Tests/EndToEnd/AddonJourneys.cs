using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Core.Access;
using Portal.Core.Clusters;
using Portal.Core.Environments;
using Portal.Core.Teams;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>
/// Journey 3 (issue 5's "done when"): an owner opens the catalogue, installs MLflow on the dev cluster with a changed
/// value, watches it become Healthy, is refused the alpha Luigi on staging with the reason, and promotes dev's add-ons
/// to staging after seeing the diff. The shipped catalogue, the embedded emulator's Argo CD, the portal's own Hangfire.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class AddonJourneys(PortalInABrowser portal, ITestOutputHelper output)
{
    private const string Team = "team-delta";
    private const float SlowTimeoutMs = 120_000;

    [Fact]
    public async Task Journey3_AnOwnerInstallsMlflowOnDev_IsRefusedAlphaLuigiOnStaging_AndPromotesDevToStaging()
    {
        var clock = Stopwatch.StartNew();
        await GivenTeamWithReadyDevAndStagingClustersAsync();
        output.WriteLine($"{clock.Elapsed}: both clusters Ready");
        var page = await portal.OpenPageAsync();
        await portal.SignInAsAsync(page, "dora", "/catalog");

        // The app store: find MLflow by name, open its page.
        await page.Locator("input[data-testid=catalog-search], [data-testid=catalog-search] input").First.FillAsync("mlflow");
        await Expect(page.GetByTestId("addon-card")).ToHaveCountAsync(1);
        await page.Locator("[data-testid=addon-card][data-id=mlflow]").GetByTestId("addon-link").ClickAsync();
        await page.WaitForURLAsync("**/catalog/mlflow");
        await PortalInABrowser.WaitForInteractiveAsync(page);

        // Install on dev with two replicas instead of the platform's one.
        await page.GetByTestId("addon-install-button").ClickAsync();
        var dialog = page.GetByTestId("install-dialog");
        await Expect(dialog.GetByTestId("install-cluster")).ToContainTextAsync($"{Team}/delta-dev");
        var replicas = dialog.Locator("[data-testid=schema-field][data-path='$.replicaCount'] input");
        await replicas.FillAsync("2");
        await replicas.PressAsync("Tab");
        await page.GetByTestId("install-confirm").ClickAsync();

        // The portal takes the user to the cluster's add-ons, where the phase changes by itself to Healthy.
        await page.WaitForURLAsync($"**/teams/{Team}/clusters/delta-dev#addons");
        var mlflowOnDev = page.Locator("[data-testid=cluster-addon-row][data-addon=mlflow]");
        await Expect(mlflowOnDev).ToBeVisibleAsync();
        await Expect(mlflowOnDev).ToHaveAttributeAsync("data-phase", "Healthy", new() { Timeout = SlowTimeoutMs });
        output.WriteLine($"{clock.Elapsed}: MLflow Healthy on dev");
        await mlflowOnDev.GetByTestId("cluster-addon-events-button").ClickAsync();
        await Expect(page.Locator("[data-testid=cluster-addon-events][data-addon=mlflow] [data-testid=cluster-addon-event]").First).ToBeVisibleAsync();
        await Expect(page.Locator(".mud-snackbar")).ToHaveCountAsync(0, new() { Timeout = 15_000 });
        await portal.AssertAccessibleAsync(page, "cluster page with its add-ons");

        // Luigi's only version is alpha: staging is refused, with the policy's reason in plain words.
        await portal.GoToAsync(page, "/catalog/luigi");
        var staging = page.Locator($"[data-testid=addon-eligibility-row][data-cluster='{Team}/delta-staging'] [data-testid=addon-eligibility-cell]").First;
        await Expect(staging).ToHaveAttributeAsync("data-allowed", "false");
        await Expect(staging.GetByTestId("addon-eligibility-reasons")).ToContainTextAsync("alpha");
        await page.GetByTestId("addon-install-button").ClickAsync();
        var refused = page.Locator($"[data-testid=install-refused-cluster][data-cluster='{Team}/delta-staging']");
        await Expect(refused).ToBeAttachedAsync();
        await Expect(refused).ToContainTextAsync("alpha");
        await Expect(page.GetByTestId("install-dialog").GetByTestId("install-cluster")).ToContainTextAsync($"{Team}/delta-dev");
        await page.GetByTestId("install-cancel").ClickAsync();

        // Promotion: staging gets dev's add-ons, after the diff (MLflow added, with the changed value's path).
        await portal.GoToAsync(page, $"/teams/{Team}/clusters/delta-staging");
        await Expect(page.GetByTestId("cluster-addons-empty")).ToBeVisibleAsync();
        await page.GetByTestId("cluster-addons-promote").ClickAsync();
        var promote = page.GetByTestId("promote-dialog");
        await Expect(promote.GetByTestId("promote-source")).ToContainTextAsync("delta-dev");
        var change = promote.Locator("[data-testid=promote-change][data-addon=mlflow]");
        await Expect(change).ToHaveAttributeAsync("data-kind", "added");
        await Expect(change.GetByTestId("promote-change-paths")).ToContainTextAsync("$.replicaCount");
        await Expect(promote.GetByTestId("promote-blockers")).ToHaveCountAsync(0);
        await portal.AssertAccessibleAsync(page, "promotion preview");
        await page.GetByTestId("promote-apply").ClickAsync();
        await Expect(promote.GetByTestId("promote-confirm-text")).ToContainTextAsync("staging");
        await page.GetByTestId("promote-confirm").ClickAsync();

        var mlflowOnStaging = page.Locator("[data-testid=cluster-addon-row][data-addon=mlflow]");
        await Expect(mlflowOnStaging).ToBeVisibleAsync();
        await Expect(mlflowOnStaging).ToHaveAttributeAsync("data-phase", "Healthy", new() { Timeout = SlowTimeoutMs });
        output.WriteLine($"{clock.Elapsed}: journey done");
    }

    /// <summary>
    /// What the owner's platform team set up before: the team, its dev and staging environments and one Ready cluster
    /// each (provisioned for real by the portal's reconciler against the embedded cloud).
    /// </summary>
    private async Task GivenTeamWithReadyDevAndStagingClustersAsync()
    {
        using var scope = portal.Services.CreateScope();
        var services = scope.ServiceProvider;
        var system = PortalActor.System;
        await services.GetRequiredService<TeamService>().CreateTeamAsync(system,
            new NewTeam(Team, "Team Delta", "Experiment tracking for the ranking models.", "CC-3141", "founder-delta@example.test"), default);
        await services.GetRequiredService<MemberService>().AddMemberAsync(system, Team, "dora@example.test", TeamRole.Owner, default);
        var environments = services.GetRequiredService<EnvironmentService>();
        var clusters = services.GetRequiredService<ClusterService>();
        foreach (var (environment, account, name) in new[] { (EnvironmentName.Dev, "310987654321", "delta-dev"), (EnvironmentName.Staging, "410987654321", "delta-staging") })
        {
            await environments.RegisterAsync(system, Team,
                new NewEnvironment(environment, account, "us-east-1", $"arn:aws:iam::{account}:role/delta-provisioner", null), default);
            await clusters.RequestClusterAsync(system, Team,
                new NewCluster(name, environment, [new NodePoolSpec("general", ["m5.large"], CapacityType.OnDemand, 1, 1, 2)]), default);
        }
        var deadline = Stopwatch.StartNew();
        foreach (var name in new[] { "delta-dev", "delta-staging" })
        {
            while (true)
            {
                var cluster = (await clusters.GetAsync(system, Team, name, default)).Cluster;
                if (cluster.Phase == ClusterPhase.Ready) break;
                Assert.NotEqual(ClusterPhase.Failed, cluster.Phase);
                Assert.True(deadline.Elapsed < TimeSpan.FromMilliseconds(SlowTimeoutMs), $"Cluster {name} is still {cluster.Phase}: {cluster.Message}");
                await Task.Delay(500);
            }
        }
    }
}
