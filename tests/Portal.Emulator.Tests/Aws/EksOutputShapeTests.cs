using System.Text.Json.Nodes;
using Portal.Emulator.Aws;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

/// <summary>Every answer of a full cluster and node group flow fits the model's output shape (what an SDK would parse).</summary>
public sealed class EksOutputShapeTests : IAsyncLifetime
{
    private static readonly AwsServiceModel Model = AwsServiceModel.LoadEks();
    private AwsEmulator _emulator = null!;

    public async Task InitializeAsync() => _emulator = await AwsEmulator.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    private async Task<JsonObject> CallAsync(string operation, HttpMethod method, string path, JsonObject? body = null)
    {
        var response = await _emulator.Platform.EksAsync(method, path, body);
        Assert.True(response.Status == Model.SuccessCode(operation), $"{operation}: {response}");
        var violations = Model.Validate(Model.OutputShape(operation)!, response.Json);
        Assert.True(violations.Count == 0, $"{operation}: {string.Join("; ", violations.Select(v => $"{v.Path}: {v.Message}"))}");
        return response.Json;
    }

    [Fact]
    public async Task EveryOperation_AnswersWithTheModelsOutputShape()
    {
        var cluster = AwsEmulator.ClusterRequest("shapes", "1.33");
        cluster["tags"] = new JsonObject { ["team"] = "ml" };
        var arn = (string)(await CallAsync("CreateCluster", HttpMethod.Post, "/clusters", cluster))["cluster"]!["arn"]!;
        await CallAsync("DescribeCluster", HttpMethod.Get, "/clusters/shapes");
        await CallAsync("ListClusters", HttpMethod.Get, "/clusters");
        await CallAsync("TagResource", HttpMethod.Post, $"/tags/{Uri.EscapeDataString(arn)}", new JsonObject { ["tags"] = new JsonObject { ["a"] = "b" } });
        await CallAsync("ListTagsForResource", HttpMethod.Get, $"/tags/{Uri.EscapeDataString(arn)}");
        await CallAsync("UntagResource", HttpMethod.Delete, $"/tags/{Uri.EscapeDataString(arn)}?tagKeys=a");
        await CallAsync("CreateNodegroup", HttpMethod.Post, "/clusters/shapes/node-groups", AwsEmulator.NodegroupRequest("ng"));
        await CallAsync("DescribeNodegroup", HttpMethod.Get, "/clusters/shapes/node-groups/ng");
        await CallAsync("ListNodegroups", HttpMethod.Get, "/clusters/shapes/node-groups");
        var config = await CallAsync("UpdateNodegroupConfig", HttpMethod.Post, "/clusters/shapes/node-groups/ng/update-config",
            new JsonObject { ["scalingConfig"] = new JsonObject { ["desiredSize"] = 1 } });
        await CallAsync("DescribeUpdate", HttpMethod.Get, $"/clusters/shapes/updates/{config["update"]!["id"]}?nodegroupName=ng");
        await CallAsync("UpdateNodegroupVersion", HttpMethod.Post, "/clusters/shapes/node-groups/ng/update-version", []);
        await CallAsync("UpdateClusterVersion", HttpMethod.Post, "/clusters/shapes/updates", new JsonObject { ["version"] = "1.34" });
        await CallAsync("ListUpdates", HttpMethod.Get, "/clusters/shapes/updates");
        await CallAsync("DeleteNodegroup", HttpMethod.Delete, "/clusters/shapes/node-groups/ng");
        await CallAsync("DeleteCluster", HttpMethod.Delete, "/clusters/shapes");
    }
}
