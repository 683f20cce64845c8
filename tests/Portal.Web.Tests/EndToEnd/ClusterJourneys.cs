using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Core.Access;
using Portal.Core.Teams;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>
/// Journey 2 (issue 8, required by issue 4): an owner registers the dev environment, creates a cluster with a spot
/// and a GPU pool through the wizard, and watches it reach Ready with its events, without reloading. The portal's cloud
/// is the embedded emulator (<see cref="PortalInABrowser"/> shortens its lifecycles); the reconciler runs in the
/// portal's own Hangfire server on PostgreSQL.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ClusterJourneys(PortalInABrowser portal, ITestOutputHelper output)
{
    /// <summary>Provisioning is a chain of Hangfire jobs and emulator lifecycles: generous, so a slow CI runner does not flake.</summary>
    private const float ReadyTimeoutMs = 120_000;

    [Fact]
    public async Task Journey2_AnOwnerRegistersDev_CreatesAClusterWithASpotAndAGpuPool_AndWatchesItBecomeReady()
    {
        var clock = Stopwatch.StartNew();
        await GivenTeamWithOwnerAsync("team-gamma", "gina@example.test");
        var page = await portal.OpenPageAsync();
        await portal.SignInAsAsync(page, "gina", "/teams/team-gamma");

        // The dev environment: any account and role do, the embedded cloud trusts the portal with them.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Environments" }).ClickAsync();
        await page.GetByTestId("environment-register-button").ClickAsync();
        await page.GetByTestId("environment-account-id").FillAsync("210987654321");
        await page.GetByTestId("environment-role-arn").FillAsync("arn:aws:iam::210987654321:role/gamma-provisioner");
        await page.GetByTestId("environment-register-submit").ClickAsync();
        await Expect(page.GetByTestId("environment-external-id-once")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=environment-row][data-name=dev]")).ToBeVisibleAsync();

        // From the navigation's Clusters to the team's empty list, whose call to action starts the wizard.
        await page.GetByTestId("nav-clusters").ClickAsync();
        await page.WaitForURLAsync("**/clusters");
        await page.Locator("[data-testid=all-clusters-team][data-team=team-gamma]").GetByTestId("cluster-create-button").ClickAsync();
        await page.WaitForURLAsync("**/teams/team-gamma/clusters/new");

        await page.GetByTestId("cluster-environment-dev").ClickAsync();
        await page.GetByTestId("cluster-wizard-next").ClickAsync();
        await page.GetByTestId("cluster-name").FillAsync("gamma-dev");
        await Expect(page.GetByText("'gamma-dev' is a valid name")).ToBeVisibleAsync();
        await page.GetByTestId("cluster-wizard-next").ClickAsync();

        // The suggested pool becomes the spot pool; a second pool gets a GPU type from the picker.
        var spot = page.Locator("[data-testid=node-pool][data-index='0']");
        await RenamePoolAsync(spot, "spot");
        await spot.GetByTestId("node-pool-capacity-spot").ClickAsync();
        await page.GetByTestId("node-pool-add").ClickAsync();
        var gpu = page.Locator("[data-testid=node-pool][data-index='1']");
        await RenamePoolAsync(gpu, "gpu");
        await gpu.GetByTestId("instance-type-picker-toggle").ClickAsync();
        await gpu.GetByTestId("instance-type-search").FillAsync("g5.xlarge");
        await gpu.Locator("[data-testid=instance-type-add][data-name='g5.xlarge']").ClickAsync();
        await Expect(gpu.Locator("[data-testid=instance-type-selected][data-name='g5.xlarge']")).ToBeVisibleAsync();
        await Expect(gpu.GetByTestId("node-pool-gpu-note")).ToBeVisibleAsync();
        await page.GetByTestId("cluster-wizard-next").ClickAsync();

        await Expect(page.GetByTestId("cluster-review-name")).ToHaveTextAsync("gamma-dev");
        await Expect(page.GetByTestId("cluster-review-pool")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("cluster-review-pool").Nth(0)).ToContainTextAsync("spot");
        await Expect(page.GetByTestId("cluster-review-pool").Nth(1)).ToContainTextAsync("GPU pool");
        await page.GetByTestId("cluster-wizard-submit").ClickAsync();
        await page.WaitForURLAsync("**/teams/team-gamma/clusters/gamma-dev");

        // From here on the page must change by itself: a marker on the document would be gone after any reload.
        await page.EvaluateAsync("() => { window.journey2SameDocument = true; }");
        var phase = page.GetByTestId("cluster-phase");
        await Expect(page.GetByTestId("cluster-progress")).ToBeVisibleAsync();
        output.WriteLine($"{clock.Elapsed}: cluster page shows {await phase.GetAttributeAsync("data-phase")} with progress");
        await Expect(page.Locator("[data-testid=cluster-phase][data-phase='Ready' i]")).ToBeVisibleAsync(new() { Timeout = ReadyTimeoutMs });
        output.WriteLine($"{clock.Elapsed}: Ready");
        Assert.True(await page.EvaluateAsync<bool>("() => window.journey2SameDocument === true"), "The page was reloaded on the way to Ready.");
        await Expect(page.GetByTestId("cluster-progress")).ToHaveCountAsync(0);

        // The timeline tells the story, step by step, and the pools are the ones asked for.
        var events = page.GetByTestId("cluster-events");
        foreach (var step in new[] { "control-plane", "nodegroup:spot", "nodegroup:gpu", "core", "ready" })
            await Expect(events.Locator($"[data-testid=cluster-event][data-step='{step}']").First).ToBeVisibleAsync();
        await Expect(events.Locator("[data-testid=cluster-event][data-step=ready]")).ToHaveAttributeAsync("data-outcome", "succeeded");
        await Expect(page.Locator("[data-testid=node-pool-row][data-name=spot]")).ToContainTextAsync("spot");
        await Expect(page.Locator("[data-testid=node-pool-row][data-name=gpu]").GetByTestId("node-pool-gpu-badge")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("cluster-endpoint")).Not.ToHaveTextAsync("not known yet");

        // The wizard's "requested" snackbar fades out about now; axe would read its half-transparent colours.
        await Expect(page.Locator(".mud-snackbar")).ToHaveCountAsync(0);
        await PortalInABrowser.ScreenshotAsync(page, "cluster-page", forReadme: true);
        await portal.AssertAccessibleAsync(page, "cluster page, Ready, with its timeline");
        output.WriteLine($"{clock.Elapsed}: journey done");
    }

    /// <summary>The pool name is bound on change: leave the field so the editor takes it before the next click.</summary>
    private static async Task RenamePoolAsync(ILocator pool, string name)
    {
        var field = pool.GetByTestId("node-pool-name");
        await field.FillAsync(name);
        await field.PressAsync("Tab");
        await Expect(pool).ToHaveAttributeAsync("data-name", name);
    }

    /// <summary>A team the owner was added to by email before the journey: what an admin or another owner set up.</summary>
    private async Task GivenTeamWithOwnerAsync(string slug, string ownerEmail)
    {
        using var scope = portal.Services.CreateScope();
        var services = scope.ServiceProvider;
        await services.GetRequiredService<TeamService>().CreateTeamAsync(PortalActor.System,
            new NewTeam(slug, "Team Gamma", "Training pipelines on GPUs.", "CC-2077", $"founder-{slug}@example.test"), default);
        await services.GetRequiredService<MemberService>().AddMemberAsync(PortalActor.System, slug, ownerEmail, TeamRole.Owner, default);
    }
}
