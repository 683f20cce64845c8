using Microsoft.EntityFrameworkCore;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Portal.Api.Tests.Clusters;

namespace Portal.Api.Tests.InferenceEndpoints;

/// <summary>
/// The endpoints API on an API-only host (no worker: nothing reconciles): contracts, 202s, ETags, validation naming
/// the field, tenancy. Endpoints go on an attached cluster, which is usable at once; the reconcile runs are in
/// Portal.Web.Tests against the emulator.
/// </summary>
public sealed class EndpointApiTests(ClusterApiFactory api) : IClassFixture<ClusterApiFactory>
{
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

    private const string ReconcileJob = "Portal.Core.Endpoints.Resource.Jobs.ReconcileEndpointJob";

    private const string QueueQuery = "sum(inference_queue_depth{queue=\"resnet\"})";

    private static JsonObject Spec(string name = "resnet", string gpu = "L4", int min = 0, int max = 8) => new()
    {
        ["name"] = name,
        ["runtime"] = "triton",
        ["model"] = new JsonObject { ["uri"] = "s3://acme-models/vision/resnet", ["name"] = "resnet", ["version"] = "3" },
        ["protocol"] = "grpc",
        ["gpu"] = new JsonObject { ["type"] = gpu, ["count"] = 1 },
        ["resources"] = new JsonObject { ["cpu"] = "3", ["memory"] = "12Gi" },
        ["autoscaling"] = new JsonObject
        {
            ["minReplicas"] = min,
            ["maxReplicas"] = max,
            ["triggers"] = new JsonArray(new JsonObject { ["kind"] = "prometheus", ["threshold"] = 10, ["query"] = QueueQuery, ["activationThreshold"] = 1 }),
        },
    };

