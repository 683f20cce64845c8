using System.Text.Json.Nodes;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

public sealed class EksNodegroupTests : IAsyncLifetime
{
    private AwsEmulator _emulator = null!;

    private AwsTestClient Eks => _emulator.Platform;

    public async Task InitializeAsync()
    {
        _emulator = await AwsEmulator.StartAsync();
        await _emulator.CreateActiveClusterAsync(Eks, "main", "1.33");
    }

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task CreateNodegroup_ForGpuPool_ReturnsCreatingThenActiveWithTaintsAndDefaults()
    {
        var request = AwsEmulator.NodegroupRequest("gpu");
        request["amiType"] = "AL2023_x86_64_NVIDIA";
        request["instanceTypes"] = new JsonArray("g5.xlarge");
        request["capacityType"] = "SPOT";
        request["scalingConfig"] = new JsonObject { ["minSize"] = 0, ["maxSize"] = 4, ["desiredSize"] = 1 };
        request["taints"] = new JsonArray(new JsonObject { ["key"] = "nvidia.com/gpu", ["value"] = "true", ["effect"] = "NO_SCHEDULE" });
        request["labels"] = new JsonObject { ["pool"] = "gpu" };

        var created = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups", request);

        Assert.Equal(200, created.Status);
        Assert.Equal("CREATING", (string?)created.Json["nodegroup"]!["status"]);
        var nodegroup = (await Eks.EksAsync(HttpMethod.Get, "/clusters/main/node-groups/gpu")).Json["nodegroup"]!;
        Assert.Equal("ACTIVE", (string?)nodegroup["status"]);
        Assert.Equal("1.33", (string?)nodegroup["version"]);
        Assert.Equal("SPOT", (string?)nodegroup["capacityType"]);
        Assert.Equal("NO_SCHEDULE", (string?)nodegroup["taints"]![0]!["effect"]);
        Assert.Equal(1, (int)nodegroup["scalingConfig"]!["desiredSize"]!);
        Assert.StartsWith("arn:aws:eks:us-east-1:111111111111:nodegroup/main/gpu/", (string?)nodegroup["nodegroupArn"]);
    }

    [Fact]
    public async Task CreateNodegroup_WithoutScalingConfig_DefaultsAsEksDoes()
    {
        var nodegroup = await _emulator.CreateActiveNodegroupAsync(Eks, "main", "defaults");

        Assert.Equal((1, 2, 2), ((int)nodegroup["scalingConfig"]!["minSize"]!, (int)nodegroup["scalingConfig"]!["maxSize"]!, (int)nodegroup["scalingConfig"]!["desiredSize"]!));
        Assert.Equal("ON_DEMAND", (string?)nodegroup["capacityType"]);
    }

