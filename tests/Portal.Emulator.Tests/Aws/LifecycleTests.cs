using System.Text.Json.Nodes;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

public sealed class LifecycleTests : IAsyncLifetime
{
    private static readonly LifecycleOptions Durations = new()
    {
        ClusterCreate = TimeSpan.FromMinutes(10),
        ClusterUpdate = TimeSpan.FromMinutes(8),
        ClusterDelete = TimeSpan.FromMinutes(5),
        NodegroupCreate = TimeSpan.FromMinutes(4),
        NodegroupUpdate = TimeSpan.FromMinutes(3),
        NodegroupDelete = TimeSpan.FromMinutes(2),
    };

    private AwsEmulator _emulator = null!;

    private AwsTestClient Eks => _emulator.Platform;

    public async Task InitializeAsync() => _emulator = await AwsEmulator.StartAsync(o => o.Lifecycle = Durations);

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    private async Task<string?> ClusterStatusAsync() => (string?)(await Eks.EksAsync(HttpMethod.Get, "/clusters/life")).Json["cluster"]?["status"];

    private async Task<string?> NodegroupStatusAsync() => (string?)(await Eks.EksAsync(HttpMethod.Get, "/clusters/life/node-groups/ng")).Json["nodegroup"]?["status"];

    private void Advance(TimeSpan by) => _emulator.Clock.Advance(by);

    [Fact]
    public async Task Cluster_MovesThroughCreatingUpdatingDeleting_AtTheConfiguredDurations()
    {
        await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("life", "1.33"));
        Advance(TimeSpan.FromMinutes(9));
        Assert.Equal("CREATING", await ClusterStatusAsync());
        Assert.Equal("CREATING", _emulator.Host.Clusters.FindByKey(Key((await Eks.EksAsync(HttpMethod.Get, "/clusters/life")).Json))?.Status ?? "CREATING");
        Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("ACTIVE", await ClusterStatusAsync());

        await Eks.EksAsync(HttpMethod.Post, "/clusters/life/updates", new JsonObject { ["version"] = "1.34" });
        Advance(TimeSpan.FromMinutes(7));
        Assert.Equal("UPDATING", await ClusterStatusAsync());
        Assert.Equal("1.33", (string?)(await Eks.EksAsync(HttpMethod.Get, "/clusters/life")).Json["cluster"]!["version"]);
        Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("ACTIVE", await ClusterStatusAsync());
        Assert.Equal("1.34", (string?)(await Eks.EksAsync(HttpMethod.Get, "/clusters/life")).Json["cluster"]!["version"]);

        await Eks.EksAsync(HttpMethod.Delete, "/clusters/life");
        Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("DELETING", await ClusterStatusAsync());
        Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(404, (await Eks.EksAsync(HttpMethod.Get, "/clusters/life")).Status);
    }

    [Fact]
    public async Task Nodegroup_MovesThroughCreatingUpdatingDeleting_AtTheConfiguredDurations()
    {
        await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("life", "1.33"));
        Advance(TimeSpan.FromMinutes(10));
        await Eks.EksAsync(HttpMethod.Post, "/clusters/life/node-groups", AwsEmulator.NodegroupRequest("ng"));
        Advance(TimeSpan.FromMinutes(3));
        Assert.Equal("CREATING", await NodegroupStatusAsync());
        Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("ACTIVE", await NodegroupStatusAsync());

        await Eks.EksAsync(HttpMethod.Post, "/clusters/life/node-groups/ng/update-config", new JsonObject { ["scalingConfig"] = new JsonObject { ["desiredSize"] = 1 } });
        Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("UPDATING", await NodegroupStatusAsync());
        Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("ACTIVE", await NodegroupStatusAsync());

        await Eks.EksAsync(HttpMethod.Delete, "/clusters/life/node-groups/ng");
        Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("DELETING", await NodegroupStatusAsync());
        Assert.Equal((409, "ResourceInUseException"), await StatusAndTypeAsync(HttpMethod.Delete, "/clusters/life"));
        Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(404, (await Eks.EksAsync(HttpMethod.Get, "/clusters/life/node-groups/ng")).Status);
    }

    [Fact]
    public async Task DeleteCluster_WhileCreating_ReturnsResourceInUseException()
    {
        await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("life"));

        Assert.Equal((409, "ResourceInUseException"), await StatusAndTypeAsync(HttpMethod.Delete, "/clusters/life"));
    }

    [Fact]
    public async Task DescribeCluster_WhileCreating_HasNoEndpointYet()
    {
        await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("life"));

        var cluster = (await Eks.EksAsync(HttpMethod.Get, "/clusters/life")).Json["cluster"]!;

        Assert.Null(cluster["endpoint"]);
    }

    private async Task<(int, string?)> StatusAndTypeAsync(HttpMethod method, string path)
    {
        var response = await Eks.EksAsync(method, path);
        return (response.Status, response.ErrorType);
    }

    private static string Key(JsonObject describe) => describe["cluster"]?["endpoint"] is { } endpoint ? ((string)endpoint!).Split('/')[^1] : "none";
}
