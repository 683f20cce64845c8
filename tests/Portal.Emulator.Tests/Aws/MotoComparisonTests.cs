using System.Text.Json.Nodes;
using Amazon.Runtime;
using Portal.Emulator.Aws;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

/// <summary>
/// The same requests to our emulator and to moto, an independent AWS emulator. Where they answer differently the
/// botocore model decides who is right, and each test records the verdict.
/// </summary>
public sealed class MotoComparisonTests(MotoServer moto) : IClassFixture<MotoServer>, IAsyncLifetime
{
    private static readonly AwsServiceModel Model = AwsServiceModel.LoadEks();
    private AwsEmulator _emulator = null!;
    private AwsTestClient _moto = null!;

    public async Task InitializeAsync()
    {
        _emulator = await AwsEmulator.StartAsync();
        _moto = new AwsTestClient(moto.BaseAddress, new BasicAWSCredentials("AKIAMOTO000000000000", "moto"), TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        _moto.Dispose();
        await _emulator.DisposeAsync();
    }

    private async Task<(AwsResponse Ours, AwsResponse Moto)> BothAsync(HttpMethod method, string path, JsonObject? body = null) =>
        (await _emulator.Platform.EksAsync(method, path, body?.DeepClone().AsObject()), await _moto.EksAsync(method, path, body?.DeepClone().AsObject()));

    private static string Describe(IReadOnlyList<ModelViolation> violations) => string.Join("; ", violations.Select(v => $"{v.Path}: {v.Message} ({v.Value})"));

    private static bool ModelAllowsSuccess(string shape, JsonObject request) => Model.Validate(shape, request).Count == 0;

    [MotoFact]
    public async Task DescribeCluster_OfUnknownCluster_BothAnswer404ResourceNotFoundException()
    {
        var (ours, theirs) = await BothAsync(HttpMethod.Get, "/clusters/nobody");

        Assert.Equal((404, "ResourceNotFoundException"), (ours.Status, ours.ErrorType));
        Assert.Equal((404, "ResourceNotFoundException"), (theirs.Status, theirs.ErrorType));
        Assert.Contains("ResourceNotFoundException", Model.Errors("DescribeCluster"));
    }

    [MotoFact]
    public async Task CreateCluster_Twice_BothAnswer409ResourceInUseException()
    {
        await BothAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("twice"));

        var (ours, theirs) = await BothAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("twice"));

        Assert.Equal((409, "ResourceInUseException"), (ours.Status, ours.ErrorType));
        Assert.Equal((409, "ResourceInUseException"), (theirs.Status, theirs.ErrorType));
    }

    [MotoFact]
    public async Task CreateCluster_WithoutTags_MotoAnswersAnEmptyTagMapThatTheModelForbids()
    {
        var (ours, theirs) = await BothAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("shape"));

        // Verdict: TagMap has min 1, so a cluster without tags has no "tags" member; moto sends "tags": {}.
        Assert.Equal((200, 200), (ours.Status, theirs.Status));
        Assert.Equal("", Describe(Model.Validate(Model.OutputShape("CreateCluster")!, ours.Json)));
        Assert.Equal(1, (int)Model.Shape("TagMap")["min"]!);
        Assert.Contains("cluster.tags", Describe(Model.Validate(Model.OutputShape("CreateCluster")!, theirs.Json)));
    }

    [MotoFact]
    public async Task CreateCluster_WithNameBreakingTheModelPattern_MotoAcceptsItAndTheModelSaysWeAreRight()
    {
        var request = AwsEmulator.ClusterRequest("-bad name");

        var (ours, theirs) = await BothAsync(HttpMethod.Post, "/clusters", request);

        // Verdict: ClusterName's pattern ^[0-9A-Za-z][A-Za-z0-9\-_]* forbids it; moto does not check patterns.
        Assert.False(ModelAllowsSuccess("CreateClusterRequest", request));
        Assert.Equal(200, theirs.Status);
        Assert.Equal((400, "InvalidParameterException"), (ours.Status, ours.ErrorType));
    }

    [MotoFact]
    public async Task ListClusters_WithMaxResultsZero_MotoAcceptsItAndTheModelSaysWeAreRight()
    {
        var (ours, theirs) = await BothAsync(HttpMethod.Get, "/clusters?maxResults=0");

        // Verdict: ListClustersRequestMaxResults has min 1.
        Assert.Equal(1, (int)Model.Shape("ListClustersRequestMaxResults")["min"]!);
        Assert.Equal(200, theirs.Status);
        Assert.Equal((400, "InvalidParameterException"), (ours.Status, ours.ErrorType));
    }

    [MotoFact]
    public async Task CreateNodegroup_WithoutRequiredNodeRole_MotoFailsWith500AndTheModelSaysWeAreRight()
    {
        await _emulator.CreateActiveClusterAsync(_emulator.Platform, "ngs");
        await _moto.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("ngs"));
        var request = new JsonObject { ["nodegroupName"] = "n", ["subnets"] = new JsonArray("subnet-a") };

        var (ours, theirs) = await BothAsync(HttpMethod.Post, "/clusters/ngs/node-groups", request);

        // Verdict: nodeRole is required by CreateNodegroupRequest; the model's error for it is InvalidParameterException, not a 5xx.
        Assert.Contains("nodeRole", Model.Required("CreateNodegroupRequest"));
        Assert.Equal(500, theirs.Status);
        Assert.Equal((400, "InvalidParameterException"), (ours.Status, ours.ErrorType));
    }

    [MotoFact]
    public async Task UpdateClusterVersion_MotoDoesNotServeItAndTheModelDefinesIt()
    {
        await _emulator.CreateActiveClusterAsync(_emulator.Platform, "upg", "1.33");
        await _moto.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("upg", "1.33"));

        var (ours, theirs) = await BothAsync(HttpMethod.Post, "/clusters/upg/updates", new JsonObject { ["version"] = "1.34" });

        // Verdict: the model defines POST /clusters/{name}/updates; moto answers 404 with no error type.
        Assert.Equal("/clusters/{name}/updates", Model.RequestUri("UpdateClusterVersion"));
        Assert.Equal((404, null), (theirs.Status, theirs.ErrorType));
        Assert.Equal(200, ours.Status);
        Assert.Equal("", Describe(Model.Validate(Model.OutputShape("UpdateClusterVersion")!, ours.Json)));
    }
}
