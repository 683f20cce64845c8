using Portal.Core.Cloud.Aws;
using Portal.Core.Tests.Cloud.Support;
using Portal.Emulator.Shared;
using static Portal.Core.Tests.Cloud.Support.CloudServices;

namespace Portal.Core.Tests.Cloud;

public sealed class EksClientTests(CloudEmulator cloud) : IClassFixture<CloudEmulator>, IAsyncLifetime
{
    private Microsoft.Extensions.DependencyInjection.ServiceProvider _services = null!;
    private AwsSession _session = null!;

    private EksClient Eks => _services.Eks();

    public async Task InitializeAsync()
    {
        _services = cloud.Services();
        _session = await cloud.AssumeAsync(_services);
    }

    public async Task DisposeAsync()
    {
        cloud.Host.Faults.Clear();
        await _services.DisposeAsync();
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Cluster_CreateDescribeListDelete_RoundTripsTheModelShapes()
    {
        var name = Unique("ml");
        var created = await Eks.CreateClusterAsync(_session, Cluster(name, version: "1.33", tags: new Dictionary<string, string> { ["team"] = "ml" }));

        Assert.Equal(name, created.Name);
        Assert.Equal(EksClusterStatus.Creating, created.Status);
        Assert.Equal($"arn:aws:eks:us-east-1:{cloud.Role.AccountId}:cluster/{name}", created.Arn);

        var described = await Eks.DescribeClusterAsync(_session, name);
        Assert.True(described.IsActive);
        Assert.Equal("1.33", described.Version);
        Assert.StartsWith("https://", described.Endpoint);
        Assert.False(string.IsNullOrEmpty(described.CertificateAuthority?.Data));
        Assert.Equal(["subnet-a", "subnet-b"], described.ResourcesVpcConfig!.SubnetIds!);
        Assert.Equal("ml", described.Tags!["team"]);
        Assert.NotNull(described.CreatedAt);
        Assert.InRange(described.CreatedAt!.Value, cloud.Clock.GetUtcNow().AddMinutes(-5), cloud.Clock.GetUtcNow().AddMinutes(1));
        Assert.Contains(name, await Eks.ListAllClustersAsync(_session));

        var deleting = await Eks.DeleteClusterAsync(_session, name);
        Assert.Equal(EksClusterStatus.Deleting, deleting.Status);
        Assert.Null(await Eks.TryDescribeClusterAsync(_session, name));
        Assert.DoesNotContain(name, await Eks.ListAllClustersAsync(_session));
    }

    [Fact]
    public async Task DescribeCluster_OfAnUnknownCluster_IsNotFound_AndTryDescribeAnswersNull()
    {
        var e = await Assert.ThrowsAsync<AwsServiceException>(() => Eks.DescribeClusterAsync(_session, "nobody-here"));

        Assert.True(e.IsNotFound);
        Assert.Equal("ResourceNotFoundException", e.ErrorType);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, e.StatusCode);
        Assert.Null(await Eks.TryDescribeClusterAsync(_session, "nobody-here"));
        Assert.Null(await Eks.TryDescribeNodegroupAsync(_session, "nobody-here", "pool"));
    }

    [Fact]
    public async Task CreateCluster_TwiceWithTheSameClientRequestToken_MakesOneCluster()
    {
        var name = Unique("idem");
        var token = $"cluster-{name}-gen-1";
        var before = cloud.Host.Calls.Count("eks", "CreateCluster");

        var first = await Eks.CreateClusterAsync(_session, Cluster(name, token));
        var second = await Eks.CreateClusterAsync(_session, Cluster(name, token));

        Assert.Equal(first.Arn, second.Arn);
        Assert.Equal(before + 2, cloud.Host.Calls.Count("eks", "CreateCluster"));
        Assert.Single(await Eks.ListAllClustersAsync(_session), c => c == name);
        var other = await Assert.ThrowsAsync<AwsServiceException>(() => Eks.CreateClusterAsync(_session, Cluster(name, "another-token")));
        Assert.True(other.IsInUse);
    }

