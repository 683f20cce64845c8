using Microsoft.EntityFrameworkCore;

namespace Portal.Api.Tests.Clusters;

/// <summary>Schedules in the cluster spec, "wake now" and the savings report over HTTP.</summary>
public sealed class HibernationEndpointTests(ClusterApiFactory api) : IClassFixture<ClusterApiFactory>
{
    private static readonly object OfficeHours = new
    {
        timeZone = "Europe/Madrid", workingDays = new[] { "monday", "tuesday", "wednesday", "thursday", "friday" }, start = "08:00", end = "18:00",
    };

    private static object Pool(string name, object? schedule = null, Dictionary<string, string>? labels = null) => new
    {
        name, instanceTypes = new[] { "m5.large" }, capacityType = "on-demand", minSize = 1, desiredSize = 2, maxSize = 3, schedule, labels,
    };

    private async Task<TeamSetup> TeamWithClusterAsync(params object[] pools)
    {
        var team = await TeamSetup.CreateAsync(api);
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", new
        {
            name = "dev", awsAccountId = "123456789012", region = "us-east-1", provisionerRoleArn = "arn:aws:iam::123456789012:role/unicron-provisioner",
        })).ExpectAsync(HttpStatusCode.Created);
        await (await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters", new { name = "main", environment = "dev", nodePools = pools }))
            .ExpectAsync(HttpStatusCode.Accepted);
        return team;
    }

    /// <summary>What the reconciler writes when it puts the pool to sleep.</summary>
    private async Task PutToSleepAsync(TeamSetup team, string pool)
    {
        await using var db = api.Db();
        var teamId = await db.Teams.Where(t => t.Slug == team.Slug).Select(t => t.Id).SingleAsync();
        var row = await db.NodePools.SingleAsync(p => p.Name == pool && db.Clusters.Any(c => c.Id == p.ClusterId && c.TeamId == teamId));
        row.Asleep = true;
        row.RememberedSize = new Portal.Core.Costs.Hibernation.PoolSize(1, 2, 3);
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task AScheduleIsPartOfTheSpec_AndComesBackInWords()
    {
        var team = await TeamWithClusterAsync(Pool("nightly", OfficeHours), Pool("general"));

        var body = await (await team.Viewer.Client.GetAsync($"{team.Url}/clusters/main")).ExpectAsync(HttpStatusCode.OK);
        var nightly = body["spec"]!["nodePools"]!.AsArray().Single(p => (string?)p!["name"] == "nightly")!;
        Assert.Equal("Europe/Madrid", (string?)nightly["schedule"]!["timeZone"]);
        Assert.Equal("Mon–Fri 08:00–18:00 Europe/Madrid", (string?)nightly["schedule"]!["description"]);
        Assert.Null(body["spec"]!["nodePools"]!.AsArray().Single(p => (string?)p!["name"] == "general")!["schedule"]);
        var status = body["status"]!["nodePools"]!.AsArray().Single(p => (string?)p!["name"] == "nightly")!;
        Assert.False((bool)status["asleep"]!);
        Assert.NotNull(status["nextTransitionAt"]);
    }

    [Fact]
    public async Task BadSchedules_Answer400NamingEachField()
    {
        var team = await TeamWithClusterAsync(Pool("general"));

        var response = await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new
        {
            nodePools = new[]
            {
                Pool("general"),
                Pool("nightly", new { timeZone = "Mars/Olympus", workingDays = Array.Empty<string>(), start = "8am", end = "25:00" }),
            },
        });

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest,
            "nodePools[1].schedule.timeZone", "nodePools[1].schedule.start", "nodePools[1].schedule.end");
        var same = await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new
        {
            nodePools = new[] { Pool("general", new { timeZone = "Europe/Madrid", workingDays = Array.Empty<string>(), start = "08:00", end = "08:00" }) },
        });
        await same.ExpectProblemAsync(HttpStatusCode.BadRequest, "nodePools[0].schedule.workingDays", "nodePools[0].schedule.end");
    }

    [Fact]
    public async Task EndpointGpuPools_CannotGetASchedule()
    {
        var team = await TeamWithClusterAsync(Pool("general"));

        var response = await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new
        {
            nodePools = new[] { Pool("general"), Pool("gpu-endpoints", OfficeHours, new Dictionary<string, string> { ["unicron.io/capacity-for"] = "endpoints" }) },
        });

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "nodePools[1].schedule");
        Assert.Contains("inference endpoints", problem.ToJsonString());
    }

    [Fact]
    public async Task Wake_OnASleepingPool_IsAudited_EnqueuesAReconcile_AndReturnsThePoolState()
    {
        var team = await TeamWithClusterAsync(Pool("nightly", OfficeHours));
        await PutToSleepAsync(team, "nightly");
        var until = DateTimeOffset.UtcNow.AddHours(3);
        var before = api.Jobs.Count("Portal.Core.Clusters.Jobs.ReconcileClusterJob");

        var response = await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters/main/node-pools/nightly:wake", new { until });

        var body = await response.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("nightly", (string?)body["name"]);
        Assert.True((bool)body["asleep"]!); // until the reconciler has scaled it up
        Assert.Equal(until.ToUnixTimeSeconds(), DateTimeOffset.Parse((string)body["wakeUntil"]!).ToUnixTimeSeconds());
        Assert.Equal(before + 1, api.Jobs.Count("Portal.Core.Clusters.Jobs.ReconcileClusterJob"));
        await using var db = api.Db();
        var audit = await db.AuditEntries.Where(a => a.Action == "cluster.node-pool.wake" && a.TargetId == $"{team.Slug}/main").SingleAsync();
        Assert.Contains("wakeUntil", audit.AfterJson);
    }

    [Fact]
    public async Task Wake_WithoutABody_WakesUntilTheScheduleOrTwelveHours()
    {
        var team = await TeamWithClusterAsync(Pool("nightly", OfficeHours));
        await PutToSleepAsync(team, "nightly");

        var response = await team.Owner.Client.PostAsync($"{team.Url}/clusters/main/node-pools/nightly:wake", null);

        var body = await response.ExpectAsync(HttpStatusCode.Accepted);
        var until = DateTimeOffset.Parse((string)body["wakeUntil"]!);
        Assert.InRange(until, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(12).AddMinutes(1));
    }

    [Fact]
    public async Task Wake_IsForMaintainers_And409WhenThereIsNothingToWake()
    {
        var team = await TeamWithClusterAsync(Pool("nightly", OfficeHours), Pool("general"));
        var url = $"{team.Url}/clusters/main/node-pools";

        await (await team.Viewer.Client.PostJsonAsync($"{url}/nightly:wake", new { })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Outsider.Client.PostJsonAsync($"{url}/nightly:wake", new { })).ExpectProblemAsync(HttpStatusCode.NotFound);
        // Awake (the reconciler has not put it to sleep) and never asleep (no schedule): nothing to wake.
        var awake = await (await team.Maintainer.Client.PostJsonAsync($"{url}/nightly:wake", new { })).ExpectProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("not asleep", (string?)awake["detail"]);
        var unscheduled = await (await team.Maintainer.Client.PostJsonAsync($"{url}/general:wake", new { })).ExpectProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("no schedule", (string?)unscheduled["detail"]);
        await (await team.Maintainer.Client.PostJsonAsync($"{url}/missing:wake", new { })).ExpectProblemAsync(HttpStatusCode.NotFound);

        await PutToSleepAsync(team, "nightly");
        await (await team.Maintainer.Client.PostJsonAsync($"{url}/nightly:wake", new { until = DateTimeOffset.UtcNow.AddMinutes(-5) }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "until");
        await (await team.Maintainer.Client.PostJsonAsync($"{url}/nightly:wake", new { until = DateTimeOffset.UtcNow.AddDays(30) }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "until");
    }

    [Fact]
    public async Task Savings_PriceEachScheduledPoolInItsRegion_WithThePriceDate()
    {
        var team = await TeamWithClusterAsync(Pool("nightly", OfficeHours), Pool("general"));

        var body = await (await team.Viewer.Client.GetAsync($"{team.Url}/costs/hibernation?month=2026-11")).ExpectAsync(HttpStatusCode.OK);

        var pool = body["pools"]!.AsArray().Single()!;
        Assert.Equal(("main", "nightly", "us-east-1"), ((string?)pool["cluster"], (string?)pool["pool"], (string?)pool["region"]));
        // November 2026 in Madrid: 21 working days × 10 h run, the other 720 − 210 = 510 h sleep.
        Assert.Equal(510m, (decimal)pool["hoursAsleep"]!);
        // m5.large on-demand in us-east-1 is $0.096/h; 2 nodes; plus the 50 GiB root volumes at gp3's $0.08/GB-month.
        var expected = 510m * 2 * (0.096m + 0.08m * 50 / 720m);
        Assert.Equal(Math.Round(expected, 2), (decimal)pool["saving"]!["cents"]!);
        Assert.Equal("2026-07-06", (string?)pool["priceSource"]!["asOf"]);
        Assert.Equal((decimal)pool["saving"]!["cents"]!, (decimal)body["total"]!["cents"]!);
        await (await team.Outsider.Client.GetAsync($"{team.Url}/costs/hibernation")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await team.Viewer.Client.GetAsync($"{team.Url}/costs/hibernation?month=november")).ExpectProblemAsync(HttpStatusCode.BadRequest, "month");
    }
}
