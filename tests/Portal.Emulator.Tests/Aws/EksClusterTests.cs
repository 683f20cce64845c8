using System.Text.Json.Nodes;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

public sealed class EksClusterTests : IAsyncLifetime
{
    private AwsEmulator _emulator = null!;

    private AwsTestClient Eks => _emulator.Platform;

    public async Task InitializeAsync() => _emulator = await AwsEmulator.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task CreateCluster_WithValidRequest_ReturnsCreatingClusterThenActiveWithEndpointAndCa()
    {
        var created = await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("alpha", "1.33"));

        Assert.Equal(200, created.Status);
        var cluster = created.Json["cluster"]!;
        Assert.Equal("CREATING", (string?)cluster["status"]);
        Assert.Equal("arn:aws:eks:us-east-1:111111111111:cluster/alpha", (string?)cluster["arn"]);
        Assert.Equal("1.33", (string?)cluster["version"]);

        var active = (await Eks.EksAsync(HttpMethod.Get, "/clusters/alpha")).Json["cluster"]!;
        Assert.Equal("ACTIVE", (string?)active["status"]);
        var endpoint = (string)active["endpoint"]!;
        Assert.StartsWith(_emulator.Host.HttpsBaseAddress + "k8s/", endpoint);
        Assert.StartsWith("https://127.0.0.1:", endpoint);
        var key = endpoint[(endpoint.LastIndexOf('/') + 1)..];
        Assert.Equal("alpha", _emulator.Host.Clusters.FindByKey(key)!.Name);
        var pem = System.Text.Encoding.ASCII.GetString(Convert.FromBase64String((string)active["certificateAuthority"]!["data"]!));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", pem);
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem);
        Assert.Contains("kubernetes", certificate.Subject);
    }

    [Fact]
    public async Task CreateCluster_WithoutVersion_UsesNewestSupportedVersion()
    {
        var created = await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("newest"));

        Assert.Equal(_emulator.Host.Options.EffectiveKubernetesVersions[^1], (string?)created.Json["cluster"]!["version"]);
    }

    [Fact]
    public async Task CreateCluster_WithUnknownVersion_ReturnsInvalidParameterException()
    {
        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("old", "1.12"));

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
        Assert.Equal("old", (string?)response.Json["clusterName"]);
    }

    [Fact]
    public async Task CreateCluster_WithInvalidName_ReturnsInvalidParameterException()
    {
        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("-bad name"));

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
        Assert.Contains("pattern", response.Message);
    }

    [Fact]
    public async Task CreateCluster_WithOneSubnet_ReturnsInvalidParameterException()
    {
        var request = AwsEmulator.ClusterRequest("one-subnet");
        request["resourcesVpcConfig"] = new JsonObject { ["subnetIds"] = new JsonArray("subnet-a") };

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters", request);

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task CreateCluster_WithMalformedJson_ReturnsSerializationException()
    {
        var response = await Eks.SendAsync("eks", HttpMethod.Post, "/clusters", "{not json"u8.ToArray(), "application/json");

        Assert.Equal(400, response.Status);
        Assert.Equal("SerializationException", response.ErrorType);
    }

    [Fact]
    public async Task CreateCluster_WithExistingName_ReturnsResourceInUseException()
    {
        await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("dup"));

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("dup"));

        Assert.Equal((409, "ResourceInUseException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task CreateCluster_RepeatedWithSameClientRequestToken_ReturnsTheSameClusterOnce()
    {
        var request = AwsEmulator.ClusterRequest("idem");
        request["clientRequestToken"] = "token-1";

        var first = await Eks.EksAsync(HttpMethod.Post, "/clusters", request);
        var second = await Eks.EksAsync(HttpMethod.Post, "/clusters", request);

        Assert.Equal(200, second.Status);
        Assert.Equal((string?)first.Json["cluster"]!["arn"], (string?)second.Json["cluster"]!["arn"]);
        Assert.Single((await Eks.EksAsync(HttpMethod.Get, "/clusters")).Json["clusters"]!.AsArray());
    }

    [Fact]
    public async Task CreateCluster_BeyondTheQuota_ReturnsResourceLimitExceededException()
    {
        await using var small = await AwsEmulator.StartAsync(o => o.MaxClustersPerRegion = 1);
        await small.Platform.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("first"));

        var response = await small.Platform.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("second"));

        Assert.Equal((400, "ResourceLimitExceededException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task DescribeCluster_WithUnknownName_ReturnsResourceNotFoundException()
    {
        var response = await Eks.EksAsync(HttpMethod.Get, "/clusters/missing");

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
        Assert.Equal("missing", (string?)response.Json["clusterName"]);
    }

    [Fact]
    public async Task DescribeCluster_FromAnotherAccount_ReturnsResourceNotFoundException()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "private");

        var response = await _emulator.Team.EksAsync(HttpMethod.Get, "/clusters/private");

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
        Assert.Empty((await _emulator.Team.EksAsync(HttpMethod.Get, "/clusters")).Json["clusters"]!.AsArray());
    }

    [Fact]
    public async Task DescribeCluster_FromAnotherRegion_ReturnsResourceNotFoundException()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "regional");
        using var ireland = new AwsTestClient(_emulator.Host.BaseAddress, Eks.Credentials, _emulator.Clock, "eu-west-1");

        var response = await ireland.EksAsync(HttpMethod.Get, "/clusters/regional");

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListClusters_WithMaxResults_PagesWithNextToken()
    {
        foreach (var name in new[] { "c", "a", "b" }) await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest(name));

        var first = await Eks.EksAsync(HttpMethod.Get, "/clusters?maxResults=2");
        var second = await Eks.EksAsync(HttpMethod.Get, $"/clusters?maxResults=2&nextToken={Uri.EscapeDataString((string)first.Json["nextToken"]!)}");

        Assert.Equal(["a", "b"], first.Json["clusters"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["c"], second.Json["clusters"]!.AsArray().Select(n => (string)n!));
        Assert.Null(second.Json["nextToken"]);
    }

    [Theory]
    [InlineData("maxResults=0")]
    [InlineData("maxResults=101")]
    [InlineData("maxResults=many")]
    [InlineData("nextToken=garbage")]
    public async Task ListClusters_WithInvalidPaging_ReturnsInvalidParameterException(string query)
    {
        var response = await Eks.EksAsync(HttpMethod.Get, $"/clusters?{query}");

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task DeleteCluster_WhenActive_GoesDeletingThenGone()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "doomed");

        var deleted = await Eks.EksAsync(HttpMethod.Delete, "/clusters/doomed");

        Assert.Equal(200, deleted.Status);
        Assert.Equal("DELETING", (string?)deleted.Json["cluster"]!["status"]);
        Assert.Equal((404, "ResourceNotFoundException"), ((await Eks.EksAsync(HttpMethod.Get, "/clusters/doomed")) is var r ? (r.Status, r.ErrorType) : default));
    }

    [Fact]
    public async Task DeleteCluster_WithNodegroups_ReturnsResourceInUseException()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "busy");
        await _emulator.CreateActiveNodegroupAsync(Eks, "busy", "workers");

        var response = await Eks.EksAsync(HttpMethod.Delete, "/clusters/busy");

        Assert.Equal((409, "ResourceInUseException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task DeleteCluster_WithUnknownName_ReturnsResourceNotFoundException()
    {
        var response = await Eks.EksAsync(HttpMethod.Delete, "/clusters/ghost");

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task UpdateClusterVersion_ByOneMinor_UpdatesAndCompletes()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "upgrade", "1.32");

        var started = await Eks.EksAsync(HttpMethod.Post, "/clusters/upgrade/updates", new JsonObject { ["version"] = "1.33" });

        Assert.Equal(200, started.Status);
        var update = started.Json["update"]!;
        Assert.Equal(("InProgress", "VersionUpdate"), ((string?)update["status"], (string?)update["type"]));
        var id = (string)update["id"]!;
        var described = await Eks.EksAsync(HttpMethod.Get, $"/clusters/upgrade/updates/{id}");
        Assert.Equal("Successful", (string?)described.Json["update"]!["status"]);
        Assert.Equal("1.33", (string?)(await Eks.EksAsync(HttpMethod.Get, "/clusters/upgrade")).Json["cluster"]!["version"]);
        var listed = await Eks.EksAsync(HttpMethod.Get, "/clusters/upgrade/updates");
        Assert.Equal([id], listed.Json["updateIds"]!.AsArray().Select(n => (string)n!));
    }

    [Theory]
    [InlineData("1.34")]
    [InlineData("1.32")]
    [InlineData("1.31")]
    [InlineData("2.0")]
    public async Task UpdateClusterVersion_NotExactlyOneMinorUp_ReturnsInvalidParameterException(string version)
    {
        await _emulator.CreateActiveClusterAsync(Eks, "skip", "1.32");

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/skip/updates", new JsonObject { ["version"] = version });

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task UpdateClusterVersion_WhileUpdating_ReturnsResourceInUseException()
    {
        await using var slow = await AwsEmulator.StartAsync(o => o.Lifecycle = new LifecycleOptions { ClusterCreate = TimeSpan.Zero, ClusterUpdate = TimeSpan.FromMinutes(10) });
        await slow.CreateActiveClusterAsync(slow.Platform, "slow", "1.32");
        await slow.Platform.EksAsync(HttpMethod.Post, "/clusters/slow/updates", new JsonObject { ["version"] = "1.33" });

        var response = await slow.Platform.EksAsync(HttpMethod.Post, "/clusters/slow/updates", new JsonObject { ["version"] = "1.34" });

        Assert.Equal((409, "ResourceInUseException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task UpdateClusterVersion_WithNodegroupBehind_ReturnsInvalidRequestException()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "behind", "1.32");
        await _emulator.CreateActiveNodegroupAsync(Eks, "behind", "ng");
        await Eks.EksAsync(HttpMethod.Post, "/clusters/behind/updates", new JsonObject { ["version"] = "1.33" });
        Assert.Equal("ACTIVE", (string?)(await Eks.EksAsync(HttpMethod.Get, "/clusters/behind")).Json["cluster"]!["status"]);

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/behind/updates", new JsonObject { ["version"] = "1.34" });

        Assert.Equal((400, "InvalidRequestException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task UpdateClusterVersion_RepeatedWithSameClientRequestToken_ReturnsTheSameUpdate()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "idem-up", "1.32");
        var request = new JsonObject { ["version"] = "1.33", ["clientRequestToken"] = "up-1" };

        var first = await Eks.EksAsync(HttpMethod.Post, "/clusters/idem-up/updates", request);
        var second = await Eks.EksAsync(HttpMethod.Post, "/clusters/idem-up/updates", request);

        Assert.Equal((string?)first.Json["update"]!["id"], (string?)second.Json["update"]!["id"]);
    }

    [Fact]
    public async Task UpdateClusterVersion_WithoutVersion_ReturnsInvalidParameterException()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "noversion");

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters/noversion/updates", []);

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
        Assert.Contains("'version'", response.Message);
    }

    [Fact]
    public async Task DescribeUpdate_WithUnknownId_ReturnsResourceNotFoundException()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "noupdate");

        var response = await Eks.EksAsync(HttpMethod.Get, "/clusters/noupdate/updates/00000000-0000-0000-0000-000000000000");

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListUpdates_ForUnknownCluster_ReturnsResourceNotFoundException()
    {
        var response = await Eks.EksAsync(HttpMethod.Get, "/clusters/ghost/updates");

        Assert.Equal((404, "ResourceNotFoundException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListUpdates_WithMaxResultsAboveModelMaximum_ReturnsInvalidParameterException()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "many");

        var response = await Eks.EksAsync(HttpMethod.Get, "/clusters/many/updates?maxResults=101");

        Assert.Equal((400, "InvalidParameterException"), (response.Status, response.ErrorType));
    }
}