    [Fact]
    public async Task Nodegroups_OnDemandSpotAndGpu_CreateDescribeListScaleDelete()
    {
        var cluster = Unique("pools");
        await Eks.CreateClusterAsync(_session, Cluster(cluster));
        Assert.True((await Eks.DescribeClusterAsync(_session, cluster)).IsActive);

        await Eks.CreateNodegroupAsync(_session, cluster, Nodegroup("general") with { CapacityType = EksCapacityTypes.OnDemand, DiskSize = 50 });
        await Eks.CreateNodegroupAsync(_session, cluster, Nodegroup("spot") with { CapacityType = EksCapacityTypes.Spot, InstanceTypes = ["m6i.large", "m5.large"] });
        var gpuCreated = await Eks.CreateNodegroupAsync(_session, cluster, Nodegroup("gpu") with
        {
            InstanceTypes = ["g5.xlarge"],
            AmiType = EksAmiTypes.Al2023Nvidia,
            ScalingConfig = new EksScalingConfig(0, 4, 1),
            Labels = new Dictionary<string, string> { ["unicron.io/gpu"] = "a10g" },
            Taints = [new EksTaint("nvidia.com/gpu", "true", EksTaintEffects.NoSchedule)],
            Tags = new Dictionary<string, string> { ["team"] = "ml" },
        });
        Assert.Equal(EksNodegroupStatus.Creating, gpuCreated.Status);

        var gpu = await Eks.DescribeNodegroupAsync(_session, cluster, "gpu");
        Assert.True(gpu.IsActive);
        Assert.Equal(EksAmiTypes.Al2023Nvidia, gpu.AmiType);
        Assert.Equal(["g5.xlarge"], gpu.InstanceTypes!);
        Assert.Equal(new EksTaint("nvidia.com/gpu", "true", "NO_SCHEDULE"), Assert.Single(gpu.Taints!));
        Assert.Equal("a10g", gpu.Labels!["unicron.io/gpu"]);
        Assert.Equal(new EksScalingConfig(0, 4, 1), gpu.ScalingConfig);
        Assert.Equal(cluster, gpu.ClusterName);
        Assert.Equal("ml", gpu.Tags!["team"]);
        Assert.Equal(EksCapacityTypes.Spot, (await Eks.DescribeNodegroupAsync(_session, cluster, "spot")).CapacityType);
        Assert.Equal(50, (await Eks.DescribeNodegroupAsync(_session, cluster, "general")).DiskSize);
        Assert.Equal(["general", "gpu", "spot"], (await Eks.ListAllNodegroupsAsync(_session, cluster)).Order());

        var scaling = await Eks.UpdateNodegroupConfigAsync(_session, cluster, "gpu",
            new UpdateNodegroupConfigRequest { ScalingConfig = new EksScalingConfig(0, 8, 3), ClientRequestToken = $"{cluster}-gpu-scale-1" });
        Assert.Equal("ConfigUpdate", scaling.Type);
        Assert.Contains(scaling.Params!, p => p is { Type: "DesiredSize", Value: "3" });
        Assert.Equal(EksUpdateStatus.Successful, (await Eks.DescribeUpdateAsync(_session, cluster, scaling.Id, "gpu")).Status);
        Assert.Equal(new EksScalingConfig(0, 8, 3), (await Eks.DescribeNodegroupAsync(_session, cluster, "gpu")).ScalingConfig);
        Assert.Contains(scaling.Id, (await Eks.ListUpdatesAsync(_session, cluster, nodegroupName: "gpu")).Items);

        var inUse = await Assert.ThrowsAsync<AwsServiceException>(() => Eks.DeleteClusterAsync(_session, cluster));
        Assert.True(inUse.IsInUse, inUse.Message);
        foreach (var pool in new[] { "general", "spot", "gpu" }) await Eks.DeleteNodegroupAsync(_session, cluster, pool);
        Assert.Empty(await Eks.ListAllNodegroupsAsync(_session, cluster));
        await Eks.DeleteClusterAsync(_session, cluster);
        Assert.Null(await Eks.TryDescribeClusterAsync(_session, cluster));
    }

