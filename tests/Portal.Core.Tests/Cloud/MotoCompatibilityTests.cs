using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Cloud.Aws;
using Portal.Core.Tests.Cloud.Support;
using static Portal.Core.Tests.Cloud.Support.CloudServices;

namespace Portal.Core.Tests.Cloud;

/// <summary>
/// The same client code, unmodified, against moto: an AWS emulator nobody here wrote. Where moto and our emulator
/// answer differently the botocore model decides; the differences are noted where they show.
/// </summary>
public sealed class MotoCompatibilityTests(Moto moto) : IClassFixture<Moto>, IAsyncLifetime
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/unicron-provisioner";
    private ServiceProvider _services = null!;

    private EksClient Eks => _services.Eks();

    public Task InitializeAsync()
    {
        _services = CloudServices.Build(TimeProvider.System, new Dictionary<string, string?>
        {
            ["Cloud:EksEndpoint"] = moto.BaseAddress.ToString(),
            ["Cloud:StsEndpoint"] = moto.BaseAddress.ToString(),
            // moto accepts any key; these only have to be well-formed.
            ["Cloud:AccessKeyId"] = "AKIAMOTOPORTAL000000",
            ["Cloud:SecretAccessKey"] = "moto-secret",
            ["Cloud:RetryBaseDelay"] = "00:00:00.050",
            // moto is one Python process: on a loaded CI machine an attempt can outlast the 30 s default, and the
            // retried create then finds the first one done ("already exists"). Patience, not a retry, is right here.
            ["Cloud:RequestTimeout"] = "00:03:00",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private Task<AwsSession> AssumeAsync() =>
        _services.GetRequiredService<AwsSessions>().AssumeAsync(RoleArn, "moto-external-id", "us-east-1", "alice@example.com");

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    [MotoFact]
    public async Task AssumeRole_ReturnsSessionCredentialsInTheRolesAccount_AndCachesThem()
    {
        var session = await AssumeAsync();
        var again = await AssumeAsync();

        Assert.Equal("123456789012", session.AccountId);
        Assert.False(string.IsNullOrEmpty(session.Credentials.Token));
        Assert.True(session.Expiration > DateTimeOffset.UtcNow.AddMinutes(30));
        Assert.Same(session, again);
    }

    [MotoFact]
    public async Task Cluster_CreateDescribeListDelete()
    {
        var session = await AssumeAsync();
        var name = Unique("moto");

        var created = await Eks.CreateClusterAsync(session, Cluster(name, version: "1.33", tags: new Dictionary<string, string> { ["team"] = "ml" }) with
        {
            RoleArn = "arn:aws:iam::123456789012:role/eks-cluster",
        });
        var described = await Eks.DescribeClusterAsync(session, name);

        Assert.Equal(name, created.Name);
        Assert.Equal($"arn:aws:eks:us-east-1:123456789012:cluster/{name}", described.Arn);
        // moto: clusters are ACTIVE at once (EKS and our emulator answer CREATING first); both are valid model values.
        Assert.True(described.IsActive);
        Assert.Equal("1.33", described.Version);
        Assert.NotNull(described.CreatedAt);
        Assert.Contains(name, await Eks.ListAllClustersAsync(session));

        await Eks.DeleteClusterAsync(session, name);
        Assert.Null(await Eks.TryDescribeClusterAsync(session, name));
        Assert.DoesNotContain(name, await Eks.ListAllClustersAsync(session));
    }

    [MotoFact]
    public async Task Nodegroups_CreateDescribeListScaleDelete_IncludingAGpuPool()
    {
        var session = await AssumeAsync();
        var cluster = Unique("pools");
        await Eks.CreateClusterAsync(session, Cluster(cluster));

        await Eks.CreateNodegroupAsync(session, cluster, Nodegroup("general") with { CapacityType = EksCapacityTypes.Spot });
        await Eks.CreateNodegroupAsync(session, cluster, Nodegroup("gpu") with
        {
            InstanceTypes = ["g5.xlarge"],
            AmiType = EksAmiTypes.Al2023Nvidia,
            ScalingConfig = new EksScalingConfig(0, 4, 1),
            Taints = [new EksTaint("nvidia.com/gpu", "true", EksTaintEffects.NoSchedule)],
        });
        var gpu = await Eks.DescribeNodegroupAsync(session, cluster, "gpu");

        Assert.Equal(EksAmiTypes.Al2023Nvidia, gpu.AmiType);
        Assert.Equal(new EksTaint("nvidia.com/gpu", "true", EksTaintEffects.NoSchedule), Assert.Single(gpu.Taints!));
        Assert.Equal(EksCapacityTypes.Spot, (await Eks.DescribeNodegroupAsync(session, cluster, "general")).CapacityType);
        Assert.Equal(["general", "gpu"], (await Eks.ListAllNodegroupsAsync(session, cluster)).Order());

        var update = await Eks.UpdateNodegroupConfigAsync(session, cluster, "gpu", new UpdateNodegroupConfigRequest { ScalingConfig = new EksScalingConfig(0, 8, 3) });
        Assert.Equal("ConfigUpdate", update.Type);
        Assert.False(string.IsNullOrEmpty(update.Id));
        // moto reports one "ScalingConfig" param holding a Python dict; the model's UpdateParamType has only
        // MinSize/MaxSize/DesiredSize (what EKS and our emulator send), so callers must not rely on params.
        Assert.Equal(new EksScalingConfig(0, 8, 3), (await Eks.DescribeNodegroupAsync(session, cluster, "gpu")).ScalingConfig);

        var inUse = await Assert.ThrowsAsync<AwsServiceException>(() => Eks.DeleteClusterAsync(session, cluster));
        Assert.True(inUse.IsInUse);
        await Eks.DeleteNodegroupAsync(session, cluster, "general");
        await Eks.DeleteNodegroupAsync(session, cluster, "gpu");
        Assert.Null(await Eks.TryDescribeNodegroupAsync(session, cluster, "gpu"));
        await Eks.DeleteClusterAsync(session, cluster);
    }

    [MotoFact]
    public async Task Tags_TagAndList()
    {
        var session = await AssumeAsync();
        var cluster = await Eks.CreateClusterAsync(session, Cluster(Unique("tags"), tags: new Dictionary<string, string> { ["team"] = "ml" }));

        await Eks.TagResourceAsync(session, cluster.Arn!, new Dictionary<string, string> { ["cost-centre"] = "cc-42" });
        await Eks.UntagResourceAsync(session, cluster.Arn!, ["team"]);

        Assert.Equal(new Dictionary<string, string> { ["cost-centre"] = "cc-42" }, await Eks.ListTagsForResourceAsync(session, cluster.Arn!));
    }

    [MotoFact]
    public async Task DescribeCluster_OfAnUnknownCluster_IsNotFound()
    {
        var session = await AssumeAsync();

        var e = await Assert.ThrowsAsync<AwsServiceException>(() => Eks.DescribeClusterAsync(session, "nobody-here"));

        Assert.True(e.IsNotFound);
        Assert.Equal("ResourceNotFoundException", e.ErrorType);
        Assert.Contains("nobody-here", e.ServiceMessage);
    }

    [MotoFact]
    public async Task UpdateClusterVersion_IsNotServedByMoto_AndSurfacesAsAnUnretriedError()
    {
        var session = await AssumeAsync();
        var cluster = await Eks.CreateClusterAsync(session, Cluster(Unique("upgrade"), version: "1.32"));

        // moto 5.2 has no UpdateClusterVersion (its Flask app answers an HTML 404); the model and our emulator have it.
        var e = await Assert.ThrowsAsync<AwsServiceException>(() => Eks.UpdateClusterVersionAsync(session, cluster.Name, "1.33", null));

        Assert.Equal(System.Net.HttpStatusCode.NotFound, e.StatusCode);
        Assert.False(e.IsRetryable);
    }
}
