using System.Globalization;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Clusters;
using Portal.Core.Costs.Budgets;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Storage;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Web.Components.Pages.Costs;

namespace Portal.Web.Tests.Components.Costs;

public sealed class CostPagesTests : PortalUiTest
{
    // A fixed past range, so the report and the budget month do not depend on when the tests run.
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private const string Range = "from=2026-03-02&to=2026-03-04";
    private const int Hours = 30;

    private PortalActor _owner = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _owner = await CreateUserAsync("owen");
        await Service<TeamService>().CreateTeamAsync(_owner, new NewTeam("mlops", "Machine Learning", null, null), CancellationToken.None);
        await Service<TeamService>().CreateTeamAsync(_owner, new NewTeam("search", "Search", null, null), CancellationToken.None);
    }

    /// <summary>
    /// Lines as the meter stores them (amounts with up to 10 decimals, thirds of a cent included) for <see cref="Hours"/>
    /// hours: control plane, an on-demand and a spot pool, an endpoint and idle GPU on a GPU pool, a disk; and the
    /// metering watermark at the end of the last hour.
    /// </summary>
    private async Task SeedAsync(string team, string cluster = "main")
    {
        await using var db = await Service<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var teamId = await db.Teams.Where(t => t.Slug == team).Select(t => t.Id).SingleAsync();
        var clusterId = Guid.NewGuid();
        var third = Math.Round(1.006m / 3m, 10);
        for (var h = 0; h < Hours; h++)
        {
            var hour = Start.AddHours(h).ToUnixTimeMilliseconds();
            CostLineRecord Line(string? pool, string? endpoint, CostCategory category, decimal amount) => new()
            {
                HourUnixMs = hour, TeamId = teamId, Team = team, Environment = EnvironmentName.Dev, ClusterId = clusterId, Cluster = cluster,
                NodePool = pool, Endpoint = endpoint, Category = category, Quantity = 1m, Unit = "node-hours", Amount = amount, Currency = "USD",
                PriceSource = "test prices", PriceAsOf = new DateOnly(2026, 1, 1), Estimated = pool == "spot",
                InstanceType = pool is null ? null : "m5.large", CapacityType = pool == "spot" ? CapacityType.Spot : null,
            };
            db.CostLines.AddRange(
                Line(null, null, CostCategory.ControlPlane, 0.10m),
                Line("general", null, CostCategory.Compute, 0.192m),
                Line("spot", null, CostCategory.Compute, 0.0768m),
                Line("gpu", "bert", CostCategory.Endpoint, third),
                Line("gpu", null, CostCategory.Idle, 1.006m - third),
                Line("general", null, CostCategory.Storage, 0.0111111111m));
        }
        if (!await db.MeteringWatermarks.AnyAsync())
        {
            db.MeteringWatermarks.Add(new MeteringWatermark
            {
                Name = MeteringWatermark.Hourly, LastMeteredHourUnixMs = Start.AddHours(Hours - 1).ToUnixTimeMilliseconds(), UpdatedAt = Start.AddHours(Hours),
            });
        }
        await db.SaveChangesAsync();
    }

    private IRenderedComponent<TeamCostsPage> RenderTeamCosts(string team, string query = Range)
    {
        Service<NavigationManager>().NavigateTo($"/teams/{team}/costs?{query}");
        return RenderPage<TeamCostsPage>(p => p.Add(x => x.Team, team));
    }

    private static string Text(string markupText) => System.Text.RegularExpressions.Regex.Replace(markupText, @"\s+", " ").Trim();

    private static decimal Amount(string text) => decimal.Parse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture);

    [Fact]
    public async Task TheTeamCostTable_ShowsTheServicesGroupsAndTotal_ToTheCent_WithPriceDateAndEstimates()
    {
        await SeedAsync("mlops");
        var viewer = await SignInAsync("vera");
        await Service<MemberService>().AddMemberAsync(_owner, "mlops", "vera@example.test", TeamRole.Viewer, CancellationToken.None);

        var page = RenderTeamCosts("mlops");

        page.WaitForElement("[data-testid=cost-table]");
        var expected = await Service<CostReports>().QueryAsync(viewer,
            new CostQuery(CostGrouping.Cluster, Start, Start.AddDays(2), "mlops", CostGranularity.Day), CancellationToken.None);
        var rows = page.FindAll("[data-testid=cost-row]");
        Assert.Equal(expected.Groups.Select(g => g.Key), rows.Select(r => r.GetAttribute("data-key")));
        Assert.Equal(expected.Groups.Select(g => g.Cents), rows.Select(r => Amount(r.QuerySelector("[data-testid=cost-row-amount]")!.TextContent)));
        // 30 hours × (0.10 + 0.192 + 0.0768 + 1.006 + 0.0111111111) = 41.577333333 → 41.58, and the rows add up to it.
        Assert.Equal(41.58m, Amount(page.Find("[data-testid=cost-total]").TextContent));
        Assert.Equal(expected.TotalCents, Amount(page.Find("[data-testid=cost-total]").TextContent));
        Assert.Contains("USD", page.Find("[data-testid=cost-table]").TextContent);
        Assert.Contains("as of 2026-01-01", page.Find("[data-testid=cost-price-sources]").TextContent);
        Assert.NotNull(page.Find("[data-testid=cost-estimated]"));
        // Idle GPU is 0.6706666667 of 1.3859111111 an hour: shown, not spread.
        Assert.Equal("48.4 %", page.Find("[data-testid=cost-idle-share]").TextContent);
    }

    [Fact]
    public async Task SwitchingTheGrouping_ShowsEndpointsAndIdleCapacity_WithTheSameTotal()
    {
        await SeedAsync("mlops");
        await SignInAsync("owen");
        var page = RenderTeamCosts("mlops");
        page.WaitForElement("[data-testid=cost-table]");
        Assert.Equal(["mlops/dev/main"], page.FindAll("[data-testid=cost-row]").Select(r => r.GetAttribute("data-key")));

        await page.Find("[data-testid=cost-groupby-endpoint]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Equal(["mlops/main/(idle)", "mlops/main/(not an endpoint)", "mlops/main/bert"],
            page.FindAll("[data-testid=cost-row]").Select(r => r.GetAttribute("data-key"))));
        Assert.Equal(41.58m, Amount(page.Find("[data-testid=cost-total]").TextContent));
        Assert.Equal(41.58m, page.FindAll("[data-testid=cost-row-amount]").Sum(c => Amount(c.TextContent)));

        await page.Find("[data-testid=cost-groupby-nodePool]").ClickAsync(new MouseEventArgs());
        page.WaitForAssertion(() => Assert.Equal(["mlops/dev/main/(cluster)", "mlops/dev/main/general", "mlops/dev/main/gpu", "mlops/dev/main/spot"],
            page.FindAll("[data-testid=cost-row]").Select(r => r.GetAttribute("data-key"))));
    }

    [Fact]
    public async Task TheCsvDownload_HoldsTheReportsCells_InTheApisFormat()
    {
        await SeedAsync("mlops");
        var owner = await SignInAsync("owen");
        var page = RenderTeamCosts("mlops", Range + "&groupBy=endpoint&granularity=day");
        page.WaitForElement("[data-testid=cost-table]");

        var href = page.Find("[data-testid=cost-csv-download]").GetAttribute("href")!;
        Assert.StartsWith("data:text/csv;base64,", href, StringComparison.Ordinal);
        var csv = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(href["data:text/csv;base64,".Length..]));
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("period,endpoint,amount,currency", lines[0]);
        Assert.Equal("2026-03-02T00:00:00Z,mlops/main/bert,8.05,USD", lines.Single(l => l.StartsWith("2026-03-02T00:00:00Z,mlops/main/bert", StringComparison.Ordinal)));
        Assert.Equal(41.58m, lines.Skip(1).Sum(l => decimal.Parse(l.Split(',')[2], CultureInfo.InvariantCulture)));
        Assert.Equal(6, lines.Length - 1); // 3 endpoint buckets × 2 days
        _ = owner;
    }

    [Fact]
    public async Task TheBudgetGauge_ShowsSpendAndTheMonthsForecast_AndWarnsOfAnOverrun()
    {
        await SeedAsync("mlops");
        await Service<BudgetService>().PutAsync(_owner, "mlops", new BudgetChange(500m, null, null, null, null), null, CancellationToken.None);
        await SignInAsync("owen");

        var page = RenderTeamCosts("mlops");

        var gauge = page.WaitForElement("[data-testid=budget-gauge]");
        Assert.Equal("all", gauge.GetAttribute("data-scope"));
        var spent = Text(page.Find("[data-testid=budget-spent]").TextContent);
        Assert.Contains("Spent 41.58 USD of 500.00 USD (8.3 %)", spent);
        // Metered through March 3rd 06:00, 54 of March's 744 hours: 41.577333333 × 744 / 54 = 572.8432…, over the 500.
        var forecast = Text(page.Find("[data-testid=budget-forecast]").TextContent);
        Assert.Contains("Forecast for 2026-03: 572.84 USD (run rate 0.77 USD per hour over 54 metered hours) — over the budget", forecast);
        Assert.Contains("over the budget", forecast);
        Assert.NotNull(gauge.QuerySelector("[role=progressbar]"));
    }

    [Fact]
    public async Task AMember_CannotOpenAnotherTeamsCostPage()
    {
        await SeedAsync("search", "engine");
        await SignInAsync("mia");
        await Service<MemberService>().AddMemberAsync(_owner, "mlops", "mia@example.test", TeamRole.Maintainer, CancellationToken.None);

        var page = RenderTeamCosts("search");

        page.WaitForElement("[data-testid=status-notfound]");
        Assert.DoesNotContain("engine", page.Markup);
        Assert.Empty(page.FindAll("[data-testid=cost-table]"));
    }

    [Fact]
    public async Task BeforeAnythingIsMetered_ThePageSaysHowToMeter()
    {
        await SignInAsync("owen");

        var page = RenderTeamCosts("mlops", "");

        page.WaitForElement("[data-testid=costs-empty]");
        Assert.Contains("Nothing has been metered yet", page.Markup);
        Assert.Contains("costs meter --from", page.Find("[data-testid=costs-meter-command]").TextContent);
        Assert.NotNull(page.Find("[data-testid=budget-none]"));
    }

    [Fact]
    public async Task TheAdminCostPage_ListsEveryTeam_AndIsRefusedToOthers()
    {
        await SeedAsync("mlops");
        await SeedAsync("search", "engine");
        await SignInAsync("una");
        RenderPage<AdminCostsPage>().WaitForElement("[data-testid=status-forbidden]");
        await LeavePageAsync();

        await SignInAsync("ada", platformAdmin: true);
        Service<NavigationManager>().NavigateTo($"/admin/costs?{Range}");
        var page = RenderPage<AdminCostsPage>();

        page.WaitForAssertion(() => Assert.Equal(["mlops", "search"], page.FindAll("[data-testid=cost-row]").Select(r => r.GetAttribute("data-key"))));
        // 2 × 41.577333333 = 83.154666666: rounded once, from the exact sum, not as 2 × 41.58.
        Assert.Equal(83.15m, Amount(page.Find("[data-testid=cost-total]").TextContent));
        Assert.Equal(83.15m, page.FindAll("[data-testid=cost-row-amount]").Sum(c => Amount(c.TextContent)));
    }

    [Fact]
    public async Task AnOwner_SetsTheBudgetOnThePage_AViewerCannot()
    {
        await SeedAsync("mlops");
        await SignInAsync("vera");
        await Service<MemberService>().AddMemberAsync(_owner, "mlops", "vera@example.test", TeamRole.Viewer, CancellationToken.None);
        var viewerPage = RenderTeamCosts("mlops");
        viewerPage.WaitForElement("[data-testid=budget-none]");
        Assert.Empty(viewerPage.FindAll("[data-testid=budget-edit]"));
        await LeavePageAsync();

        SignIn(_owner);
        var page = RenderTeamCosts("mlops");
        await page.WaitForElement("[data-testid=budget-edit]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=budget-limit]").ChangeAsync(new ChangeEventArgs { Value = "abc" });
        await page.Find("[data-testid=budget-form]").SubmitAsync();
        page.WaitForAssertion(() => Assert.Contains("must be an amount", page.Markup));

        await page.Find("[data-testid=budget-limit]").ChangeAsync(new ChangeEventArgs { Value = "100" });
        await page.Find("[data-testid=budget-thresholds]").ChangeAsync(new ChangeEventArgs { Value = "25, 50" });
        await page.Find("[data-testid=budget-form]").SubmitAsync();

        page.WaitForAssertion(() => Assert.Contains("Spent 41.58 USD of 100.00 USD (41.6 %); thresholds 25 %, 50 %",
            Text(page.Find("[data-testid=budget-spent]").TextContent)));
        var stored = await Service<BudgetService>().GetAsync(_owner, "mlops", CancellationToken.None);
        Assert.Equal(100m, stored.Budget!.MonthlyLimit);
        Assert.Equal([25, 50], stored.Budget.ThresholdsPercent);
    }
}
