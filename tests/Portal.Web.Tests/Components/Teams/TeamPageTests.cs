using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Access;
using Portal.Core.Teams;
using Portal.Web.Components.Pages.Teams;

namespace Portal.Web.Tests.Components.Teams;

public sealed class TeamPageTests : PortalUiTest
{
    /// <summary>Every control that changes a team, by its stable test id.</summary>
    private static readonly string[] EditControls =
    [
        "team-edit-button", "member-add-form", "member-role-select", "member-remove", "environment-register-button",
        "environment-delete", "group-mapping-add-form", "group-mapping-remove",
    ];

    private PortalActor _owner = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _owner = await CreateUserAsync("olivia");
        await Service<TeamService>().CreateTeamAsync(_owner, new NewTeam("data-science", "Data Science", "Models and notebooks", "CC-42"), CancellationToken.None);
        await Service<Portal.Core.Environments.EnvironmentService>().RegisterAsync(_owner, "data-science",
            new(Portal.Core.Environments.EnvironmentName.Dev, "123456789012", "eu-west-1", "arn:aws:iam::123456789012:role/unicron-provisioner", null),
            CancellationToken.None);
        await Service<GroupMappingService>().AddAsync(_owner, "data-science", "ds-readers", TeamRole.Viewer, CancellationToken.None);
    }

    [Fact]
    public async Task AnOwner_SeesEditControlsOnEveryTab()
    {
        SignIn(_owner);
        var page = RenderPage<TeamPage>(p => p.Add(x => x.Slug, "data-science"));

        page.WaitForElement("[data-testid=team-title]");
        Assert.Equal("Data Science", page.Find("[data-testid=team-title]").TextContent);
        Assert.NotNull(page.Find("[data-testid=team-edit-button]"));
        Assert.Empty(page.FindAll("[data-testid=team-read-only]"));

        OpenTab(page, "Members");
        page.WaitForElement("[data-testid=members-table]");
        Assert.NotNull(page.Find("[data-testid=member-add-form]"));
        Assert.NotEmpty(page.FindAll("[data-testid=member-remove]"));

        OpenTab(page, "Environments");
        page.WaitForElement("[data-testid=environments-table]");
        Assert.NotNull(page.Find("[data-testid=environment-register-button]"));

        OpenTab(page, "Group mappings");
        page.WaitForElement("[data-testid=group-mappings-table]");
        Assert.NotNull(page.Find("[data-testid=group-mapping-add-form]"));

        OpenTab(page, "Audit");
        page.WaitForElement("[data-testid=audit-table]");
        await Task.CompletedTask;
    }

    [Fact]
    public async Task AViewer_SeesEverythingReadOnly_AndNoEditControlIsInTheMarkup()
    {
        var viewer = await CreateUserAsync("victor");
        await Service<MemberService>().AddMemberAsync(_owner, "data-science", "victor@example.test", TeamRole.Viewer, CancellationToken.None);
        SignIn(viewer);

        var page = RenderPage<TeamPage>(p => p.Add(x => x.Slug, "data-science"));
        page.WaitForElement("[data-testid=team-title]");
        Assert.NotNull(page.Find("[data-testid=team-read-only]"));
        AssertNoEditControls(page.Markup);

        OpenTab(page, "Members");
        page.WaitForElement("[data-testid=members-table]");
        Assert.Contains("olivia@example.test", page.Markup);
        AssertNoEditControls(page.Markup);

        OpenTab(page, "Environments");
        page.WaitForElement("[data-testid=environments-table]");
        Assert.Contains("123456789012", page.Markup);
        AssertNoEditControls(page.Markup);

        OpenTab(page, "Group mappings");
        page.WaitForElement("[data-testid=group-mappings-table]");
        Assert.Contains("ds-readers", page.Markup);
        AssertNoEditControls(page.Markup);

        // The owners-only audit tab is not offered at all.
        Assert.DoesNotContain(page.FindAll(".mud-tab"), t => t.TextContent.Contains("Audit"));
    }

    [Fact]
    public async Task SomeoneOutsideTheTeam_SeesANotFoundState()
    {
        await SignInAsync("mallory");
        var page = RenderPage<TeamPage>(p => p.Add(x => x.Slug, "data-science"));

        page.WaitForElement("[data-testid=status-notfound]");
        Assert.DoesNotContain("Models and notebooks", page.Markup);
    }

    [Fact]
    public async Task AnOwner_EditsTheTeamsDisplayName()
    {
        SignIn(_owner);
        var page = RenderPage<TeamPage>(p => p.Add(x => x.Slug, "data-science"));
        await page.WaitForElement("[data-testid=team-edit-button]").ClickAsync(new MouseEventArgs());

        await page.Find("[data-testid=team-edit-display-name]").ChangeAsync(new ChangeEventArgs { Value = "Data Science Guild" });
        await page.Find("[data-testid=team-edit-form]").SubmitAsync();

        page.WaitForAssertion(() => Assert.Equal("Data Science Guild", page.Find("[data-testid=team-display-name-value]").TextContent));
        var stored = await Service<TeamService>().GetTeamAsync(_owner, "data-science", CancellationToken.None);
        Assert.Equal("Data Science Guild", stored.Team.DisplayName);
    }

    [Fact]
    public async Task DemotingTheLastOwner_ShowsTheTeamMustKeepAnOwner()
    {
        SignIn(_owner);
        var page = RenderPage<TeamPage>(p => p.Add(x => x.Slug, "data-science"));
        page.WaitForElement("[data-testid=team-title]");
        OpenTab(page, "Members");
        page.WaitForElement("[data-testid=members-table]");

        var roleSelect = page.FindComponent<MudBlazor.MudSelect<TeamRole>>(); // the add form's select comes first
        var ownRole = page.FindComponents<MudBlazor.MudSelect<TeamRole>>().Last();
        await page.InvokeAsync(() => ownRole.Instance.ValueChanged.InvokeAsync(TeamRole.Viewer));

        page.WaitForAssertion(() => Assert.Contains("at least one owner", page.Find("[data-testid=members-error]").TextContent));
        Assert.NotNull(roleSelect);
        var members = await Service<MemberService>().ListMembersAsync(_owner, "data-science", CancellationToken.None);
        Assert.Equal(TeamRole.Owner, Assert.Single(members).Membership.Role);
    }

    [Fact]
    public async Task AnOwner_AddsAMemberByEmail()
    {
        SignIn(_owner);
        var page = RenderPage<TeamPage>(p => p.Add(x => x.Slug, "data-science"));
        page.WaitForElement("[data-testid=team-title]");
        OpenTab(page, "Members");
        page.WaitForElement("[data-testid=member-add-form]");

        await page.Find("[data-testid=member-add-email]").ChangeAsync(new ChangeEventArgs { Value = "newcomer@example.test" });
        await page.Find("[data-testid=member-add-form]").SubmitAsync();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=member-row]").Count));
        Assert.Contains("newcomer@example.test", page.Find("[data-testid=members-table]").TextContent);
    }

    [Fact]
    public async Task AddingAMember_WithABadEmail_ShowsTheMessageOnTheField()
    {
        SignIn(_owner);
        var page = RenderPage<TeamPage>(p => p.Add(x => x.Slug, "data-science"));
        page.WaitForElement("[data-testid=team-title]");
        OpenTab(page, "Members");
        page.WaitForElement("[data-testid=member-add-form]");

        await page.Find("[data-testid=member-add-email]").ChangeAsync(new ChangeEventArgs { Value = "not-an-email" });
        await page.Find("[data-testid=member-add-form]").SubmitAsync();

        page.WaitForAssertion(() => Assert.Contains("E-mail is not a valid e-mail address.", page.Markup));
    }

    private static void OpenTab(IRenderedComponent<TeamPage> page, string name) =>
        page.FindAll(".mud-tab").First(t => t.TextContent.Trim() == name).Click();

    private static void AssertNoEditControls(string markup)
    {
        foreach (var id in EditControls) Assert.DoesNotContain($"data-testid=\"{id}\"", markup);
        Assert.DoesNotContain("Edit team", markup);
        Assert.DoesNotContain("Add member", markup);
        Assert.DoesNotContain("Register environment", markup);
        Assert.DoesNotContain("Map group", markup);
    }
}
