using System.Text.Json.Nodes;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

public sealed class EksTagTests : IAsyncLifetime
{
    private AwsEmulator _emulator = null!;
    private string _clusterArn = "";

    private AwsTestClient Eks => _emulator.Platform;

    public async Task InitializeAsync()
    {
        _emulator = await AwsEmulator.StartAsync();
        _clusterArn = (string)(await _emulator.CreateActiveClusterAsync(Eks, "tagged"))["arn"]!;
    }

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    private string TagsPath(string arn) => $"/tags/{Uri.EscapeDataString(arn)}";

    [Fact]
    public async Task TagResource_ThenUntagResource_ChangesListTagsForResource()
    {
        var tagged = await Eks.EksAsync(HttpMethod.Post, TagsPath(_clusterArn), new JsonObject { ["tags"] = new JsonObject { ["team"] = "ml", ["env"] = "dev" } });
        Assert.Equal(200, tagged.Status);

        var untagged = await Eks.EksAsync(HttpMethod.Delete, $"{TagsPath(_clusterArn)}?tagKeys=team&tagKeys=missing");
        Assert.Equal(200, untagged.Status);

        var listed = await Eks.EksAsync(HttpMethod.Get, TagsPath(_clusterArn));
        Assert.Equal("""{"env":"dev"}""", listed.Json["tags"]!.ToJsonString());
    }

    [Fact]
    public async Task TagResource_OnNodegroupArn_TagsTheNodegroup()
    {
        var nodegroup = await _emulator.CreateActiveNodegroupAsync(Eks, "tagged", "ng");
        var arn = (string)nodegroup["nodegroupArn"]!;

        await Eks.EksAsync(HttpMethod.Post, TagsPath(arn), new JsonObject { ["tags"] = new JsonObject { ["pool"] = "gpu" } });

        Assert.Equal("gpu", (string?)(await Eks.EksAsync(HttpMethod.Get, "/clusters/tagged/node-groups/ng")).Json["nodegroup"]!["tags"]!["pool"]);
    }

    [Fact]
    public async Task TagResource_WithUnknownArn_ReturnsNotFoundException()
    {
        var response = await Eks.EksAsync(HttpMethod.Post, TagsPath("arn:aws:eks:us-east-1:111111111111:cluster/ghost"), new JsonObject { ["tags"] = new JsonObject { ["a"] = "b" } });

        Assert.Equal((404, "NotFoundException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListTagsForResource_OfAnotherAccountsCluster_ReturnsNotFoundException()
    {
        var response = await _emulator.Team.EksAsync(HttpMethod.Get, TagsPath(_clusterArn));

        Assert.Equal((404, "NotFoundException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListTagsForResource_WithMalformedArn_ReturnsBadRequestException()
    {
        var response = await Eks.EksAsync(HttpMethod.Get, TagsPath("not-an-arn"));

        Assert.Equal((400, "BadRequestException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task TagResource_WithoutTags_ReturnsBadRequestException()
    {
        var response = await Eks.EksAsync(HttpMethod.Post, TagsPath(_clusterArn), []);

        Assert.Equal((400, "BadRequestException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task TagResource_WithTooLongKey_ReturnsBadRequestException()
    {
        var response = await Eks.EksAsync(HttpMethod.Post, TagsPath(_clusterArn), new JsonObject { ["tags"] = new JsonObject { [new string('k', 129)] = "v" } });

        Assert.Equal((400, "BadRequestException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task UntagResource_WithoutTagKeys_ReturnsBadRequestException()
    {
        var response = await Eks.EksAsync(HttpMethod.Delete, TagsPath(_clusterArn));

        Assert.Equal((400, "BadRequestException"), (response.Status, response.ErrorType));
    }
}
