using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Clusters;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Storage;
using Portal.Core.Environments;

namespace Portal.Api.Tests.Costs;

internal static class CostHttp
{
    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, object body, string? ifMatch = null) =>
        client.SendJsonAsync(HttpMethod.Put, url, System.Text.Json.JsonSerializer.Serialize(body, Http.Web), ifMatch);
}

public sealed class CostEndpointTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    // Far from the fixture clock's month, so reports of other tests never meet these rows.
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Stored lines as the meter writes them (amounts with up to 10 decimals, thirds of a cent included), 30 hours
    /// over two days: control plane, two pools, an endpoint and idle GPU.
    /// </summary>
    private async Task SeedAsync(string team, Guid clusterId, string cluster = "main")
    {
        await using var db = api.Db();
        var teamId = await db.Teams.Where(t => t.Slug == team).Select(t => t.Id).SingleAsync();
        for (var h = 0; h < 30; h++)
        {
            var hour = Start.AddHours(h).ToUnixTimeMilliseconds();
            CostLineRecord Line(string? pool, string? endpoint, CostCategory category, decimal amount) => new()
            {
                HourUnixMs = hour, TeamId = teamId, Team = team, Environment = EnvironmentName.Dev, ClusterId = clusterId, Cluster = cluster,
                NodePool = pool, Endpoint = endpoint, Category = category, Quantity = 1m, Unit = "node-hours", Amount = amount, Currency = "USD",
                PriceSource = "test prices", PriceAsOf = new DateOnly(2026, 1, 1), Estimated = category == CostCategory.Compute && pool == "spot",
                InstanceType = pool is null ? null : "m5.large", CapacityType = pool == "spot" ? CapacityType.Spot : null,
            };
            db.CostLines.AddRange(
                Line(null, null, CostCategory.ControlPlane, 0.10m),
                Line("general", null, CostCategory.Compute, 0.192m),
                Line("spot", null, CostCategory.Compute, 0.0768m),
                Line("gpu", "bert", CostCategory.Endpoint, 1.006m / 3m is var third ? Math.Round(third, 10) : 0m),
                Line("gpu", null, CostCategory.Idle, 1.006m - Math.Round(1.006m / 3m, 10)),
                Line("general", null, CostCategory.Storage, 0.0111111111m));
        }
        await db.SaveChangesAsync();
    }

    private static string Query(string groupBy, string granularity = "day", string? team = null) =>
        $"/api/v1/costs?groupBy={groupBy}&granularity={granularity}&from=2026-03-02T00:00:00Z&to=2026-03-04T00:00:00Z" + (team is null ? "" : $"&team={team}");

    [Fact]
    public async Task Costs_TotalsPerTeamEqualTheSumOfTheirParts_ToTheCent_AndCsvMatchesJson()
    {
        var team = await TeamSetup.CreateAsync(api);
        await SeedAsync(team.Slug, Guid.NewGuid());

        decimal? total = null;
        foreach (var groupBy in new[] { "team", "environment", "cluster", "nodePool", "endpoint" })
        foreach (var granularity in new[] { "hour", "day", "month" })
        {
            var body = await (await team.Viewer.Client.GetAsync(Query(groupBy, granularity, team.Slug))).ExpectAsync(HttpStatusCode.OK);
            var cents = (decimal)body["total"]!["cents"]!;
            var exact = (decimal)body["total"]!["amount"]!;
            total ??= cents;
            // Every grouping and granularity shows the same total, and its rows add up to it to the cent.
            Assert.Equal(total, cents);
            Assert.Equal(Math.Round(exact, 2, MidpointRounding.AwayFromZero), cents);
            Assert.Equal(cents, body["groups"]!.AsArray().Sum(g => (decimal)g!["total"]!["cents"]!));
            Assert.Equal(cents, body["series"]!.AsArray().Sum(c => (decimal)c!["total"]!["cents"]!));

            var csv = await team.Viewer.Client.GetAsync(Query(groupBy, granularity, team.Slug).Replace("/costs?", "/costs.csv?", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
            Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
            var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal($"period,{groupBy},amount,currency", lines[0]);
            Assert.Equal(body["series"]!.AsArray().Count, lines.Length - 1);
            Assert.Equal(cents, lines.Skip(1).Sum(l => decimal.Parse(l.Split(',')[2], CultureInfo.InvariantCulture)));
        }
        // 30 hours × (0.10 + 0.192 + 0.0768 + 1.006 + 0.0111111111) = 41.577333333 → 41.58
        Assert.Equal(41.58m, total);

        var byEndpoint = await (await team.Viewer.Client.GetAsync(Query("endpoint", team: team.Slug))).ExpectAsync(HttpStatusCode.OK);
        var keys = byEndpoint["groups"]!.AsArray().Select(g => (string)g!["key"]!).ToList();
        Assert.Equal([$"{team.Slug}/main/(idle)", $"{team.Slug}/main/(not an endpoint)", $"{team.Slug}/main/bert"], keys);
        Assert.True((bool)byEndpoint["estimated"]!);
        Assert.Equal("test prices", (string?)byEndpoint["priceSources"]![0]!["name"]);
    }

    [Fact]
    public async Task Costs_MembersNeverSeeAnotherTeamsCosts_AdminsSeeAll()
    {
        var mine = await TeamSetup.CreateAsync(api);
        var theirs = await TeamSetup.CreateAsync(api);
        await SeedAsync(mine.Slug, Guid.NewGuid());
        await SeedAsync(theirs.Slug, Guid.NewGuid(), "other");

        // A named team one is not a member of does not exist (404), for JSON and CSV alike.
        await (await mine.Owner.Client.GetAsync(Query("team", team: theirs.Slug))).ExpectProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await mine.Owner.Client.GetAsync(Query("team", team: theirs.Slug).Replace("/costs?", "/costs.csv?", StringComparison.Ordinal))).StatusCode);
        await (await mine.Outsider.Client.GetAsync(Query("team", team: mine.Slug))).ExpectProblemAsync(HttpStatusCode.NotFound);

        // Without a team, a member sees their own teams only.
        var own = await (await mine.Viewer.Client.GetAsync(Query("cluster"))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal([mine.Slug], own["teams"]!.AsArray().Select(t => (string)t!).ToList());
        Assert.DoesNotContain(own["groups"]!.AsArray(), g => ((string)g!["key"]!).StartsWith(theirs.Slug, StringComparison.Ordinal));

        var admin = await api.CreateUserAsync("cost-admin", admin: true);
        var all = await (await admin.Client.GetAsync(Query("team"))).ExpectAsync(HttpStatusCode.OK);
        var teams = all["teams"]!.AsArray().Select(t => (string)t!).ToList();
        Assert.Contains(mine.Slug, teams);
        Assert.Contains(theirs.Slug, teams);
    }

    [Fact]
    public async Task Costs_BadFilters_Return400NamingTheField()
    {
        var team = await TeamSetup.CreateAsync(api);
        await (await team.Owner.Client.GetAsync("/api/v1/costs?groupBy=pods")).ExpectProblemAsync(HttpStatusCode.BadRequest, "groupBy");
        await (await team.Owner.Client.GetAsync("/api/v1/costs?granularity=week")).ExpectProblemAsync(HttpStatusCode.BadRequest, "granularity");
        await (await team.Owner.Client.GetAsync("/api/v1/costs?from=yesterday")).ExpectProblemAsync(HttpStatusCode.BadRequest, "from");
        await (await team.Owner.Client.GetAsync("/api/v1/costs?from=2026-03-05&to=2026-03-01")).ExpectProblemAsync(HttpStatusCode.BadRequest, "to");
        await (await team.Owner.Client.GetAsync("/api/v1/costs?granularity=hour&from=2026-01-01&to=2026-03-01")).ExpectProblemAsync(HttpStatusCode.BadRequest, "granularity");
    }

    [Fact]
    public async Task Budget_OwnersWrite_ViewersRead_WithETagAndValidation()
    {
        var team = await TeamSetup.CreateAsync(api);
        var url = $"{team.Url}/budget";
        var empty = await (await team.Viewer.Client.GetAsync(url)).ExpectAsync(HttpStatusCode.OK);
        Assert.False((bool)empty["configured"]!);

        await (await team.Viewer.Client.PutJsonAsync(url, new { monthlyLimit = 100 })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Outsider.Client.PutJsonAsync(url, new { monthlyLimit = 100 })).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await team.Owner.Client.PutJsonAsync(url, new { monthlyLimit = -5, thresholds = new[] { 50, 50 }, webhookUrl = "ftp://x" }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "monthlyLimit", "thresholds[1]", "webhookUrl");
        await (await team.Owner.Client.PutJsonAsync(url, new { environmentLimits = new Dictionary<string, decimal> { ["qa"] = 5 } }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "environmentLimits.qa");

        var put = await team.Maintainer.Client.PutJsonAsync(url,
            new { monthlyLimit = 1000, environmentLimits = new Dictionary<string, decimal> { ["dev"] = 200 }, thresholds = new[] { 80, 50, 100 },
                webhookUrl = "https://hooks.example.com/budget", webhookSecret = "s3cret" });
        var body = await put.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("\"1\"", put.Headers.ETag?.Tag);
        Assert.Equal([50, 80, 100], body["thresholds"]!.AsArray().Select(t => (int)t!).ToList());
        Assert.True((bool)body["webhookSecretSet"]!);
        Assert.DoesNotContain("s3cret", body.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(["all", "dev"], body["scopes"]!.AsArray().Select(s => (string)s!["scope"]!).ToList());

        await (await team.Owner.Client.PutJsonAsync(url, new { monthlyLimit = 900 }, "\"7\""))
            .ExpectProblemAsync(HttpStatusCode.PreconditionFailed);
        var read = await team.Viewer.Client.GetAsync(url);
        Assert.Equal("\"1\"", read.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Prices_ShowSourcesAndDates_AndAdminsUploadCsvWithLineErrors()
    {
        var admin = await api.CreateUserAsync("price-admin", admin: true);
        var team = await TeamSetup.CreateAsync(api);

        var shipped = await (await team.Viewer.Client.GetAsync("/api/v1/prices?region=us-east-1")).ExpectAsync(HttpStatusCode.OK);
        var m5 = shipped["regions"]![0]!["prices"]!.AsArray().Single(p => (string?)p!["name"] == "m5.large")!;
        Assert.Equal("2026-07-06", (string?)m5["source"]!["asOf"]);
        await (await team.Viewer.Client.GetAsync("/api/v1/prices?region=eu-south-2")).ExpectProblemAsync(HttpStatusCode.BadRequest, "region");

        const string Csv = "kind,name,unit,price\ninstance,m5.large,hour,0.107\nebs,gp3,gb-month,0.088\n";
        var bad = new StringContent("kind,name,unit,price\ninstance,m5.large,hour,$0.1\n", Encoding.UTF8, "text/csv");
        await (await admin.Client.PostAsync("/api/v1/admin/prices?region=eu-south-2&asOf=2026-10-01&source=export", bad))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "lines[2].price");
        await (await team.Owner.Client.PostAsync("/api/v1/admin/prices?region=eu-south-2&asOf=2026-10-01&source=export",
            new StringContent(Csv, Encoding.UTF8, "text/csv"))).ExpectProblemAsync(HttpStatusCode.Forbidden);

        var created = await (await admin.Client.PostAsync("/api/v1/admin/prices?region=eu-south-2&asOf=2026-10-01&source=AWS%20export",
            new StringContent(Csv, Encoding.UTF8, "text/csv"))).ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("eu-south-2", (string?)created["region"]);
        var listed = await (await team.Viewer.Client.GetAsync("/api/v1/prices?region=eu-south-2")).ExpectAsync(HttpStatusCode.OK);
        var prices = listed["regions"]![0]!["prices"]!.AsArray();
        var upload = prices.Single(p => (string?)p!["name"] == "m5.large")!;
        Assert.Equal((0.107m, "2026-10-01", false), ((decimal)upload["price"]!, (string?)upload["source"]!["asOf"], (bool)upload["estimated"]!));
        // The table has no EKS fee: the us-east-1 one is shown, marked estimated, with its own source.
        var eks = prices.Single(p => (string?)p!["kind"] == "eks" && (string?)p["name"] == "standard")!;
        Assert.True((bool)eks["estimated"]!);
    }
}