    [Fact]
    public async Task CreateNodegroup_WithVersionAboveCluster_ReturnsInvalidParameterException()
    {
        var request = AwsEmulator.NodegroupRequest("ahead");
        request["version"] = "1.34";

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups", request);

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task CreateNodegroup_WithUnknownAmiType_ReturnsInvalidParameterException()
    {
        var request = AwsEmulator.NodegroupRequest("ami");
        request["amiType"] = "WINDOWS_95";

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups", request);

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
        Assert.Contains("enum", response.Message);
    }

    [Fact]
    public async Task CreateNodegroup_WithMinAboveMax_ReturnsInvalidParameterException()
    {
        var request = AwsEmulator.NodegroupRequest("inverted");
        request["scalingConfig"] = new JsonObject { ["minSize"] = 3, ["maxSize"] = 2, ["desiredSize"] = 2 };

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups", request);

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task CreateNodegroup_WithExistingName_ReturnsResourceInUseException()
    {
        await _emulator.CreateActiveNodegroupAsync(Eks, "main", "twice");

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups", AwsEmulator.NodegroupRequest("twice"));

        Assert.Equal((409, "ResourceInUseException"), (response.Status, response.ErrorType));
        Assert.Equal("twice", (string?)response.Json["nodegroupName"]);
    }

    [Fact]
    public async Task CreateNodegroup_OnUnknownCluster_ReturnsResourceNotFoundException()
    {
        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/ghost/node-groups", AwsEmulator.NodegroupRequest("ng"));

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task CreateNodegroup_OnCreatingCluster_ReturnsInvalidRequestException()
    {
        await using var slow = await AwsEmulator.StartAsync(o => o.Lifecycle = new LifecycleOptions { ClusterCreate = TimeSpan.FromMinutes(10) });
        await slow.Platform.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("young"));

        var response = await slow.Platform.EksAsync(HttpMethod.Post, "/clusters/young/node-groups", AwsEmulator.NodegroupRequest("ng"));

        Assert.Equal((400, "InvalidRequestException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task CreateNodegroup_WithoutNodeRole_ReturnsInvalidParameterException()
    {
        var request = AwsEmulator.NodegroupRequest("norole");
        request.Remove("nodeRole");

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups", request);

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
        Assert.Contains("'nodeRole'", response.Message);
    }

    [Fact]
    public async Task DescribeNodegroup_WithUnknownName_ReturnsResourceNotFoundException()
    {
        var response = await Eks.EksAsync(HttpMethod.Get, "/clusters/main/node-groups/ghost");

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListNodegroups_WithMaxResults_Pages()
    {
        foreach (var name in new[] { "a", "b", "c" }) await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups", AwsEmulator.NodegroupRequest(name));

        var first = await Eks.EksAsync(HttpMethod.Get, "/clusters/main/node-groups?maxResults=2");
        var second = await Eks.EksAsync(HttpMethod.Get, $"/clusters/main/node-groups?maxResults=2&nextToken={Uri.EscapeDataString((string)first.Json["nextToken"]!)}");

        Assert.Equal(["a", "b"], first.Json["nodegroups"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["c"], second.Json["nodegroups"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public async Task ListNodegroups_OnUnknownCluster_ReturnsResourceNotFoundException()
    {
        var response = await Eks.EksAsync(HttpMethod.Get, "/clusters/ghost/node-groups");

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task UpdateNodegroupConfig_WithScalingLabelsAndTaints_AppliesWhenTheUpdateCompletes()
    {
        await _emulator.CreateActiveNodegroupAsync(Eks, "main", "cfg");
        var request = new JsonObject
        {
            ["scalingConfig"] = new JsonObject { ["desiredSize"] = 3, ["maxSize"] = 5 },
            ["labels"] = new JsonObject { ["addOrUpdateLabels"] = new JsonObject { ["tier"] = "batch" } },
            ["taints"] = new JsonObject { ["addOrUpdateTaints"] = new JsonArray(new JsonObject { ["key"] = "dedicated", ["value"] = "batch", ["effect"] = "NO_EXECUTE" }) },
        };

        var started = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups/cfg/update-config", request);

        Assert.Equal(200, started.Status);
        Assert.Equal("ConfigUpdate", (string?)started.Json["update"]!["type"]);
        var id = (string)started.Json["update"]!["id"]!;
        var nodegroup = (await Eks.EksAsync(HttpMethod.Get, "/clusters/main/node-groups/cfg")).Json["nodegroup"]!;
        Assert.Equal("ACTIVE", (string?)nodegroup["status"]);
        Assert.Equal(3, (int)nodegroup["scalingConfig"]!["desiredSize"]!);
        Assert.Equal("batch", (string?)nodegroup["labels"]!["tier"]);
        Assert.Equal("dedicated", (string?)nodegroup["taints"]![0]!["key"]);
        var update = await Eks.EksAsync(HttpMethod.Get, $"/clusters/main/updates/{id}?nodegroupName=cfg");
        Assert.Equal("Successful", (string?)update.Json["update"]!["status"]);
        var listed = await Eks.EksAsync(HttpMethod.Get, "/clusters/main/updates?nodegroupName=cfg");
        Assert.Equal([id], listed.Json["updateIds"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public async Task UpdateNodegroupConfig_WithNoChanges_ReturnsInvalidParameterException()
    {
        await _emulator.CreateActiveNodegroupAsync(Eks, "main", "same");

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups/same/update-config", []);

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task UpdateNodegroupConfig_WithNegativeMinSize_ReturnsInvalidParameterException()
    {
        await _emulator.CreateActiveNodegroupAsync(Eks, "main", "neg");

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups/neg/update-config",
            new JsonObject { ["scalingConfig"] = new JsonObject { ["minSize"] = -1 } });

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task UpdateNodegroupConfig_WhileUpdating_ReturnsResourceInUseException()
    {
        await using var slow = await AwsEmulator.StartAsync(o => o.Lifecycle = new LifecycleOptions
        {
            ClusterCreate = TimeSpan.Zero, NodegroupCreate = TimeSpan.Zero, NodegroupUpdate = TimeSpan.FromMinutes(10),
        });
        await slow.CreateActiveClusterAsync(slow.Platform, "c");
        await slow.CreateActiveNodegroupAsync(slow.Platform, "c", "ng");
        var change = new JsonObject { ["scalingConfig"] = new JsonObject { ["desiredSize"] = 1 } };
        await slow.Platform.EksAsync(HttpMethod.Post, "/clusters/c/node-groups/ng/update-config", change);

        var response = await slow.Platform.EksAsync(HttpMethod.Post, "/clusters/c/node-groups/ng/update-config", change);

        Assert.Equal((409, "ResourceInUseException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task UpdateNodegroupVersion_AfterControlPlane_UpgradesToClusterVersion()
    {
        await _emulator.CreateActiveNodegroupAsync(Eks, "main", "follow");
        await Eks.EksAsync(HttpMethod.Post, "/clusters/main/updates", new JsonObject { ["version"] = "1.34" });
        Assert.Equal("1.34", (string?)(await Eks.EksAsync(HttpMethod.Get, "/clusters/main")).Json["cluster"]!["version"]);

        var started = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups/follow/update-version", []);

        Assert.Equal(200, started.Status);
        Assert.Equal("VersionUpdate", (string?)started.Json["update"]!["type"]);
        var nodegroup = (await Eks.EksAsync(HttpMethod.Get, "/clusters/main/node-groups/follow")).Json["nodegroup"]!;
        Assert.Equal(("ACTIVE", "1.34"), ((string?)nodegroup["status"], (string?)nodegroup["version"]));
    }

    [Fact]
    public async Task UpdateNodegroupVersion_AboveClusterVersion_ReturnsInvalidParameterException()
    {
        await _emulator.CreateActiveNodegroupAsync(Eks, "main", "eager");

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups/eager/update-version", new JsonObject { ["version"] = "1.34" });

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task UpdateNodegroupVersion_OnUnknownNodegroup_ReturnsResourceNotFoundException()
    {
        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/main/node-groups/ghost/update-version", []);

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task DeleteNodegroup_WhenActive_GoesDeletingThenGoneAndClusterCanBeDeleted()
    {
        await _emulator.CreateActiveNodegroupAsync(Eks, "main", "temp");

        var deleted = await Eks.EksAsync(HttpMethod.Delete, "/clusters/main/node-groups/temp");

        Assert.Equal("DELETING", (string?)deleted.Json["nodegroup"]!["status"]);
        Assert.Equal(404, (await Eks.EksAsync(HttpMethod.Get, "/clusters/main/node-groups/temp")).Status);
        Assert.Equal(200, (await Eks.EksAsync(HttpMethod.Delete, "/clusters/main")).Status);
    }

    [Fact]
    public async Task DeleteNodegroup_WithUnknownName_ReturnsResourceNotFoundException()
    {
        var response = await Eks.EksAsync(HttpMethod.Delete, "/clusters/main/node-groups/ghost");

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
    }
}
