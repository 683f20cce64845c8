using System.Text.Json.Nodes;
using Hangfire;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Api.Tests.Clusters;
using Portal.Core.Addons.Catalog;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters;

namespace Portal.Api.Tests.Addons;

/// <summary>The API process only (no Hangfire server), recording enqueued jobs, with a small in-memory catalogue.</summary>
public sealed class AddonApiFactory : ApiFactory
{
    public RecordingJobClient Jobs { get; } = new();

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Portal:Roles", "web,api");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IBackgroundJobClient>();
            services.AddSingleton<IBackgroundJobClient>(Jobs);
            services.RemoveAll<AddonCatalog>();
            services.AddSingleton(Catalog());
        });
    }

    private static readonly JsonObject Schema = JsonNode.Parse("""
        {"type":"object","properties":{"tracking":{"type":"object","properties":{"replicas":{"type":"integer","minimum":1}}}}}
        """)!.AsObject();

    private static AddonVersion Version(string version, Maturity maturity, string chart, IReadOnlyList<AddonRequirement>? requires = null) =>
        new(version, maturity, new AddonSource(new HelmSource("https://community-charts.github.io/helm-charts", chart, version), null), "addons",
            JsonNode.Parse("""{"tracking":{"replicas":1}}""")!.AsObject(), null, Schema, requires ?? [], null, null, [], [], $"Release {version}.");

    public static AddonCatalog Catalog() => new([
        new AddonEntry("tracker", "Tracker", AddonCategory.MlLifecycle, "Experiment tracking.", new Uri("https://example.com/tracker"), "Science",
            [Version("2.0.0", Maturity.Alpha, "mlflow"), Version("1.0.0", Maturity.Stable, "mlflow")]),
        new AddonEntry("base", "Base", AddonCategory.DataProcessing, "Something others need.", new Uri("https://example.com/base"), "Bolt",
            [Version("1.0.0", Maturity.Stable, "base")]),
        new AddonEntry("needs-base", "Needs base", AddonCategory.Orchestration, "Requires base.", new Uri("https://example.com/nb"), "Hub",
            [Version("1.0.0", Maturity.Stable, "nb", [new AddonRequirement("base", "*")])]),
    ]);
}

