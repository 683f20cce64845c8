using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Teams;
using Portal.Web.Components.Layout;
using Portal.Web.Components.Pages;
using Portal.Web.Components.Shared;

namespace Portal.Web.Tests.Components.Layout;

public sealed class LayoutTests : PortalUiTest
{
    [Fact]
    public async Task TheAdminSection_IsInTheNavigationOnlyForPlatformAdmins()
    {
        await SignInAsync("mia");
        var member = Render<NavMenu>();
        member.WaitForElement("[data-testid=nav-tokens]");
        Assert.Empty(member.FindAll("[data-testid=nav-admin-teams]"));

        await SignInAsync("ada", platformAdmin: true);
        var admin = Render<NavMenu>();
        admin.WaitForElement("[data-testid=nav-admin-teams]");
        Assert.NotNull(admin.Find("[data-testid=nav-admin-audit]"));
    }

    [Fact]
    public async Task TheUserMenu_ShowsTheDisplayName_AndSignsOutWithAnAntiforgeryPost()
    {
        await SignInAsync("mia");
        var menu = RenderPage<UserMenu>();

        menu.WaitForElement("[data-testid=user-menu] button");
        Assert.Contains("Mia", menu.Find("[data-testid=user-menu] button").TextContent);
        await menu.Find("[data-testid=user-menu] button").ClickAsync(new MouseEventArgs());
        // The menu's items render in the popover provider.
        var form = Popovers.WaitForElement("[data-testid=sign-out-form]");
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.Equal("account/sign-out", form.GetAttribute("action"));
        Assert.NotNull(form.QuerySelector("input[name=__RequestVerificationToken]"));
    }

    [Fact]
    public async Task TheDarkModeToggle_SwitchesThemeAndRemembersTheChoice()
    {
        var preference = JSInterop.Setup<string?>("unicronPortal.getThemePreference").SetResult(null);
        var store = JSInterop.SetupVoid("unicronPortal.setThemePreference", _ => true);
        var layout = Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddContent(0, "content"))));

        var toggle = layout.Find("[data-testid=dark-mode-toggle]");
        Assert.Equal("false", toggle.GetAttribute("aria-pressed"));
        await toggle.ClickAsync(new MouseEventArgs());

        Assert.Equal("true", layout.Find("[data-testid=dark-mode-toggle]").GetAttribute("aria-pressed"));
        Assert.Equal("dark", store.Invocations.Single().Arguments[0]);
        Assert.NotNull(preference);
    }

    [Fact]
    public void AStoredDarkPreference_IsAppliedOnFirstRender()
    {
        JSInterop.Setup<string?>("unicronPortal.getThemePreference").SetResult("dark");
        var layout = Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddContent(0, "content"))));

        layout.WaitForAssertion(() => Assert.Equal("true", layout.Find("[data-testid=dark-mode-toggle]").GetAttribute("aria-pressed")));
    }

    [Fact]
    public void AnAnonymousVisitor_IsSentToSignInWithTheirReturnUrl()
    {
        SignOut();
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/teams/data-science?tab=members");

        Render<RedirectToSignIn>();

        Assert.EndsWith("/account/sign-in?returnUrl=%2Fteams%2Fdata-science%3Ftab%3Dmembers", navigation.Uri);
    }

    [Fact]
    public async Task TheDashboard_GreetsANewcomer_AndInvitesThemToCreateTheirFirstTeam()
    {
        await SignInAsync("nina");
        var page = RenderPage<Home>();

        Assert.Contains("Nina", page.WaitForElement("[data-testid=greeting]").TextContent);
        Assert.Contains("Create your first team", page.WaitForElement("[data-testid=dashboard-empty]").TextContent);
    }

    [Fact]
    public async Task TheDashboard_ListsMyTeams()
    {
        var me = await SignInAsync("nina");
        await Service<TeamService>().CreateTeamAsync(me, new NewTeam("vision", "Computer Vision", null, null), CancellationToken.None);
        var page = RenderPage<Home>();

        Assert.Contains("Computer Vision", page.WaitForElement("[data-testid=dashboard-teams]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=dashboard-empty]"));
    }
}
