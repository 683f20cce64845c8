using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Core.Access;
using Portal.Core.Cloud.Aws;
using Portal.Core.Clusters;
using Portal.Core.Costs.Metering;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tokens;
using Portal.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>
/// Journey 5 (issue 7): a team with a cluster (spot and on-demand pools) and a GPU inference endpoint has six metered
/// hours. Its owner opens the cost page: cost by cluster, then by endpoint, the idle share, a budget set in the page
/// with its gauge and forecast, and a CSV export whose lines are exactly the API's report for the same filters. A
/// platform admin sees every team's costs; the owner of another team cannot see this one's.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class CostJourneys(PortalInABrowser portal, ITestOutputHelper output)
{
    private const float ReadyTimeoutMs = 120_000;
    private const string Team = "team-golf";
    private const string ClusterName = "golf-dev";
    private const string OtherTeam = "team-hotel";
    private const string OtherCluster = "hotel-dev";
    private const string GpuPool = "gpu-a10g";

    [Fact]
    public async Task Journey5_AnOwnerSeesCostsByClusterAndEndpoint_SetsABudget_AndExportsTheApisFigures_AnAdminSeesEveryTeam()
    {
        // Six whole hours of yesterday (UTC): in the past, so the hourly metering job never adds to them mid-journey.
        var today = DateTimeOffset.UtcNow.UtcDateTime.Date;
        var window = (From: new DateTimeOffset(today).AddHours(-6), To: new DateTimeOffset(today));
        await GivenMeteredTeamsAsync(window.From, window.To);
        var day = (From: window.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), To: today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var filters = $"from={day.From}&to={day.To}&granularity=hour";

        // The owner signs in through the provider and lands on the team's costs, by cluster.
        var page = await portal.OpenPageAsync();
        await portal.SignInAsAsync(page, "gina", $"/teams/{Team}/costs?{filters}&groupBy=cluster");
        await PortalInABrowser.WaitForLoadedAsync(page);
        using var owner = portal.ApiClient(await TokenAsync("gina@example.test"));
        var byCluster = await ReportAsync(owner, $"groupBy=cluster&{filters}&team={Team}");
        var clusterKey = $"{Team}/dev/{ClusterName}";
        Assert.Equal([clusterKey], byCluster["groups"]!.AsArray().Select(g => (string)g!["key"]!));
        await Expect(page.Locator($"[data-testid=cost-row][data-key='{clusterKey}']").GetByTestId("cost-row-amount"))
            .ToHaveTextAsync(Format(Cents(byCluster["total"])));
        await Expect(page.GetByTestId("cost-total")).ToHaveTextAsync(Format(Cents(byCluster["total"])));

        // The GPU pool has two nodes and the endpoint requests one GPU: half the pool is idle, and the page says how much.
        var total = (decimal)byCluster["total"]!["amount"]!;
        var idle = (decimal)byCluster["idle"]!["amount"]!;
        Assert.True(idle > 0m && idle < total, $"idle {idle} of {total}");
        await Expect(page.GetByTestId("cost-idle-share")).ToHaveTextAsync((idle / total).ToString("P1", CultureInfo.InvariantCulture));

        // By endpoint: the endpoint's share, the idle GPUs and everything else, each a row; the filters stay in the address.
        await page.GetByTestId("cost-groupby-endpoint").ClickAsync();
        await Expect(page.GetByTestId("cost-groupby-endpoint")).ToHaveAttributeAsync("aria-pressed", "true");
        await page.WaitForURLAsync(url => url.Contains("groupBy=endpoint", StringComparison.Ordinal) && url.Contains($"from={day.From}", StringComparison.Ordinal)
            && url.Contains("granularity=hour", StringComparison.Ordinal));
        var byEndpoint = await ReportAsync(owner, $"groupBy=endpoint&{filters}&team={Team}");
        var endpointKeys = byEndpoint["groups"]!.AsArray().Select(g => (string)g!["key"]!).ToList();
        Assert.Equal([$"{Team}/{ClusterName}/(idle)", $"{Team}/{ClusterName}/(not an endpoint)", $"{Team}/{ClusterName}/detector"], endpointKeys);
        foreach (var group in byEndpoint["groups"]!.AsArray())
        {
            await Expect(page.Locator($"[data-testid=cost-row][data-key='{(string)group!["key"]!}']").GetByTestId("cost-row-amount"))
                .ToHaveTextAsync(Format(Cents(group["total"])));
        }
        await Expect(page.GetByTestId("cost-row")).ToHaveCountAsync(endpointKeys.Count);
        await Expect(page.GetByTestId("cost-total")).ToHaveTextAsync(Format(Cents(byEndpoint["total"])));

        // A budget, set in the page: the gauge shows the month's spend and the forecast the API reports.
        await page.GetByTestId("budget-edit").ClickAsync();
        await page.Locator("input[data-testid=budget-limit]").FillAsync("250");
        await page.Locator("input[data-testid=budget-limit]").PressAsync("Tab");
        await page.GetByTestId("budget-save").ClickAsync();
        var gauge = page.Locator("[data-testid=budget-gauge][data-scope=all]");
        await Expect(gauge).ToBeVisibleAsync();
        await ExpectGaugeMatchesTheApiAsync(page, owner);
        await PortalInABrowser.ScreenshotAsync(page, "cost-page", forReadme: true);
        await portal.AssertAccessibleAsync(page, "team costs by endpoint, with a budget");

        // Export: the downloaded file is the API's report for the same filters, line by line, to the cent.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("cost-csv-download").ClickAsync());
        Assert.Equal($"costs-{Team}-endpoint.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        var apiCsv = await (await owner.GetAsync($"/api/v1/costs.csv?groupBy=endpoint&{filters}&team={Team}")).Content.ReadAsStringAsync();
        Assert.Equal(apiCsv, csv);
        var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
        var series = byEndpoint["series"]!.AsArray();
        Assert.Equal(series.Count, rows.Count);
        Assert.Equal(6 * 3, rows.Count); // six hours × (endpoint, idle, the rest)
        Assert.Equal(series.Select(c => ((DateTimeOffset)c!["period"]!, (string)c["key"]!, Cents(c["total"]))),
            rows.Select(r => (DateTimeOffset.Parse(r[0], CultureInfo.InvariantCulture), r[1], decimal.Parse(r[2], CultureInfo.InvariantCulture))));
        Assert.Equal(Cents(byEndpoint["total"]), rows.Sum(r => decimal.Parse(r[2], CultureInfo.InvariantCulture)));
        Assert.Equal(Cents(byCluster["total"]), Cents(byEndpoint["total"]));
        output.WriteLine($"{Team}: {Cents(byEndpoint["total"])} USD over six hours, {rows.Count} CSV lines");

        // The owner of another team: no such team for them, in the page and in the API.
        var other = await portal.OpenPageAsync();
        await portal.SignInAsAsync(other, "hugo", $"/teams/{Team}/costs?{filters}");
        await Expect(other.GetByText($"There is no team '{Team}', or you are not a member of it.")).ToBeVisibleAsync();
        await Expect(other.GetByTestId("cost-row")).ToHaveCountAsync(0);
        using var hugo = portal.ApiClient(await TokenAsync("hugo@example.test"));
        Assert.Equal(HttpStatusCode.NotFound, (await hugo.GetAsync($"/api/v1/costs?{filters}&team={Team}")).StatusCode);
        var hugosOwn = await ReportAsync(hugo, $"groupBy=team&{filters}");
        Assert.Equal([OtherTeam], hugosOwn["teams"]!.AsArray().Select(t => (string)t!));

        // A platform admin sees every team that had costs, each as the API reports it.
        var admin = await portal.OpenPageAsync();
        await portal.SignInAsAsync(admin, "alice", $"/admin/costs?{filters}");
        await PortalInABrowser.WaitForLoadedAsync(admin);
        using var alice = portal.ApiClient(await TokenAsync("alice@example.test", TokenScopes.Read | TokenScopes.Admin));
        var everyTeam = await ReportAsync(alice, $"groupBy=team&{filters}");
        Assert.Superset(new HashSet<string> { Team, OtherTeam }, everyTeam["teams"]!.AsArray().Select(t => (string)t!).ToHashSet());
        foreach (var group in everyTeam["groups"]!.AsArray())
        {
            await Expect(admin.Locator($"[data-testid=cost-row][data-key='{(string)group!["key"]!}']").GetByTestId("cost-row-amount"))
                .ToHaveTextAsync(Format(Cents(group["total"])));
        }
        await Expect(admin.GetByTestId("cost-total")).ToHaveTextAsync(Format(Cents(everyTeam["total"])));
        await PortalInABrowser.ScreenshotAsync(admin, "admin-costs-by-team");
        await portal.AssertAccessibleAsync(admin, "admin costs, every team");
    }

    /// <summary>
    /// The gauge's spend and forecast are the API's. The month's spend includes the hours the recurring metering job
    /// adds; should it run between the page's figures and the API's (the watermark moved), the page is read again.
    /// </summary>
    private async Task ExpectGaugeMatchesTheApiAsync(IPage page, HttpClient owner)
    {
        for (var attempt = 1; ; attempt++)
        {
            var before = await MeteredThroughAsync();
            var budget = JsonNode.Parse(await (await owner.GetAsync($"/api/v1/teams/{Team}/budget")).Content.ReadAsStringAsync())!;
            var scope = budget["scopes"]!.AsArray().Single(s => (string)s!["scope"]! == "all")!;
            var gauge = page.Locator("[data-testid=budget-gauge][data-scope=all]");
            try
            {
                await Expect(gauge.GetByTestId("budget-spent")).ToContainTextAsync($"Spent {Format(Cents(scope["spent"]))} USD of 250.00 USD");
                await Expect(gauge.GetByTestId("budget-forecast")).ToContainTextAsync($"Forecast for {(string)scope["month"]!}: {Format(Cents(scope["forecast"]))} USD");
                Assert.True(Cents(scope["spent"]) > 0m || attempt > 1, "Nothing spent this month although six hours were metered.");
                return;
            }
            catch (PlaywrightException) when (attempt == 1)
            {
                if (await MeteredThroughAsync() == before) throw;
                await portal.GoToAsync(page, page.Url);
            }
        }
    }

    private static async Task<JsonNode> ReportAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync($"/api/v1/costs?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /api/v1/costs?{query}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    private static decimal Cents(JsonNode? amount) => (decimal)amount!["cents"]!;

    private static string Format(decimal cents) => cents.ToString("N2", CultureInfo.InvariantCulture);

    /// <summary>A script's token for someone who has signed in (their account exists from then on).</summary>
    private async Task<string> TokenAsync(string email, TokenScopes scopes = TokenScopes.Read)
    {
        using var scope = portal.Services.CreateScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == email)
                   ?? throw new InvalidOperationException($"{email} has not signed in yet.");
        var created = await scope.ServiceProvider.GetRequiredService<TokenService>()
            .CreateAsync(PortalActors.For(user), new NewToken($"journey-5-{Guid.NewGuid():N}"[..20], scopes, null), default);
        return created.Secret;
    }

    private async Task<DateTimeOffset?> MeteredThroughAsync() =>
        await portal.Services.GetRequiredService<CostMetering>().LastMeteredHourAsync(default);

    /// <summary>
    /// Team Golf (owner gina) with a dev cluster in us-east-1 (the region with shipped prices): an on-demand and a spot
    /// pool, and a Triton endpoint on an A10G whose GPU pool the cluster autoscaler has grown to two nodes; Team Hotel
    /// (owner hugo) with a small cluster of its own. Then the product's metering meters the window's hours.
    /// </summary>
    private async Task GivenMeteredTeamsAsync(DateTimeOffset from, DateTimeOffset to)
    {
        using var scope = portal.Services.CreateScope();
        var services = scope.ServiceProvider;
        var system = PortalActor.System;
        var golf = GivenClusterAsync(Team, "gina", "620000000001", ClusterName,
            [new NodePoolSpec("general", ["m5.large"], CapacityType.OnDemand, 1, 1, 2), new NodePoolSpec("spot", ["m5.large"], CapacityType.Spot, 1, 2, 4)]);
        var hotel = GivenClusterAsync(OtherTeam, "hugo", "620000000002", OtherCluster,
            [new NodePoolSpec("general", ["t3.large"], CapacityType.OnDemand, 1, 1, 2)]);
        var (environment, cluster) = await golf;
        await hotel;

        await EndpointJourneys.InstallCoreCrdsAsync(services, environment, cluster);
        var endpoints = services.GetRequiredService<EndpointService>();
        await endpoints.CreateAsync(system, Team, ClusterName, new EndpointSpec(
            Name: "detector",
            Runtime: EndpointRuntime.Triton,
            Model: new ModelSource("s3://golf-models/vision/detector", "detector", "1"),
            Protocol: EndpointProtocol.Grpc,
            Gpu: new GpuRequest("A10G", 1),
            Resources: new ComputeRequest("3", "12Gi"),
            Autoscaling: new AutoscalingSpec(1, 2, [new ScalingTrigger(ScalingTriggerKind.Cpu, 70)])), default);
        await WaitForAsync("endpoint detector Ready with a replica", async () =>
        {
            var e = (await endpoints.GetAsync(system, Team, ClusterName, "detector", default)).Endpoint;
            return e.Phase == EndpointPhase.Ready && e.DesiredReplicas > 0 ? null : $"{e.Phase}, {e.DesiredReplicas} desired: {e.Message}";
        });

        // What the cluster autoscaler does for pending GPU pods, through the cloud's API: the pool now runs two nodes.
        var session = await services.GetRequiredService<AwsSessions>()
            .AssumeAsync(environment.ProvisionerRoleArn, environment.ExternalId, environment.Region, "journey-5-autoscaler", default);
        var eks = services.GetRequiredService<EksClient>();
        var group = await eks.TryDescribeNodegroupAsync(session, cluster.EksName, GpuPool, default)
                    ?? throw new InvalidOperationException($"No node group {GpuPool} in {cluster.EksName}.");
        await eks.UpdateNodegroupConfigAsync(session, cluster.EksName, GpuPool,
            new UpdateNodegroupConfigRequest { ScalingConfig = new EksScalingConfig(group.ScalingConfig!.MinSize, Math.Max(2, group.ScalingConfig.MaxSize ?? 0), 2) }, default);
        // The update settles like any EKS update (UPDATING, then ACTIVE); the portal must leave the autoscaler's size alone.
        await WaitForAsync($"node group {GpuPool} running two nodes", async () =>
        {
            var now = await eks.TryDescribeNodegroupAsync(session, cluster.EksName, GpuPool, default);
            return now is { Status: EksNodegroupStatus.Active, ScalingConfig.DesiredSize: 2 } ? null : $"{now?.Status}, desired {now?.ScalingConfig?.DesiredSize}";
        });

        var run = await services.GetRequiredService<CostMetering>().MeterRangeAsync(from, to, default);
        output.WriteLine($"metered {run.Hours.Count} hours, {run.Lines} lines; skipped: {string.Join("; ", run.Skipped)}");
        Assert.Equal(6, run.Hours.Count);
    }

    private async Task<(TeamEnvironment Environment, Cluster Cluster)> GivenClusterAsync(string team, string owner, string account, string clusterName,
        IReadOnlyList<NodePoolSpec> pools)
    {
        await Task.Yield(); // the two teams are set up side by side, each in its own scope
        using var scope = portal.Services.CreateScope();
        var services = scope.ServiceProvider;
        var system = PortalActor.System;
        await services.GetRequiredService<TeamService>().CreateTeamAsync(system,
            new NewTeam(team, $"Team {team[5..]}", "Pays for what it runs.", "CC-5005", $"founder-{team}@example.test"), default);
        await services.GetRequiredService<MemberService>().AddMemberAsync(system, team, $"{owner}@example.test", TeamRole.Owner, default);
        var environment = await services.GetRequiredService<EnvironmentService>().RegisterAsync(system, team,
            new NewEnvironment(EnvironmentName.Dev, account, "us-east-1", $"arn:aws:iam::{account}:role/{team}-provisioner", null), default);
        var clusters = services.GetRequiredService<ClusterService>();
        await clusters.RequestClusterAsync(system, team, new NewCluster(clusterName, EnvironmentName.Dev, [.. pools], null), default);
        Cluster? cluster = null;
        await WaitForAsync($"cluster {clusterName} Ready", async () =>
        {
            cluster = (await clusters.GetAsync(system, team, clusterName, default)).Cluster;
            return cluster.Phase == ClusterPhase.Ready ? null : $"{cluster.Phase}: {cluster.Message} {cluster.LastError}";
        });
        return (environment, cluster!);
    }

    /// <summary>Polls until <paramref name="notYet"/> returns null; its last answer says why on timeout.</summary>
    private async Task WaitForAsync(string what, Func<Task<string?>> notYet)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(ReadyTimeoutMs);
        while (await notYet() is { } state)
        {
            if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException($"Waiting for {what}: {state}");
            await Task.Delay(250);
        }
        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss} {what}");
    }
}
