using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Core.Addons.Catalog;
using Portal.Web.Components.Pages.Catalog;

namespace Portal.Web.Tests.Components.Catalog;

public sealed class CatalogPageTests : PortalUiTest
{
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton(TestCatalog.Catalog);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SignInAsync("olivia");
    }

    private static List<string> CardIds(IRenderedComponent<CatalogPage> page) =>
        page.FindAll("[data-testid=addon-card]").Select(c => c.GetAttribute("data-id")!).ToList();

    /// <summary>The drawing of an icon (its path data), which survives the renderer's reformatting of the SVG markup.</summary>
    private static string PathOf(string icon) => System.Text.RegularExpressions.Regex.Matches(icon, "d=\"([^\"]+)\"").Last().Groups[1].Value;

    [Fact]
    public void EveryAddOn_HasACard_WithIconCategoryAndTheNewestVersionOfEachMaturity()
    {
        var page = RenderPage<CatalogPage>();

        Assert.Equal(["keda", "luigi", "mlflow", "spark-operator"], CardIds(page));
        var spark = page.Find("[data-testid=addon-card][data-id=spark-operator]");
        Assert.Equal("Data processing", spark.QuerySelector("[data-testid=addon-category]")!.TextContent);
        Assert.Equal("/catalog/spark-operator", spark.QuerySelector("[data-testid=addon-link]")!.GetAttribute("href"));
        Assert.Equal("Runs Apache Spark applications as Kubernetes resources.", spark.QuerySelector("[data-testid=addon-summary]")!.TextContent);
        Assert.Equal(["2.5.2 stable", "2.6.0 alpha"], spark.QuerySelectorAll("[data-testid=maturity-badge]").Select(b => b.TextContent.Trim()));
        Assert.Contains(PathOf(Icons.Material.Filled.Bolt), spark.QuerySelector("[data-testid=addon-icon]")!.InnerHtml);
        // An icon name the portal does not know falls back to the shelf's icon.
        Assert.Contains(PathOf(Icons.Material.Filled.AccountTree), page.Find("[data-testid=addon-card][data-id=luigi] [data-testid=addon-icon]").InnerHtml);
        Assert.Equal("4 add-ons", page.Find("[data-testid=catalog-count]").TextContent.Trim());
    }

    [Fact]
    public async Task Search_MatchesNamesAndDescriptions_InAnyCase()
    {
        var page = RenderPage<CatalogPage>();

        await page.Find("input[data-testid=catalog-search]").InputAsync(new ChangeEventArgs { Value = "REGISTRY" });
        Assert.Equal(["mlflow"], CardIds(page));
        await page.Find("input[data-testid=catalog-search]").InputAsync(new ChangeEventArgs { Value = "spark" });
        Assert.Equal(["spark-operator"], CardIds(page));
        Assert.Equal("1 of 4 add-ons", page.Find("[data-testid=catalog-count]").TextContent.Trim());
    }

    [Fact]
    public async Task CategoryAndMaturityFilters_KeepOnlyWhatMatches()
    {
        var page = RenderPage<CatalogPage>();

        await page.InvokeAsync(() => page.FindComponent<MudSelect<AddonCategory?>>().Instance.ValueChanged.InvokeAsync(AddonCategory.Orchestration));
        Assert.Equal(["luigi"], CardIds(page));

        await page.InvokeAsync(() => page.FindComponent<MudSelect<AddonCategory?>>().Instance.ValueChanged.InvokeAsync(null));
        await page.InvokeAsync(() => page.FindComponent<MudSelect<Maturity?>>().Instance.ValueChanged.InvokeAsync(Maturity.Alpha));
        Assert.Equal(["luigi", "spark-operator"], CardIds(page));
    }

    [Fact]
    public async Task NothingMatching_ShowsAnEmptyState_ThatClearsTheFilters()
    {
        var page = RenderPage<CatalogPage>();
        await page.Find("input[data-testid=catalog-search]").InputAsync(new ChangeEventArgs { Value = "kafka" });
        await page.InvokeAsync(() => page.FindComponent<MudSelect<Maturity?>>().Instance.ValueChanged.InvokeAsync(Maturity.Beta));

        Assert.Empty(CardIds(page));
        Assert.Contains("No add-on matches", page.Find("[data-testid=catalog-empty]").TextContent);
        await page.Find("[data-testid=catalog-clear]").ClickAsync(new MouseEventArgs());
        Assert.Equal(4, CardIds(page).Count);
    }
}
