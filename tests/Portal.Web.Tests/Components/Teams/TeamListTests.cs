using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Access;
using Portal.Core.Teams;
using Portal.Web.Components.Pages.Teams;

namespace Portal.Web.Tests.Components.Teams;

public sealed class TeamListTests : PortalUiTest
{
    private PortalActor _me = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _me = await SignInAsync("lena");
        foreach (var slug in new[] { "alpha", "bravo", "charlie", "delta", "echo" })
            await Service<TeamService>().CreateTeamAsync(_me, new NewTeam(slug, $"Team {slug}", null, null), CancellationToken.None);
    }

    [Fact]
    public async Task TheTeamList_PagesForwardAndBack()
    {
        var table = RenderPage<TeamTable>(p => p.Add(x => x.Actor, _me).Add(x => x.PageSize, 2));

        table.WaitForAssertion(() => Assert.Equal(["alpha", "bravo"], Slugs(table)));
        await table.Find("[data-testid=teams-next]").ClickAsync(new MouseEventArgs());
        table.WaitForAssertion(() => Assert.Equal(["charlie", "delta"], Slugs(table)));
        await table.Find("[data-testid=teams-next]").ClickAsync(new MouseEventArgs());
        table.WaitForAssertion(() => Assert.Equal(["echo"], Slugs(table)));
        Assert.True(table.Find("[data-testid=teams-next]").HasAttribute("disabled"));
        await table.Find("[data-testid=teams-previous]").ClickAsync(new MouseEventArgs());
        table.WaitForAssertion(() => Assert.Equal(["charlie", "delta"], Slugs(table)));
    }

    [Fact]
    public async Task SearchingTheTeamList_ShowsOnlyMatches_OrSaysNothingMatches()
    {
        var table = RenderPage<TeamTable>(p => p.Add(x => x.Actor, _me));
        table.WaitForElement("[data-testid=team-row]");

        await table.Find("[data-testid=team-search]").InputAsync(new ChangeEventArgs { Value = "char" });
        table.WaitForAssertion(() => Assert.Equal(["charlie"], Slugs(table)), TimeSpan.FromSeconds(3));

        await table.Find("[data-testid=team-search]").InputAsync(new ChangeEventArgs { Value = "zulu" });
        table.WaitForElement("[data-testid=teams-no-match]", TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task AnOwner_MapsAnIdentityProviderGroupToARole()
    {
        var team = await Service<TeamService>().GetTeamAsync(_me, "alpha", CancellationToken.None);
        var tab = RenderPage<TeamGroupMappingsTab>(p => p.Add(x => x.Team, team).Add(x => x.Actor, _me).Add(x => x.CanManage, true));
        tab.WaitForElement("[data-testid=group-mappings-empty]");

        await tab.Find("[data-testid=group-mapping-group]").ChangeAsync(new ChangeEventArgs { Value = "alpha-engineers" });
        await tab.Find("[data-testid=group-mapping-add-form]").SubmitAsync();

        tab.WaitForAssertion(() => Assert.Contains("alpha-engineers", tab.Find("[data-testid=group-mappings-table]").TextContent));
        var stored = await Service<GroupMappingService>().ListAsync(_me, "alpha", CancellationToken.None);
        Assert.Equal(TeamRole.Viewer, Assert.Single(stored).Role);
    }

    private static List<string?> Slugs(IRenderedComponent<TeamTable> table) =>
        table.FindAll("[data-testid=team-row]").Select(r => r.GetAttribute("data-slug")).ToList();
}
