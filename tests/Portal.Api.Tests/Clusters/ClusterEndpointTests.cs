using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Portal.Api.Tests.Clusters;

public sealed class ClusterEndpointTests(ClusterApiFactory api) : IClassFixture<ClusterApiFactory>
{
    private static object Environment(string name = "dev") => new
    {
        name, awsAccountId = "123456789012", region = "eu-west-1", provisionerRoleArn = "arn:aws:iam::123456789012:role/unicron-provisioner",
    };

    private static object Pool(string name = "general", string type = "m5.large", int min = 1, int desired = 2, int max = 3, string capacity = "on-demand") =>
        new { name, instanceTypes = new[] { type }, capacityType = capacity, minSize = min, desiredSize = desired, maxSize = max };

    private static object Create(string name = "main", string environment = "dev", string? version = "1.32", params object[] pools) => new
    {
        name, environment, kubernetesVersion = version, nodePools = pools.Length == 0 ? [Pool()] : pools,
    };

    private const string Kubeconfig = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: onprem
          cluster: {server: "https://k8s.example.test:6443", certificate-authority-data: Q0E=}
        contexts:
        - name: onprem
          context: {cluster: onprem, user: admin}
        current-context: onprem
        users:
        - name: admin
          user: {token: api-test-secret-token}
        """;

    private async Task<TeamSetup> TeamWithDevAsync(params string[] more)
    {
        var team = await TeamSetup.CreateAsync(api);
        foreach (var name in more.Prepend("dev"))
            await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", Environment(name))).ExpectAsync(HttpStatusCode.Created);
        return team;
    }

    private async Task<(TeamSetup Team, string ETag)> TeamWithClusterAsync()
    {
        var team = await TeamWithDevAsync();
        var created = await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters", Create());
        await created.ExpectAsync(HttpStatusCode.Accepted);
        return (team, created.Headers.ETag!.Tag);
    }

    private async Task<Guid> ClusterIdAsync(TeamSetup team, string name = "main")
    {
        await using var db = api.Db();
        return await db.Clusters.Where(c => c.Name == name && db.Teams.Any(t => t.Id == c.TeamId && t.Slug == team.Slug)).Select(c => c.Id).SingleAsync();
    }

    [Fact]
    public async Task CreateCluster_Returns202WithLocationAndETag_AndEnqueuesAReconcile()
    {
        var team = await TeamWithDevAsync();

        var response = await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters",
            Create(pools: [Pool(), Pool("gpu", "g5.xlarge", 0, 0, 2, "spot")]));

        var body = await response.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal($"{team.Url}/clusters/main", response.Headers.Location?.ToString());
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        Assert.Equal(("main", "dev", "managed", 1L), ((string?)body["name"], (string?)body["environment"], (string?)body["kind"], (long)body["generation"]!));
        Assert.Equal(("pending", 0L), ((string?)body["status"]!["phase"], (long)body["status"]!["observedGeneration"]!));
        var gpu = body["spec"]!["nodePools"]!.AsArray().Single(p => (string?)p!["name"] == "gpu")!;
        Assert.Equal((true, "AL2023_x86_64_NVIDIA", "spot"), ((bool)gpu["gpu"]!, (string?)gpu["amiType"], (string?)gpu["capacityType"]));
        Assert.Contains(gpu["taints"]!.AsArray(), t => (string?)t!["key"] == "nvidia.com/gpu" && (string?)t["effect"] == "no-schedule");
        Assert.Equal(1, api.Jobs.ReconcilesOf(await ClusterIdAsync(team)));

        var read = await team.Viewer.Client.GetAsync($"{team.Url}/clusters/main");
        await read.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("\"1\"", read.Headers.ETag?.Tag);
        var list = await (await team.Viewer.Client.GetAsync($"{team.Url}/clusters")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("main", (string?)list["items"]![0]!["name"]);
    }

    [Fact]
    public async Task Clusters_WithoutAToken_Return401()
    {
        var team = await TeamWithDevAsync();

        await (await api.Anonymous().GetAsync($"{team.Url}/clusters")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await api.Anonymous().PostJsonAsync($"{team.Url}/clusters", Create())).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnotherTeamsToken_GetsA404ForEverything()
    {
        var (team, etag) = await TeamWithClusterAsync();
        var outsider = team.Outsider.Client;

        await (await outsider.GetAsync($"{team.Url}/clusters/main")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.GetAsync($"{team.Url}/clusters")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.PatchJsonAsync($"{team.Url}/clusters/main", new { kubernetesVersion = "1.33" }, etag)).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.DeleteAsync($"{team.Url}/clusters/main", etag)).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.GetAsync($"{team.Url}/clusters/main/events")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.GetAsync($"{team.Url}/clusters/main/kubeconfig")).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AViewer_CanReadButNotWrite()
    {
        var (team, etag) = await TeamWithClusterAsync();

        await (await team.Viewer.Client.PostJsonAsync($"{team.Url}/clusters", Create("other"))).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Viewer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new { kubernetesVersion = "1.33" }, etag)).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Viewer.Client.DeleteAsync($"{team.Url}/clusters/main", etag)).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Viewer.Client.GetAsync($"{team.Url}/clusters/main/events")).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task CreateCluster_WithBadFields_Returns400NamingThem()
    {
        var team = await TeamWithDevAsync();

        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/clusters", Create("Bad_Name"))).ExpectProblemAsync(HttpStatusCode.BadRequest, "name");
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/clusters", Create(pools: [Pool(), Pool("big", "m5.enormous")])))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "nodePools[1].instanceTypes[0]");
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/clusters", Create(pools: Pool(min: 5, desired: 5, max: 3))))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "nodePools[0].minSize");
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/clusters", Create(version: "1.20"))).ExpectProblemAsync(HttpStatusCode.BadRequest, "kubernetesVersion");
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/clusters", Create(environment: "prod"))).ExpectProblemAsync(HttpStatusCode.BadRequest, "environment");
        await (await team.Owner.Client.SendJsonAsync(HttpMethod.Post, $"{team.Url}/clusters",
            """{"name":"main","environment":"dev","nodePools":[{"name":"a","instanceTypes":["m5.large"],"minSize":1,"desiredSize":1,"maxSize":1,"colour":"red"}]}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);

        await using var db = api.Db();
        Assert.False(await db.Clusters.AnyAsync(c => db.Teams.Any(t => t.Id == c.TeamId && t.Slug == team.Slug)));
    }

    [Fact]
    public async Task UpdateCluster_UpgradesOneMinorWith202_ButRefusesSkipsAndDowngrades()
    {
        var (team, etag) = await TeamWithClusterAsync();

        await (await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new { kubernetesVersion = "1.34" }, etag))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "kubernetesVersion");
        await (await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new { kubernetesVersion = "1.31" }, etag))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "kubernetesVersion");
        var upgraded = await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new { kubernetesVersion = "1.33" }, etag);
        var body = await upgraded.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(("1.33", 2L), ((string?)body["spec"]!["kubernetesVersion"], (long)body["generation"]!));
        Assert.Equal("\"2\"", upgraded.Headers.ETag?.Tag);
        Assert.Equal($"{team.Url}/clusters/main", upgraded.Headers.Location?.ToString());
        Assert.Equal(2, api.Jobs.ReconcilesOf(await ClusterIdAsync(team)));

        await (await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new { kubernetesVersion = "1.32" }, upgraded.Headers.ETag!.Tag))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "kubernetesVersion");
    }

    [Fact]
    public async Task UpdateCluster_WithAStaleIfMatch_Returns412()
    {
        var (team, etag) = await TeamWithClusterAsync();
        await (await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new { nodePools = new[] { Pool(desired: 3) } }, etag))
            .ExpectAsync(HttpStatusCode.Accepted);

        await (await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new { nodePools = new[] { Pool(desired: 1) } }, etag))
            .ExpectProblemAsync(HttpStatusCode.PreconditionFailed);
        await (await team.Maintainer.Client.DeleteAsync($"{team.Url}/clusters/main", etag)).ExpectProblemAsync(HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task ASecondClusterInOneEnvironment_Returns409()
    {
        var (team, _) = await TeamWithClusterAsync();

        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/clusters", Create("second"))).ExpectProblemAsync(HttpStatusCode.Conflict, "environment");
    }

    [Fact]
    public async Task DeleteCluster_Returns202Deleting_AndThenChangesAre409()
    {
        var (team, etag) = await TeamWithClusterAsync();

        var deleted = await team.Maintainer.Client.DeleteAsync($"{team.Url}/clusters/main", etag);

        var body = await deleted.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(("deleting", 2L), ((string?)body["status"]!["phase"], (long)body["generation"]!));
        Assert.NotNull((string?)body["deletionRequestedAt"]);
        await (await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/main", new { kubernetesVersion = "1.33" }, null))
            .ExpectProblemAsync(HttpStatusCode.Conflict);
        var events = await (await team.Viewer.Client.GetAsync($"{team.Url}/clusters/main/events")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["deletion-requested", "requested"], events["items"]!.AsArray().Select(e => (string?)e!["step"]));
        await (await team.Owner.Client.DeleteAsync($"{team.Url}/environments/dev", null)).ExpectProblemAsync(HttpStatusCode.Conflict);
        await (await team.Owner.Client.DeleteAsync(team.Url, null)).ExpectProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task AttachCluster_Returns202WithoutTheKubeconfig_ChangesAre409_AndDeleteDetachesWith204()
    {
        var team = await TeamWithDevAsync();

        var attached = await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters:attach", new { name = "onprem", environment = "dev", kubeconfig = Kubeconfig });

        var body = await attached.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal($"{team.Url}/clusters/onprem", attached.Headers.Location?.ToString());
        Assert.Equal("\"1\"", attached.Headers.ETag?.Tag);
        Assert.Equal(("attached", "attached"), ((string?)body["kind"], (string?)body["status"]!["phase"]));
        Assert.DoesNotContain("api-test-secret-token", body.ToJsonString());
        var read = await (await team.Owner.Client.GetAsync($"{team.Url}/clusters/onprem")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("api-test-secret-token", read);
        Assert.Equal(0, api.Jobs.ReconcilesOf(await ClusterIdAsync(team, "onprem")));

        await (await team.Maintainer.Client.PatchJsonAsync($"{team.Url}/clusters/onprem", new { kubernetesVersion = "1.33" }, null)).ExpectProblemAsync(HttpStatusCode.Conflict);
        await (await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters/onprem:retry", new { })).ExpectProblemAsync(HttpStatusCode.Conflict);
        await (await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters:attach", new { name = "again", environment = "dev", kubeconfig = Kubeconfig }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "environment");
        await (await team.Viewer.Client.PostJsonAsync($"{team.Url}/clusters:attach", new { name = "viewer", environment = "dev", kubeconfig = Kubeconfig }))
            .ExpectProblemAsync(HttpStatusCode.Forbidden);

        // DELETE detaches: done at once, nothing to poll, and the environment is free again.
        await (await team.Viewer.Client.DeleteAsync($"{team.Url}/clusters/onprem", null)).ExpectProblemAsync(HttpStatusCode.Forbidden);
        var detached = await team.Maintainer.Client.DeleteAsync($"{team.Url}/clusters/onprem", null);
        Assert.Equal(HttpStatusCode.NoContent, detached.StatusCode);
        await (await team.Owner.Client.GetAsync($"{team.Url}/clusters/onprem")).ExpectProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NoContent, (await team.Owner.Client.DeleteAsync($"{team.Url}/environments/dev", null)).StatusCode);
    }

    [Fact]
    public async Task RetryCluster_Is409UnlessFailed_Then202WithTheErrorCleared()
    {
        var (team, _) = await TeamWithClusterAsync();
        await (await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters/main:retry", new { })).ExpectProblemAsync(HttpStatusCode.Conflict);
        var id = await ClusterIdAsync(team);
        await using (var db = api.Db())
            await db.Clusters.Where(c => c.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Phase, Portal.Core.Clusters.ClusterPhase.Failed).SetProperty(c => c.LastError, "EKS refused CreateCluster."));
        var jobs = api.Jobs.ReconcilesOf(id);

        await (await team.Viewer.Client.PostJsonAsync($"{team.Url}/clusters/main:retry", new { })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        var retried = await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters/main:retry", new { });

        var body = await retried.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal($"{team.Url}/clusters/main", retried.Headers.Location?.ToString());
        Assert.Equal("provisioning", (string?)body["status"]!["phase"]);
        Assert.Null((string?)body["status"]!["lastError"]);
        Assert.Equal(jobs + 1, api.Jobs.ReconcilesOf(id));
        await (await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters/nope:retry", new { })).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Kubeconfig_Is409UntilTheEndpointIsKnown_ThenYamlWithoutASecret()
    {
        var (team, _) = await TeamWithClusterAsync();
        await (await team.Viewer.Client.GetAsync($"{team.Url}/clusters/main/kubeconfig")).ExpectProblemAsync(HttpStatusCode.Conflict);
        var id = await ClusterIdAsync(team);
        await using (var db = api.Db())
            await db.Clusters.Where(c => c.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.KubernetesEndpoint, "https://EXAMPLE.gr7.eu-west-1.eks.amazonaws.com")
                .SetProperty(c => c.CertificateAuthority, Convert.ToBase64String(Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\n"))));

        var response = await team.Viewer.Client.GetAsync($"{team.Url}/clusters/main/kubeconfig");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType?.MediaType);
        var yaml = await response.Content.ReadAsStringAsync();
        Assert.Contains("https://EXAMPLE.gr7.eu-west-1.eks.amazonaws.com", yaml);
        Assert.Contains("get-token", yaml);
        Assert.Contains($"{team.Slug}-dev-main", yaml);
        Assert.DoesNotContain("token:", yaml);
        Assert.DoesNotContain(team.Viewer.Secret, yaml);
        Assert.DoesNotContain("unicron-", yaml.Replace("unicron-provisioner", "")); // no external id
    }

    [Fact]
    public async Task InstanceTypes_ListTheCatalogueWithPrices_FilterableByGpu()
    {
        var user = await api.CreateUserAsync("reader");

        var all = await (await user.Client.GetAsync("/api/v1/instance-types")).ExpectAsync(HttpStatusCode.OK);
        var gpus = await (await user.Client.GetAsync("/api/v1/instance-types?gpu=true")).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("us-east-1", (string?)all["priceRegion"]);
        var m5 = all["items"]!.AsArray().Single(t => (string?)t!["name"] == "m5.large")!;
        Assert.Equal((2, 8192, false), ((int)m5["vcpu"]!, (int)m5["memoryMiB"]!, (bool)m5["gpu"]!));
        Assert.True((decimal)m5["onDemandHourlyUsd"]! > 0);
        Assert.NotEmpty(gpus["items"]!.AsArray());
        Assert.All(gpus["items"]!.AsArray(), t => Assert.True((bool)t!["gpu"]!));
        Assert.Contains(gpus["items"]!.AsArray(), t => (string?)t!["name"] == "g5.xlarge" && (string?)t["gpuModel"] == "a10g");
        await (await api.Anonymous().GetAsync("/api/v1/instance-types")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }
}