public sealed class AddonEndpointTests(AddonApiFactory api) : IClassFixture<AddonApiFactory>
{
    /// <summary>A team with the given environments and a cluster in each, marked Ready as the reconciler would leave it.</summary>
    private async Task<TeamSetup> TeamAsync(params string[] environments)
    {
        var team = await TeamSetup.CreateAsync(api);
        foreach (var env in environments.Length == 0 ? ["dev"] : environments)
        {
            await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", new
            {
                name = env, awsAccountId = "123456789012", region = "eu-west-1", provisionerRoleArn = "arn:aws:iam::123456789012:role/unicron-provisioner",
            })).ExpectAsync(HttpStatusCode.Created);
            await (await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters", new
            {
                name = env, environment = env, kubernetesVersion = "1.32",
                nodePools = new[] { new { name = "general", instanceTypes = new[] { "m5.large" }, minSize = 1, desiredSize = 1, maxSize = 2 } },
            })).ExpectAsync(HttpStatusCode.Accepted);
        }
        await using var db = api.Db();
        await db.Clusters.Where(c => db.Teams.Any(t => t.Id == c.TeamId && t.Slug == team.Slug))
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.Phase, ClusterPhase.Ready).SetProperty(c => c.CurrentVersion, "1.32"));
        return team;
    }

    private static string Addons(TeamSetup team, string cluster = "dev") => $"{team.Url}/clusters/{cluster}/addons";

    [Fact]
    public async Task Install_Returns202WithLocationAndETag_AndGetListAndEventsFollow()
    {
        var team = await TeamAsync();

        var response = await team.Maintainer.Client.PostJsonAsync(Addons(team), new { addonId = "tracker", version = "1.0.0", values = new { tracking = new { replicas = 2 } } });

        var body = await response.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal($"{Addons(team)}/tracker", response.Headers.Location?.ToString());
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        Assert.Equal(("tracker", "dev", "1.0.0", 2), ((string?)body["addonId"], (string?)body["environment"], (string?)body["spec"]!["version"], (int)body["spec"]!["values"]!["tracking"]!["replicas"]!));
        Assert.Equal("pending", (string?)body["status"]!["phase"]);
        await using (var db = api.Db())
        {
            var id = await db.AddonInstallations.Where(a => a.AddonId == "tracker" && db.Teams.Any(t => t.Id == a.TeamId && t.Slug == team.Slug)).Select(a => a.Id).SingleAsync();
            Assert.Equal(1, api.Jobs.Count("Portal.Core.Addons.Installations.Jobs.ReconcileAddonJob", id));
        }

        var read = await team.Viewer.Client.GetAsync($"{Addons(team)}/tracker");
        await read.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("\"1\"", read.Headers.ETag?.Tag);
        var list = await (await team.Viewer.Client.GetAsync(Addons(team))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("tracker", (string?)list["items"]![0]!["addonId"]);
        var events = await (await team.Viewer.Client.GetAsync($"{Addons(team)}/tracker/events")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("requested", (string?)events["items"]![0]!["step"]);
        await (await team.Viewer.Client.GetAsync($"{Addons(team)}/nope")).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Install_WithValuesTheSchemaRejects_Returns400WithTheJsonPath()
    {
        var team = await TeamAsync();

        var problem = await (await team.Maintainer.Client.PostJsonAsync(Addons(team), new { addonId = "tracker", values = new { tracking = new { replicas = 0 } } }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "values.tracking.replicas");

        Assert.Contains("1", problem["errors"]!["values.tracking.replicas"]![0]!.GetValue<string>());
        await (await team.Maintainer.Client.GetAsync($"{Addons(team)}/tracker")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await team.Maintainer.Client.PostJsonAsync(Addons(team), new { addonId = "tracker", colour = "red" })).ExpectProblemAsync(HttpStatusCode.BadRequest, "colour");
        await (await team.Maintainer.Client.PostJsonAsync(Addons(team), new { addonId = "unknown" })).ExpectProblemAsync(HttpStatusCode.BadRequest, "addonId");
    }

    [Fact]
    public async Task Install_OfAnAlphaOnStaging_Returns409WithTheReason()
    {
        var team = await TeamAsync("staging");

        var problem = await (await team.Maintainer.Client.PostJsonAsync(Addons(team, "staging"), new { addonId = "tracker", version = "2.0.0" }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "version");

        Assert.Contains("alpha", (string?)problem["detail"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RequiredAddons_NeedConfirmation_AndARequiredAddonCannotBeUninstalled()
    {
        var team = await TeamAsync();

        var problem = await (await team.Maintainer.Client.PostJsonAsync(Addons(team), new { addonId = "needs-base" }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "installDependencies");
        Assert.Contains("Base", (string?)problem["detail"]);
        await (await team.Maintainer.Client.PostJsonAsync(Addons(team), new { addonId = "needs-base", installDependencies = true })).ExpectAsync(HttpStatusCode.Accepted);
        var list = await (await team.Viewer.Client.GetAsync(Addons(team))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["base", "needs-base"], list["items"]!.AsArray().Select(i => (string?)i!["addonId"]));

        var refused = await (await team.Maintainer.Client.DeleteAsync($"{Addons(team)}/base", null)).ExpectProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("needs-base", (string?)refused["detail"]);
        var deleted = await (await team.Maintainer.Client.DeleteAsync($"{Addons(team)}/needs-base", null)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("uninstalling", (string?)deleted["status"]!["phase"]);
    }

    [Fact]
    public async Task Patch_HonoursIfMatch()
    {
        var team = await TeamAsync();
        var created = await team.Maintainer.Client.PostJsonAsync(Addons(team), new { addonId = "tracker", version = "1.0.0" });
        await created.ExpectAsync(HttpStatusCode.Accepted);
        var etag = created.Headers.ETag!.Tag;

        await (await team.Maintainer.Client.PatchJsonAsync($"{Addons(team)}/tracker", new { values = new { tracking = new { replicas = 3 } } }, "\"999\""))
            .ExpectProblemAsync(HttpStatusCode.PreconditionFailed);
        var patched = await team.Maintainer.Client.PatchJsonAsync($"{Addons(team)}/tracker", new { values = new { tracking = new { replicas = 3 } } }, etag);
        var body = await patched.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal((2L, 3), ((long)body["generation"]!, (int)body["spec"]!["values"]!["tracking"]!["replicas"]!));
        Assert.Equal("\"2\"", patched.Headers.ETag?.Tag);
        await (await team.Maintainer.Client.PatchJsonAsync($"{Addons(team)}/tracker", new { version = "9.9.9" })).ExpectProblemAsync(HttpStatusCode.BadRequest, "version");
    }

    [Fact]
    public async Task AnotherTeam_Gets404_AndAViewerCannotWrite()
    {
        var team = await TeamAsync();
        await (await team.Maintainer.Client.PostJsonAsync(Addons(team), new { addonId = "tracker" })).ExpectAsync(HttpStatusCode.Accepted);
        var outsider = team.Outsider.Client;

        await (await outsider.GetAsync(Addons(team))).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.GetAsync($"{Addons(team)}/tracker")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.GetAsync($"{Addons(team)}/tracker/events")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.PostJsonAsync(Addons(team), new { addonId = "base" })).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.PatchJsonAsync($"{Addons(team)}/tracker", new { version = "1.0.0" })).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.DeleteAsync($"{Addons(team)}/tracker", null)).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.PostJsonAsync($"{team.Url}/clusters/dev/addons:promote?from=dev&dryRun=true", new { })).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.GetAsync($"/api/v1/catalog?team={team.Slug}&cluster=dev")).ExpectProblemAsync(HttpStatusCode.NotFound);

        await (await team.Viewer.Client.PostJsonAsync(Addons(team), new { addonId = "base" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Viewer.Client.PatchJsonAsync($"{Addons(team)}/tracker", new { version = "1.0.0" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Viewer.Client.DeleteAsync($"{Addons(team)}/tracker", null)).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await api.Anonymous().GetAsync(Addons(team))).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Catalog_Filters_AndForAClusterSaysWhichVersionsAreAllowedAndWhy()
    {
        var team = await TeamAsync("staging");
        var client = team.Viewer.Client;

        var all = await (await client.GetAsync("/api/v1/catalog")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(3, all["items"]!.AsArray().Count);
        Assert.Null(all["items"]![0]!["versions"]![0]!["allowed"]);
        var ml = await (await client.GetAsync("/api/v1/catalog?category=ml-lifecycle")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["tracker"], ml["items"]!.AsArray().Select(i => (string?)i!["id"]));
        var search = await (await client.GetAsync("/api/v1/catalog?q=REQUIRES")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["needs-base"], search["items"]!.AsArray().Select(i => (string?)i!["id"]));
        await (await client.GetAsync("/api/v1/catalog?category=games")).ExpectProblemAsync(HttpStatusCode.BadRequest, "category");
        await (await client.GetAsync("/api/v1/catalog?team=" + team.Slug)).ExpectProblemAsync(HttpStatusCode.BadRequest, "cluster");

        var tracker = await (await client.GetAsync($"/api/v1/catalog/tracker?team={team.Slug}&cluster=staging")).ExpectAsync(HttpStatusCode.OK);
        var alpha = tracker["versions"]!.AsArray().Single(v => (string?)v!["version"] == "2.0.0")!;
        var stable = tracker["versions"]!.AsArray().Single(v => (string?)v!["version"] == "1.0.0")!;
        Assert.Equal((false, true), ((bool)alpha["allowed"]!, (bool)stable["allowed"]!));
        Assert.Contains("alpha", (string?)alpha["reasons"]![0], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(("alpha", "helm"), ((string?)alpha["maturity"], (string?)alpha["source"]!["type"]));
        await (await client.GetAsync("/api/v1/catalog/nope")).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task MaturityOverrides_AreForPlatformAdmins_AndLetAnAlphaOntoStaging()
    {
        var team = await TeamAsync("staging");
        var admin = await api.CreateUserAsync("admin", admin: true);
        var url = $"/api/v1/admin/teams/{team.Slug}/maturity-overrides";

        await (await team.Owner.Client.PostJsonAsync(url, new { addonId = "tracker", reason = "please" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Owner.Client.GetAsync(url)).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await admin.Client.PostJsonAsync(url, new { addonId = "tracker", reason = "" })).ExpectProblemAsync(HttpStatusCode.BadRequest, "reason");
        var created = await admin.Client.PostJsonAsync(url, new { addonId = "tracker", reason = "Trial of 2.0 on staging before its beta." });
        await created.ExpectAsync(HttpStatusCode.Created);
        await (await admin.Client.PostJsonAsync(url, new { addonId = "tracker", reason = "again" })).ExpectProblemAsync(HttpStatusCode.Conflict, "addonId");
        var list = await (await admin.Client.GetAsync(url)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Trial of 2.0 on staging before its beta.", (string?)list["items"]![0]!["reason"]);

        await (await team.Maintainer.Client.PostJsonAsync(Addons(team, "staging"), new { addonId = "tracker", version = "2.0.0" })).ExpectAsync(HttpStatusCode.Accepted);
        await (await admin.Client.DeleteAsync($"{url}/tracker", null)).ExpectAsync(HttpStatusCode.NoContent);
        await (await admin.Client.DeleteAsync($"{url}/tracker", null)).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Promote_DryRunReturnsTheDiff_AndApplyIsRefusedUntilTheSourceIsHealthy()
    {
        var team = await TeamAsync("dev", "staging");
        await (await team.Maintainer.Client.PostJsonAsync(Addons(team, "dev"), new { addonId = "tracker", version = "1.0.0", values = new { tracking = new { replicas = 2 } } }))
            .ExpectAsync(HttpStatusCode.Accepted);
        var url = $"{team.Url}/clusters/staging/addons:promote?from=dev";

        var preview = await (await team.Viewer.Client.PostJsonAsync(url + "&dryRun=true", new { })).ExpectAsync(HttpStatusCode.OK);
        var change = preview["changes"]!.AsArray().Single()!;
        Assert.Equal(("tracker", "added", "1.0.0"), ((string?)change["addonId"], (string?)change["kind"], (string?)change["toVersion"]));
        Assert.Equal(["$.tracking.replicas"], change["changedValuePaths"]!.AsArray().Select(p => (string?)p));
        Assert.Contains(preview["blockers"]!.AsArray(), b => ((string?)b)!.Contains("pending"));
        Assert.False((bool)preview["applied"]!);

        await (await team.Viewer.Client.PostJsonAsync(url, new { })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Maintainer.Client.PostJsonAsync(url, new { })).ExpectProblemAsync(HttpStatusCode.Conflict);
        await using (var db = api.Db())
            await db.AddonInstallations.Where(a => db.Teams.Any(t => t.Id == a.TeamId && t.Slug == team.Slug))
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.Phase, AddonPhase.Healthy).SetProperty(a => a.ObservedGeneration, 1L));
        var applied = await (await team.Maintainer.Client.PostJsonAsync(url, new { })).ExpectAsync(HttpStatusCode.Accepted);
        Assert.True((bool)applied["applied"]!);
        await (await team.Viewer.Client.GetAsync($"{Addons(team, "staging")}/tracker")).ExpectAsync(HttpStatusCode.OK);
        await (await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters/staging/addons:promote", new { })).ExpectProblemAsync(HttpStatusCode.BadRequest, "from");
    }
}