    [Fact]
    public async Task UpdateClusterVersion_OneMinor_IsDescribedAsAVersionUpdate_ThenNodegroupsFollow()
    {
        var cluster = Unique("upgrade");
        await Eks.CreateClusterAsync(_session, Cluster(cluster, version: "1.32"));
        await Eks.CreateNodegroupAsync(_session, cluster, Nodegroup("general") with { Version = "1.32" });
        await Eks.DescribeNodegroupAsync(_session, cluster, "general");

        var skip = await Assert.ThrowsAsync<AwsServiceException>(() => Eks.UpdateClusterVersionAsync(_session, cluster, "1.34", null));
        Assert.False(skip.IsRetryable);

        var update = await Eks.UpdateClusterVersionAsync(_session, cluster, "1.33", $"{cluster}-to-1.33");
        Assert.Equal("VersionUpdate", update.Type);
        Assert.Contains(update.Params!, p => p is { Type: "Version", Value: "1.33" });
        var described = await Eks.DescribeUpdateAsync(_session, cluster, update.Id);
        Assert.Equal(EksUpdateStatus.Successful, described.Status);
        Assert.Empty(described.Errors ?? []);
        Assert.Equal("1.33", (await Eks.DescribeClusterAsync(_session, cluster)).Version);
        Assert.Contains(update.Id, (await Eks.ListUpdatesAsync(_session, cluster)).Items);

        var nodes = await Eks.UpdateNodegroupVersionAsync(_session, cluster, "general", new UpdateNodegroupVersionRequest { Version = "1.33", ClientRequestToken = $"{cluster}-ng-1.33" });
        Assert.Equal(EksUpdateStatus.Successful, (await Eks.DescribeUpdateAsync(_session, cluster, nodes.Id, "general")).Status);
        Assert.Equal("1.33", (await Eks.DescribeNodegroupAsync(_session, cluster, "general")).Version);
    }

