using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Access;
using Portal.Core.Teams;
using Portal.Web.Components.Pages.Teams;

namespace Portal.Web.Tests.Components.Teams;

public sealed class CreateTeamDialogTests : PortalUiTest
{
    private PortalActor _me = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _me = await SignInAsync("nora");
    }

    [Fact]
    public void ANewcomer_IsInvitedToCreateTheirFirstTeam()
    {
        var page = RenderPage<TeamsPage>();
        Assert.Contains("Create your first team", page.WaitForElement("[data-testid=teams-empty]").TextContent);
    }

    [Fact]
    public async Task SubmittingABadSlugAndNoDisplayName_ShowsAMessageOnEachField()
    {
        var page = RenderPage<TeamsPage>();
        page.WaitForElement("[data-testid=create-team-button]").Click();
        await Dialogs.WaitForElement("[data-testid=team-slug]").InputAsync(new ChangeEventArgs { Value = "Data_Science" });
        await Dialogs.Find("[data-testid=create-team-form]").SubmitAsync();

        Dialogs.WaitForAssertion(() => Assert.Contains("Display name is required.", Dialogs.Markup));
        Assert.Contains("Slug must consist of lower-case letters, digits", Dialogs.Find("[data-testid=create-team-form]").TextContent);
        Assert.NotNull(Dialogs.Find("[data-testid=create-team-dialog]"));
        var teams = await Service<TeamService>().ListTeamsAsync(_me, new TeamQuery(), CancellationToken.None);
        Assert.Empty(teams.Items);
    }

    [Fact]
    public async Task TypingASlug_ShowsTheDns1123RuleLive()
    {
        var page = RenderPage<TeamsPage>();
        page.WaitForElement("[data-testid=create-team-button]").Click();

        await Dialogs.WaitForElement("[data-testid=team-slug]").InputAsync(new ChangeEventArgs { Value = "ab" });
        Dialogs.WaitForAssertion(() => Assert.Contains("Slug must be 3 to 30 characters long (got 2).", Dialogs.Markup));

        await Dialogs.Find("[data-testid=team-slug]").InputAsync(new ChangeEventArgs { Value = "abc" });
        Dialogs.WaitForAssertion(() => Assert.DoesNotContain("Slug must", Dialogs.Markup));
    }

    [Fact]
    public async Task ATakenSlug_IsReportedOnTheSlugField()
    {
        var other = await CreateUserAsync("oscar");
        await Service<TeamService>().CreateTeamAsync(other, new NewTeam("platform", "Platform", null, null), CancellationToken.None);
        var page = RenderPage<TeamsPage>();
        page.WaitForElement("[data-testid=create-team-button]").Click();
        await Dialogs.WaitForElement("[data-testid=team-slug]").InputAsync(new ChangeEventArgs { Value = "platform" });
        await Dialogs.Find("[data-testid=team-display-name]").ChangeAsync(new ChangeEventArgs { Value = "Mine" });
        await Dialogs.Find("[data-testid=create-team-form]").SubmitAsync();

        Dialogs.WaitForAssertion(() => Assert.Contains("Slug is already taken by another team.", Dialogs.Markup));
    }

    [Fact]
    public async Task AValidTeam_IsCreatedAndOpened()
    {
        var page = RenderPage<TeamsPage>();
        page.WaitForElement("[data-testid=create-team-button]").Click();
        await Dialogs.WaitForElement("[data-testid=team-slug]").InputAsync(new ChangeEventArgs { Value = "ml-research" });
        await Dialogs.Find("[data-testid=team-display-name]").ChangeAsync(new ChangeEventArgs { Value = "ML Research" });
        await Dialogs.Find("[data-testid=team-cost-centre]").ChangeAsync(new ChangeEventArgs { Value = "CC-7" });
        await Dialogs.Find("[data-testid=create-team-form]").SubmitAsync();

        var navigation = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.EndsWith("/teams/ml-research", navigation.Uri));
        var created = await Service<TeamService>().GetTeamAsync(_me, "ml-research", CancellationToken.None);
        Assert.Equal(TeamRole.Owner, created.MyRole);
        Assert.Equal("CC-7", created.Team.CostCentre);
    }

    [Fact]
    public async Task OnlyPlatformAdmins_MayNameAnotherOwner()
    {
        var page = RenderPage<TeamsPage>();
        page.WaitForElement("[data-testid=create-team-button]").Click();
        Dialogs.WaitForElement("[data-testid=team-slug]");

        Assert.Empty(Dialogs.FindAll("[data-testid=team-owner-email]"));
    }
}
