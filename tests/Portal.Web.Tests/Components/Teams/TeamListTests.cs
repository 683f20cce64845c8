using Bunit;
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
    public void TheTeamList_PagesForwardAndBack()
    {
        var table = RenderPage<TeamTable>(p => p.Add(x => x.Actor, _me).Add(x => x.PageSize, 2));

        table.WaitForAssertion(() => Assert.Equal(["alpha", "bravo"], Slugs(table)));
        table.Find("[data-testid=teams-next]").Click();
        table.WaitForAssertion(() => Assert.Equal(["charlie", "delta"], Slugs(table)));
        table.Find("[data-testid=teams-next]").Click();
        table.WaitForAssertion(() => Assert.Equal(["echo"], Slugs(table)));
        Assert.True(table.Find("[data-testid=teams-next]").HasAttribute("disabled"));
        table.Find("[data-testid=teams-previous]").Click();
        table.WaitForAssertion(() => Assert.Equal(["charlie", "delta"], Slugs(table)));
    }

    [Fact]
    public void SearchingTheTeamList_ShowsOnlyMatches_OrSaysNothingMatches()
    {
        var table = RenderPage<TeamTable>(p => p.Add(x => x.Actor, _me));
        table.WaitForElement("[data-testid=team-row]");

        table.Find("[data-testid=team-search]").Input("char");
        table.WaitForAssertion(() => Assert.Equal(["charlie"], Slugs(table)), TimeSpan.FromSeconds(3));

        table.Find("[data-testid=team-search]").Input("zulu");
        table.WaitForElement("[data-testid=teams-no-match]", TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task AnOwner_MapsAnIdentityProviderGroupToARole()
    {
        var team = await Service<TeamService>().GetTeamAsync(_me, "alpha", CancellationToken.None);
        var tab = RenderPage<TeamGroupMappingsTab>(p => p.Add(x => x.Team, team).Add(x => x.Actor, _me).Add(x => x.CanManage, true));
        tab.WaitForElement("[data-testid=group-mappings-empty]");

        tab.Find("[data-testid=group-mapping-group]").Change("alpha-engineers");
        await tab.Find("[data-testid=group-mapping-add-form]").SubmitAsync();

        tab.WaitForAssertion(() => Assert.Contains("alpha-engineers", tab.Find("[data-testid=group-mappings-table]").TextContent));
        var stored = await Service<GroupMappingService>().ListAsync(_me, "alpha", CancellationToken.None);
        Assert.Equal(TeamRole.Viewer, Assert.Single(stored).Role);
    }

    private static List<string?> Slugs(IRenderedComponent<TeamTable> table) =>
        table.FindAll("[data-testid=team-row]").Select(r => r.GetAttribute("data-slug")).ToList();
}
