using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Access;
using Portal.Core.Environments;
using Portal.Core.Teams;
using Portal.Web.Components.Pages.Teams;

namespace Portal.Web.Tests.Components.Teams;

public sealed class EnvironmentsTabTests : PortalUiTest
{
    private PortalActor _owner = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _owner = await SignInAsync("olga");
        await Service<TeamService>().CreateTeamAsync(_owner, new NewTeam("fraud", "Fraud detection", null, null), CancellationToken.None);
    }

    [Fact]
    public async Task RegisteringAnEnvironment_ShowsTheExternalIdOnce_AndAfterwardsOnlyMasked()
    {
        var page = RenderTab();
        page.WaitForElement("[data-testid=environments-empty]");
        await page.Find("[data-testid=environment-register-button]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=environment-account-id]").ChangeAsync(new ChangeEventArgs { Value = "210987654321" });
        await page.Find("[data-testid=environment-role-arn]").ChangeAsync(new ChangeEventArgs { Value = "arn:aws:iam::210987654321:role/unicron-provisioner" });
        await page.Find("[data-testid=environment-register-form]").SubmitAsync();

        var externalId = page.WaitForElement("[data-testid=environment-external-id]").TextContent.Trim();
        var stored = await Service<EnvironmentService>().GetAsync(_owner, "fraud", EnvironmentName.Dev, CancellationToken.None);
        Assert.Equal(stored.ExternalId, externalId);
        Assert.Contains("sts:ExternalId", page.Find("[data-testid=environment-trust-policy]").TextContent);
        Assert.NotNull(page.Find("[data-testid=environment-external-id-copy]"));
        Assert.Equal(EnvironmentService.MaskExternalId(externalId), page.Find("[data-testid=environment-external-id-masked]").TextContent);
        Assert.Equal(Service<EnvironmentService>().Regions[0], stored.Region);

        await LeavePageAsync();
        var reloaded = RenderTab();
        reloaded.WaitForElement("[data-testid=environments-table]");
        Assert.DoesNotContain(externalId, reloaded.Markup);
        Assert.Empty(reloaded.FindAll("[data-testid=environment-external-id]"));
        Assert.Equal(EnvironmentService.MaskExternalId(externalId), reloaded.Find("[data-testid=environment-external-id-masked]").TextContent);
    }

    [Fact]
    public async Task RegisteringWithABadAccountId_ShowsTheMessageOnTheField_AndRegistersNothing()
    {
        var page = RenderTab();
        await page.WaitForElement("[data-testid=environment-register-button]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=environment-account-id]").ChangeAsync(new ChangeEventArgs { Value = "12345" });
        await page.Find("[data-testid=environment-role-arn]").ChangeAsync(new ChangeEventArgs { Value = "arn:aws:iam::12345:role/x" });
        await page.Find("[data-testid=environment-register-form]").SubmitAsync();

        page.WaitForAssertion(() => Assert.Contains("AWS account id must be exactly 12 digits.", page.Markup));
        Assert.Contains("Provisioner role ARN must be an IAM role ARN", page.Markup);
        Assert.Empty(page.FindAll("[data-testid=environment-external-id]"));
        Assert.Empty(await Service<EnvironmentService>().ListAsync(_owner, "fraud", CancellationToken.None));
    }

    private IRenderedComponent<TeamEnvironmentsTab> RenderTab()
    {
        var team = Service<TeamService>().GetTeamAsync(_owner, "fraud", CancellationToken.None).GetAwaiter().GetResult();
        return RenderPage<TeamEnvironmentsTab>(p => p.Add(x => x.Team, team).Add(x => x.Actor, _owner).Add(x => x.CanManage, true));
    }
}
