using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Teams;
using Portal.Web.Components.Pages.Admin;

namespace Portal.Web.Tests.Components.Admin;

public sealed class AdminPagesTests : PortalUiTest
{
    [Fact]
    public async Task SomeoneWhoIsNotAPlatformAdmin_GetsANotAllowedMessageOnBothAdminPages()
    {
        await SignInAsync("una");

        RenderPage<AdminTeamsPage>().WaitForElement("[data-testid=status-forbidden]");
        RenderPage<AdminAuditPage>().WaitForElement("[data-testid=status-forbidden]");
    }

    [Fact]
    public async Task APlatformAdmin_SeesEveryTeam_IncludingTeamsTheyAreNotIn()
    {
        var owner = await CreateUserAsync("owen");
        await Service<TeamService>().CreateTeamAsync(owner, new NewTeam("search", "Search", null, null), CancellationToken.None);
        await Service<TeamService>().CreateTeamAsync(owner, new NewTeam("ads", "Ads", null, null), CancellationToken.None);
        await SignInAsync("ada", platformAdmin: true);

        var page = RenderPage<AdminTeamsPage>();

        page.WaitForAssertion(() => Assert.Equal(["ads", "search"], page.FindAll("[data-testid=team-row]").Select(r => r.GetAttribute("data-slug"))));
        Assert.Contains("not a member", page.Find("[data-testid=teams-table]").TextContent);
    }

    [Fact]
    public async Task TheAuditLog_FiltersByTeamAndAction_AndShowsBeforeAndAfter()
    {
        var owner = await CreateUserAsync("owen");
        await Service<TeamService>().CreateTeamAsync(owner, new NewTeam("search", "Search", null, null), CancellationToken.None);
        await Service<TeamService>().CreateTeamAsync(owner, new NewTeam("ads", "Ads", null, null), CancellationToken.None);
        await Service<TeamService>().UpdateTeamAsync(owner, "ads", new TeamChanges("Advertising", null, null), null, CancellationToken.None);
        await SignInAsync("ada", platformAdmin: true);

        var page = RenderPage<AdminAuditPage>();
        page.WaitForElement("[data-testid=audit-table]");
        await page.Find("[data-testid=audit-filter-team]").ChangeAsync(new ChangeEventArgs { Value = "ads" });
        await page.Find("[data-testid=audit-filter-action]").ChangeAsync(new ChangeEventArgs { Value = "team.update" });
        await page.Find("[data-testid=audit-filters]").SubmitAsync();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=audit-row]")));
        await page.Find("[data-testid=audit-details-toggle]").ClickAsync(new MouseEventArgs());
        var details = page.Find("[data-testid=audit-details]").TextContent;
        Assert.Contains("\"displayName\": \"Ads\"", details);
        Assert.Contains("\"displayName\": \"Advertising\"", details);
    }

    [Fact]
    public async Task FilteringTheAuditLogByAnUnknownTeam_SaysSoOnTheField()
    {
        await SignInAsync("ada", platformAdmin: true);
        var page = RenderPage<AdminAuditPage>();
        page.WaitForElement("[data-testid=audit-filters]");
        await page.Find("[data-testid=audit-filter-team]").ChangeAsync(new ChangeEventArgs { Value = "nope" });
        await page.Find("[data-testid=audit-filters]").SubmitAsync();

        page.WaitForAssertion(() => Assert.Contains("Team — no such team.", page.Markup));
    }
}
