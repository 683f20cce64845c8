using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Core.Access;
using Portal.Core.Teams;
using static Microsoft.Playwright.Assertions;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>
/// The foundation's journeys (issue 8: 1, 6 and 7), each from sign-in through the real provider, in Chromium. Each
/// uses its own people and team slugs, so they pass in any order on the collection's one portal.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class FoundationJourneys(PortalInABrowser portal)
{
    [Fact]
    public async Task Journey1_AnAdminCreatesATeamAndMapsAnIdpGroup_TheOwnerSignsInAndSeesIt()
    {
        var admin = await portal.OpenPageAsync();
        await portal.SignInAsAsync(admin, "alice", "/teams");
        await admin.GetByTestId("create-team-button").ClickAsync();

        // A slug that breaks the rule: the message says how to fix it, and nothing typed is lost.
        await admin.GetByTestId("team-slug").FillAsync("Team Alpha");
        await admin.GetByTestId("team-display-name").FillAsync("Team Alpha");
        await admin.GetByTestId("team-cost-centre").FillAsync("CC-4711");
        await admin.GetByTestId("create-team-submit").ClickAsync();
        await Expect(admin.GetByTestId("create-team-form")).ToContainTextAsync("Slug must consist of lower-case letters, digits and '-'");
        await Expect(admin.GetByTestId("team-slug")).ToHaveValueAsync("Team Alpha");
        await Expect(admin.GetByTestId("team-display-name")).ToHaveValueAsync("Team Alpha");
        await Expect(admin.GetByTestId("team-cost-centre")).ToHaveValueAsync("CC-4711");
        await portal.AssertAccessibleAsync(admin, "create team dialog with a validation error");

        await admin.GetByTestId("team-slug").FillAsync("team-alpha");
        await admin.GetByTestId("create-team-submit").ClickAsync();
        await admin.WaitForURLAsync("**/teams/team-alpha");
        await Expect(admin.GetByTestId("team-title")).ToHaveTextAsync("Team Alpha");

        await admin.GetByRole(AriaRole.Tab, new() { Name = "Group mappings" }).ClickAsync();
        await admin.GetByTestId("group-mapping-group").FillAsync("team-alpha-owners");
        await ChooseAsync(admin, "group-mapping-role", "owner");
        await admin.GetByTestId("group-mapping-add-submit").ClickAsync();
        await Expect(admin.GetByTestId("group-mapping-row")).ToContainTextAsync("team-alpha-owners");
        // The role column, not the row: the group's own name contains "owner" too.
        await Expect(admin.GetByTestId("group-mapping-row").Locator("td").Nth(1)).ToHaveTextAsync("owner");

        // Olivia's IdP groups include team-alpha-owners: signing in is all it takes, on a phone-sized window too.
        var owner = await portal.OpenPageAsync(PortalInABrowser.Narrow);
        await portal.SignInAsAsync(owner, "olivia");
        await Expect(owner.GetByTestId("dashboard-teams")).ToContainTextAsync("Team Alpha");
        await Expect(owner.GetByTestId("dashboard-teams")).ToContainTextAsync("owner");
        await PortalInABrowser.AssertNoHorizontalOverflowAsync(owner, "the dashboard");
        await OpenNavigationAsync(owner);
        await owner.GetByTestId("nav-teams").ClickAsync();
        await owner.GetByRole(AriaRole.Link, new() { Name = "Team Alpha" }).ClickAsync();
        await Expect(owner.GetByTestId("team-my-role")).ToHaveTextAsync("your role: owner");
        await PortalInABrowser.AssertNoHorizontalOverflowAsync(owner, "the team page");
    }

    [Fact]
    public async Task Journey6_AnOwnerCreatesAnAccessTokenSeesItOnce_AndAScriptCallsTheApiWithIt()
    {
        await GivenTeamAsync("team-beta", ownersGroup: "team-beta-owners");
        var page = await portal.OpenPageAsync();
        await portal.SignInAsAsync(page, "oscar", "/tokens");
        await page.GetByTestId("token-new-button").ClickAsync();

        // No name: the form says what is missing and keeps the chosen scopes.
        await page.GetByTestId("token-scope-write").ClickAsync();
        await page.GetByTestId("token-create-submit").ClickAsync();
        await Expect(page.GetByTestId("token-create-form")).ToContainTextAsync("Name is required.");
        await Expect(page.GetByTestId("token-name")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByTestId("token-scope-write")).ToBeCheckedAsync();

        await page.GetByTestId("token-name").FillAsync("CI deploy script");
        await page.GetByTestId("token-create-submit").ClickAsync();
        var secret = (await page.GetByTestId("token-secret").TextContentAsync())!.Trim();
        await page.GetByTestId("token-secret-copy").ClickAsync();
        await Expect(page.GetByTestId("token-secret-copy")).ToHaveTextAsync("Copied");
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await PortalInABrowser.ScreenshotAsync(page, "tokens", forReadme: true);
        await portal.AssertAccessibleAsync(page, "tokens, with a new secret and an active token");

        // What a script does with it: curl -H "Authorization: Bearer $TOKEN" .../api/v1/me
        using var script = portal.ApiClient(secret);
        var me = await script.GetFromJsonAsync<JsonElement>("/api/v1/me");
        Assert.Equal("oscar@example.test", me.GetProperty("email").GetString());
        var teams = await script.GetStringAsync("/api/v1/teams");
        Assert.Contains("\"team-beta\"", teams);

        // Shown once: a reload shows the token's row and hint, never the secret again.
        await page.ReloadAsync();
        await PortalInABrowser.WaitForInteractiveAsync(page);
        await Expect(page.GetByTestId("token-row")).ToContainTextAsync("CI deploy script");
        await Expect(page.GetByTestId("token-secret")).ToHaveCountAsync(0);
        Assert.DoesNotContain(secret, await page.ContentAsync());
    }

    [Fact]
    public async Task Journey7_SigningOut_EndsTheSession()
    {
        var page = await portal.OpenPageAsync();
        await portal.SignInAsAsync(page, "victor");
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "unicron.session");

        await page.GetByTestId("user-menu").GetByRole(AriaRole.Button).ClickAsync();
        await page.GetByTestId("sign-out-button").ClickAsync();
        // The portal also ends the provider's session; the provider asks before it does.
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, sign me out" }).ClickAsync();
        await page.WaitForLoadStateAsync();

        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "unicron.session");
        await page.GotoAsync("/teams");
        Assert.True(portal.IsProvider(page.Url), $"After signing out, /teams should lead to the provider's sign-in, not {page.Url}.");
        await Expect(page.Locator("input[name=login]")).ToBeVisibleAsync();

        // The API never takes the browser's cookie, before or after: a script gets 401, not a sign-in page.
        using var api = portal.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
        request.Headers.Add("Cookie", $"{session.Name}={session.Value}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.SendAsync(request)).StatusCode);
    }

    /// <summary>A team whose owners come from an IdP group: what an admin set up before the journey starts.</summary>
    private async Task GivenTeamAsync(string slug, string ownersGroup)
    {
        using var scope = portal.Services.CreateScope();
        var teams = scope.ServiceProvider.GetRequiredService<TeamService>();
        await teams.CreateTeamAsync(PortalActor.System, new NewTeam(slug, slug, null, null, $"founder-{slug}@example.test"), default);
        await scope.ServiceProvider.GetRequiredService<GroupMappingService>().AddAsync(PortalActor.System, slug, ownersGroup, TeamRole.Owner, default);
    }

    /// <summary>Picks an option of a MudSelect (a list in a popover, not a native select).</summary>
    private static async Task ChooseAsync(IPage page, string testId, string option)
    {
        await page.GetByTestId(testId).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true }).ClickAsync();
        // The select shows the choice only once the circuit has applied it; submitting earlier (a loaded machine) sent
        // the previous value. Wait for the rendered choice, whether the test id sits on the input or around it.
        await page.WaitForFunctionAsync("""
            ([id, text]) => {
                const e = document.querySelector(`[data-testid="${id}"]`);
                if (!e) return false;
                const shown = [e.value, e.textContent, e.querySelector('input')?.value].join(' ').toLowerCase();
                return shown.includes(text.toLowerCase());
            }
            """, new object[] { testId, option });
    }

    /// <summary>On a narrow window the drawer starts closed; the menu button opens it.</summary>
    private static async Task OpenNavigationAsync(IPage page)
    {
        if (!await page.GetByTestId("nav-teams").IsVisibleAsync()) await page.GetByTestId("nav-toggle").ClickAsync();
        await Expect(page.GetByTestId("nav-teams")).ToBeVisibleAsync();
    }
}