    [Fact]
    public async Task Tags_TagListAndUntag()
    {
        var cluster = await Eks.CreateClusterAsync(_session, Cluster(Unique("tags"), tags: new Dictionary<string, string> { ["team"] = "ml" }));

        await Eks.TagResourceAsync(_session, cluster.Arn!, new Dictionary<string, string> { ["cost-centre"] = "cc-42", ["environment"] = "dev" });
        var tags = await Eks.ListTagsForResourceAsync(_session, cluster.Arn!);
        await Eks.UntagResourceAsync(_session, cluster.Arn!, ["environment"]);

        Assert.Equal(new Dictionary<string, string> { ["team"] = "ml", ["cost-centre"] = "cc-42", ["environment"] = "dev" }, tags);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "ml", ["cost-centre"] = "cc-42" }, await Eks.ListTagsForResourceAsync(_session, cluster.Arn!));
    }

    [Fact]
    public async Task Throttling_ForTheNextCalls_IsRetriedWithBackoff_UntilItSucceeds()
    {
        cloud.Host.Faults.Add(new FaultRule("eks", "ListClusters", FaultKind.Throttle, RemainingCalls: 3));
        var before = cloud.Host.Calls.All.Count;

        await Eks.ListClustersAsync(_session);

        var attempts = cloud.Host.Calls.All.Skip(before).Where(c => c.Operation == "ListClusters").Select(c => c.At).ToList();
        Assert.Equal(4, attempts.Count);
        AssertSpacedByAtLeast(CloudEmulator.RetryBase, attempts);
    }

    [Fact]
    public async Task ServerErrors_OnCreate_AreRetried_AndTheTokenKeepsItToOneCluster()
    {
        var name = Unique("5xx");
        var before = cloud.Host.Calls.All.Count;
        cloud.Host.Faults.Add(new FaultRule("eks", "CreateCluster", FaultKind.ServerError, RemainingCalls: 1, StatusCode: 503));
        cloud.Host.Faults.Add(new FaultRule("eks", "CreateCluster", FaultKind.ServerError, RemainingCalls: 1, StatusCode: 500));

        var created = await Eks.CreateClusterAsync(_session, Cluster(name, $"{name}-1"));

        Assert.Equal(name, created.Name);
        // CreateCluster names its cluster in the body, so the emulator's log has no cluster for it: count from the mark.
        var attempts = cloud.Host.Calls.All.Skip(before).Where(c => c.Operation == "CreateCluster").Select(c => c.At).ToList();
        Assert.Equal(3, attempts.Count);
        AssertSpacedByAtLeast(CloudEmulator.RetryBase, attempts);
        Assert.Single(await Eks.ListAllClustersAsync(_session), c => c == name);
    }

    [Fact]
    public async Task Throttling_BeyondMaxAttempts_SurfacesAsThrottling_AfterExactlyMaxAttemptsCalls()
    {
        await using var services = cloud.Services(maxAttempts: 3);
        var cluster = Unique("busy");
        cloud.Host.Faults.Add(new FaultRule("eks", "DescribeCluster", FaultKind.Throttle, RemainingCalls: 10));

        var e = await Assert.ThrowsAsync<AwsServiceException>(() => services.Eks().DescribeClusterAsync(_session, cluster));

        Assert.True(e.IsThrottling);
        Assert.True(e.IsRetryable);
        Assert.Equal(3, cloud.Host.Calls.Count("eks", "DescribeCluster", cluster));
    }

    [Theory]
    [InlineData("ExpiredTokenException", true)]
    [InlineData("ExpiredToken", true)]
    [InlineData("AccessDeniedException", false)]
    [InlineData("UnrecognizedClientException", false)]
    public void ExpiredCredentials_AreWorthTryingAgain_WrongOnesAreNot(string errorType, bool retryable)
    {
        // The next run assumes the role again, so credentials that expired mid-run are not a reason to stop the cluster.
        var e = new AwsServiceException(errorType, "The security token included in the request is expired", System.Net.HttpStatusCode.Forbidden, null, "DescribeNodegroup");
        Assert.Equal(retryable, e.IsRetryable);
    }

    [Fact]
    public async Task ValidationError_IsNotRetried()
    {
        var invalid = Cluster("-not-a-valid-name");
        var before = cloud.Host.Calls.Count("eks", "CreateCluster");

        var e = await Assert.ThrowsAsync<AwsServiceException>(() => Eks.CreateClusterAsync(_session, invalid));

        Assert.Equal("InvalidParameterException", e.ErrorType);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, e.StatusCode);
        Assert.False(e.IsRetryable);
        Assert.Equal(before + 1, cloud.Host.Calls.Count("eks", "CreateCluster"));
    }

    [Fact]
    public async Task Cancellation_DuringBackoff_StopsRetrying()
    {
        await using var services = CloudServices.Build(cloud.Clock, new Dictionary<string, string?>
        {
            ["Cloud:EksEndpoint"] = cloud.Host.BaseAddress.ToString(),
            ["Cloud:StsEndpoint"] = cloud.Host.BaseAddress.ToString(),
            ["Cloud:MaxAttempts"] = "10",
            ["Cloud:RetryBaseDelay"] = "00:00:05",
        });
        var cluster = Unique("cancel");
        cloud.Host.Faults.Add(new FaultRule("eks", "DescribeCluster", FaultKind.Throttle, RemainingCalls: 10));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => services.Eks().DescribeClusterAsync(_session, cluster, cts.Token));

        Assert.Equal(1, cloud.Host.Calls.Count("eks", "DescribeCluster", cluster));
    }

    private static void AssertSpacedByAtLeast(TimeSpan gap, IReadOnlyList<DateTimeOffset> attempts)
    {
        for (var i = 1; i < attempts.Count; i++)
        {
            // The emulator stamps calls with millisecond-ish precision; allow a millisecond of rounding.
            Assert.True(attempts[i] - attempts[i - 1] >= gap - TimeSpan.FromMilliseconds(1),
                $"attempt {i + 1} came {(attempts[i] - attempts[i - 1]).TotalMilliseconds} ms after the previous one");
        }
    }
}
