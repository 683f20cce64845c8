using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Core.Addons.Installations;
using Portal.Core.Persistence;
using Portal.Web.Components.Pages.Admin;
using Portal.Web.Tests.Components.Catalog;
using Portal.Web.Tests.Components.Clusters;

namespace Portal.Web.Tests.Components.Addons;

/// <summary>The admin page of maturity overrides over the real AddonService: add with a reason, remove, both audited.</summary>
public sealed class MaturityOverridesPageTests : ClusterUiTest
{
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton(TestCatalog.Catalog);

    private async Task<IReadOnlyList<string>> AuditActionsAsync()
    {
        await using var db = await Service<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await db.AuditEntries.Where(a => a.Action.StartsWith("addon.maturity-override")).Select(a => a.Action).ToListAsync();
    }

    [Fact]
    public async Task AnAdmin_AddsAnOverrideWithAReason_AndRemovesIt_BothAudited()
    {
        await SignInAsync("ada", platformAdmin: true);
        var page = RenderPage<MaturityOverridesPage>();
        page.WaitForElement("[data-testid=overrides-empty]");

        await page.InvokeAsync(() => page.FindComponents<MudSelect<string>>()[1].Instance.ValueChanged.InvokeAsync("luigi"));
        await page.Find("[data-testid=override-form] textarea").ChangeAsync(new ChangeEventArgs { Value = "The pipelines team pilots Luigi on staging until the Airflow move." });
        await page.Find("[data-testid=override-add]").ClickAsync(new MouseEventArgs());

        var row = page.WaitForElement("[data-testid=override-row][data-addon=luigi]");
        Assert.Contains("pilots Luigi on staging", row.TextContent);
        Assert.Contains("luigi", (await Service<AddonService>().ListMaturityOverridesAsync(Owner with { IsPlatformAdmin = true }, TeamSlug, CancellationToken.None)).Select(o => o.AddonId));

        await row.QuerySelector("[data-testid=override-remove]")!.ClickAsync(new MouseEventArgs());
        page.WaitForElement("[data-testid=overrides-empty]");
        Assert.Equal(["addon.maturity-override.create", "addon.maturity-override.delete"], (await AuditActionsAsync()).Order());
    }

    [Fact]
    public async Task AnOverrideWithoutAReason_IsRefusedOnTheField()
    {
        await SignInAsync("ada", platformAdmin: true);
        var page = RenderPage<MaturityOverridesPage>();
        page.WaitForElement("[data-testid=overrides-empty]");

        await page.InvokeAsync(() => page.FindComponents<MudSelect<string>>()[1].Instance.ValueChanged.InvokeAsync("luigi"));
        await page.Find("[data-testid=override-add]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Contains("is required", page.Find("[data-testid=override-form]").TextContent));
        Assert.Empty(await AuditActionsAsync());
    }

    [Fact]
    public void SomeoneWhoIsNotAPlatformAdmin_IsTurnedAway()
    {
        SignIn(Owner);
        var page = RenderPage<MaturityOverridesPage>();
        page.WaitForElement("[data-testid=status-forbidden]");
        Assert.Empty(page.FindAll("[data-testid=override-form]"));
    }
}