    private async Task<TeamSetup> TeamWithClusterAsync()
    {
        var team = await TeamSetup.CreateAsync(api);
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", new
        {
            name = "dev", awsAccountId = "123456789012", region = "us-east-1", provisionerRoleArn = "arn:aws:iam::123456789012:role/unicron-provisioner",
        })).ExpectAsync(HttpStatusCode.Created);
        await (await team.Maintainer.Client.PostJsonAsync($"{team.Url}/clusters:attach", new { name = "onprem", environment = "dev", kubeconfig = Kubeconfig }))
            .ExpectAsync(HttpStatusCode.Accepted);
        return team;
    }

    private static string Endpoints(TeamSetup team) => $"{team.Url}/clusters/onprem/endpoints";

    [Fact]
    public async Task CreateEndpoint_Returns202WithLocationAndETag_AndEnqueuesAReconcile()
    {
        var team = await TeamWithClusterAsync();
        var jobsBefore = api.Jobs.Count(ReconcileJob);

        var response = await team.Maintainer.Client.PostJsonAsync(Endpoints(team), Spec());
        var body = await response.ExpectAsync(HttpStatusCode.Accepted);

        Assert.Equal($"{Endpoints(team)}/resnet", response.Headers.Location?.ToString());
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        Assert.Equal("pending", (string?)body["status"]!["phase"]);
        Assert.Equal("triton", (string?)body["spec"]!["runtime"]);
        Assert.Equal(1, (long)body["generation"]!);
        Assert.Equal(jobsBefore + 1, api.Jobs.Count(ReconcileJob));

        var read = await team.Viewer.Client.GetAsync($"{Endpoints(team)}/resnet");
        var got = await read.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("\"1\"", read.Headers.ETag?.Tag);
        Assert.Equal(QueueQuery, (string?)got["spec"]!["autoscaling"]!["triggers"]![0]!["query"]);
        var list = await (await team.Viewer.Client.GetAsync(Endpoints(team))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("resnet", (string?)list["items"]![0]!["name"]);

        await (await team.Maintainer.Client.PostJsonAsync(Endpoints(team), Spec())).ExpectProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task BadSpecs_Return400NamingTheField()
    {
        var team = await TeamWithClusterAsync();
        var client = team.Maintainer.Client;

        await (await client.PostJsonAsync(Endpoints(team), Spec(gpu: "Z9"))).ExpectProblemAsync(HttpStatusCode.BadRequest, "gpu.type");
        await (await client.PostJsonAsync(Endpoints(team), Spec(min: 5, max: 2))).ExpectProblemAsync(HttpStatusCode.BadRequest, "autoscaling.minReplicas");

        var tooManyGpus = Spec();
        tooManyGpus["gpu"]!["count"] = 16;
        await (await client.PostJsonAsync(Endpoints(team), tooManyGpus)).ExpectProblemAsync(HttpStatusCode.BadRequest, "gpu.count");

        var emptyQuery = Spec();
        emptyQuery["autoscaling"]!["triggers"]![0]!["query"] = "  ";
        await (await client.PostJsonAsync(Endpoints(team), emptyQuery)).ExpectProblemAsync(HttpStatusCode.BadRequest, "autoscaling.triggers[0].query");

        var badQuery = Spec();
        badQuery["autoscaling"]!["triggers"]![0]!["query"] = "sum(rate(requests[1m]) by";
        await (await client.PostJsonAsync(Endpoints(team), badQuery)).ExpectProblemAsync(HttpStatusCode.BadRequest, "autoscaling.triggers[0].query");

        foreach (var weight in new[] { -1, 101 })
        {
            var canary = Spec();
            canary["rollout"] = new JsonObject { ["canary"] = new JsonObject { ["modelVersion"] = "4", ["weight"] = weight } };
            await (await client.PostJsonAsync(Endpoints(team), canary)).ExpectProblemAsync(HttpStatusCode.BadRequest, "rollout.canary.weight");
        }

        var unknownRuntime = Spec();
        unknownRuntime["runtime"] = "onnx";
        await (await client.PostJsonAsync(Endpoints(team), unknownRuntime)).ExpectProblemAsync(HttpStatusCode.BadRequest);

        var list = await (await client.GetAsync(Endpoints(team))).ExpectAsync(HttpStatusCode.OK);
        Assert.Empty(list["items"]!.AsArray());
    }

    [Fact]
    public async Task Patch_MergesIntoTheSpec_HonoursIfMatch_AndRefusesRenames()
    {
        var team = await TeamWithClusterAsync();
        var client = team.Maintainer.Client;
        var created = await client.PostJsonAsync(Endpoints(team), Spec());
        await created.ExpectAsync(HttpStatusCode.Accepted);

        var canary = new { rollout = new { canary = new { modelVersion = "4", weight = 10 } } };
        await (await client.PatchJsonAsync($"{Endpoints(team)}/resnet", canary, "\"7\"")).ExpectProblemAsync(HttpStatusCode.PreconditionFailed);
        var patched = await client.PatchJsonAsync($"{Endpoints(team)}/resnet", canary, created.Headers.ETag!.Tag);
        var body = await patched.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(2, (long)body["generation"]!);
        Assert.Equal(10, (int)body["spec"]!["rollout"]!["canary"]!["weight"]!);
        Assert.Equal("L4", (string?)body["spec"]!["gpu"]!["type"]);

        // null removes a member (RFC 7396): the canary goes, the rest stays.
        var request = new HttpRequestMessage(HttpMethod.Patch, $"{Endpoints(team)}/resnet")
        {
            Content = new StringContent("""{"rollout":null}""", Encoding.UTF8, "application/merge-patch+json"),
        };
        var removed = await (await client.SendAsync(request)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Null(removed["spec"]!["rollout"]);
        Assert.Equal(3, (long)removed["generation"]!);

        await (await client.PatchJsonAsync($"{Endpoints(team)}/resnet", new { name = "other" })).ExpectProblemAsync(HttpStatusCode.BadRequest, "name");
        await (await client.PatchJsonAsync($"{Endpoints(team)}/resnet", new { autoscaling = new { minReplicas = 9 } })).ExpectProblemAsync(HttpStatusCode.BadRequest, "autoscaling.minReplicas");
    }

    [Fact]
    public async Task Delete_Returns202AndMarksTheEndpointDeleting()
    {
        var team = await TeamWithClusterAsync();
        var created = await team.Maintainer.Client.PostJsonAsync(Endpoints(team), Spec());
        await created.ExpectAsync(HttpStatusCode.Accepted);

        var deleted = await (await team.Maintainer.Client.DeleteAsync($"{Endpoints(team)}/resnet", created.Headers.ETag!.Tag)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("deleting", (string?)deleted["status"]!["phase"]);
        Assert.NotNull(deleted["deletionRequestedAt"]);
        await (await team.Maintainer.Client.PatchJsonAsync($"{Endpoints(team)}/resnet", new { protocol = "http" })).ExpectProblemAsync(HttpStatusCode.Conflict);
        var events = await (await team.Viewer.Client.GetAsync($"{Endpoints(team)}/resnet/events")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["deletion-requested", "requested"], events["items"]!.AsArray().Select(e => (string)e!["step"]!).ToList());
    }

    [Fact]
    public async Task AnotherTeam_GetsA404_AndAViewerCannotWrite()
    {
        var team = await TeamWithClusterAsync();
        var created = await team.Maintainer.Client.PostJsonAsync(Endpoints(team), Spec());
        await created.ExpectAsync(HttpStatusCode.Accepted);
        var etag = created.Headers.ETag!.Tag;

        var outsider = team.Outsider.Client;
        await (await outsider.GetAsync(Endpoints(team))).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.GetAsync($"{Endpoints(team)}/resnet")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.GetAsync($"{Endpoints(team)}/resnet/manifests")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.GetAsync($"{Endpoints(team)}/resnet/events")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.PostJsonAsync(Endpoints(team), Spec("other"))).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.PatchJsonAsync($"{Endpoints(team)}/resnet", new { protocol = "http" }, etag)).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await outsider.DeleteAsync($"{Endpoints(team)}/resnet", etag)).ExpectProblemAsync(HttpStatusCode.NotFound);

        var viewer = team.Viewer.Client;
        await (await viewer.PostJsonAsync(Endpoints(team), Spec("other"))).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await viewer.PatchJsonAsync($"{Endpoints(team)}/resnet", new { protocol = "http" }, etag)).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await viewer.DeleteAsync($"{Endpoints(team)}/resnet", etag)).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await viewer.GetAsync($"{Endpoints(team)}/resnet/manifests")).ExpectAsync(HttpStatusCode.OK);

        await (await team.Maintainer.Client.GetAsync($"{team.Url}/clusters/nope/endpoints")).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Manifests_AreTheRenderedObjectsInApplyOrder()
    {
        var team = await TeamWithClusterAsync();
        await (await team.Maintainer.Client.PostJsonAsync(Endpoints(team), Spec())).ExpectAsync(HttpStatusCode.Accepted);

        var manifests = await (await team.Viewer.Client.GetAsync($"{Endpoints(team)}/resnet/manifests")).ExpectAsync(HttpStatusCode.OK);
        var items = manifests["items"]!.AsArray();
        var kinds = items.Select(i => (string?)i!["kind"]).ToList();
        Assert.Equal("ServiceAccount", kinds[0]);
        Assert.Contains("Deployment", kinds);
        Assert.Contains("ScaledObject", kinds);
        Assert.Contains("Ingress", kinds);
        Assert.True(kinds.IndexOf("Deployment") < kinds.IndexOf("ScaledObject"));
        Assert.All(items, i => Assert.Equal($"team-{team.Slug}", (string?)i!["metadata"]!["namespace"]));
        var ingress = items.First(i => (string?)i!["kind"] == "Ingress")!;
        Assert.Equal($"resnet-grpc.{team.Slug}.inference.unicron.local", (string?)ingress["spec"]!["rules"]![0]!["host"]);
    }

    [Fact]
    public async Task GpuTypes_ListModelsMemoryAndPricedInstanceTypes()
    {
        var team = await TeamSetup.CreateAsync(api);
        var body = await (await team.Viewer.Client.GetAsync("/api/v1/gpu-types")).ExpectAsync(HttpStatusCode.OK);
        var items = body["items"]!.AsArray();
        var l4 = items.Single(i => (string?)i!["name"] == "L4")!;
        Assert.Equal(22888, (int)l4["memoryMiB"]!);
        var g6 = l4["instanceTypes"]!.AsArray().First(t => (string?)t!["name"] == "g6.xlarge")!;
        Assert.Equal((1, 4), ((int)g6["gpuCount"]!, (int)g6["vcpu"]!));
        Assert.True((decimal)g6["onDemandHourlyUsd"]! > 0);
        Assert.Contains(items, i => (string?)i!["name"] == "A10G");
        Assert.Equal("us-east-1", (string?)body["priceRegion"]);
        await (await api.Anonymous().GetAsync("/api/v1/gpu-types")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheEndpointsApi()
    {
        var document = await (await api.Anonymous().GetAsync("/openapi/v1.json")).ExpectAsync(HttpStatusCode.OK);
        var paths = document["paths"]!.AsObject();
        foreach (var path in new[]
                 {
                     "/api/v1/teams/{team}/clusters/{cluster}/endpoints", "/api/v1/teams/{team}/clusters/{cluster}/endpoints/{name}",
                     "/api/v1/teams/{team}/clusters/{cluster}/endpoints/{name}/events", "/api/v1/teams/{team}/clusters/{cluster}/endpoints/{name}/manifests",
                     "/api/v1/gpu-types",
                 })
            Assert.True(paths.ContainsKey(path), $"{path} is missing from the OpenAPI document");
        var create = paths["/api/v1/teams/{team}/clusters/{cluster}/endpoints"]!["post"]!["responses"]!.AsObject();
        foreach (var status in new[] { "202", "400", "404", "409" })
            Assert.True(create.ContainsKey(status), $"POST endpoints does not document {status}");
        var runtimes = document["components"]!["schemas"]!["EndpointRuntime"]!["enum"]!.AsArray().Select(v => (string?)v);
        Assert.Contains("tensorflow-serving", runtimes);
    }

    [Fact]
    public async Task AnAddonOwningTheExternalMetricsApi_RefusesPrometheusTriggersWithTheReason()
    {
        var team = await TeamWithClusterAsync();
        await using (var db = api.Db())
        {
            var cluster = await db.Clusters.AsNoTracking().SingleAsync(c => c.Name == "onprem" && db.Teams.Any(t => t.Id == c.TeamId && t.Slug == team.Slug));
            db.AddonInstallations.Add(new Portal.Core.Addons.Installations.AddonInstallation
            {
                TeamId = cluster.TeamId, ClusterId = cluster.Id, AddonId = "datadog", CatalogVersion = "3.240.0", Generation = 1,
                CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var problem = await (await team.Maintainer.Client.PostJsonAsync(Endpoints(team), Spec())).ExpectProblemAsync(HttpStatusCode.BadRequest, "autoscaling.triggers[0].kind");
        Assert.Contains("datadog", problem["errors"]!["autoscaling.triggers[0].kind"]![0]!.GetValue<string>());

        var cpu = Spec(min: 1);
        cpu["autoscaling"]!["triggers"] = new JsonArray(new JsonObject { ["kind"] = "cpu", ["threshold"] = 70 });
        await (await team.Maintainer.Client.PostJsonAsync(Endpoints(team), cpu)).ExpectAsync(HttpStatusCode.Accepted);
    }
}
