using Amazon.Runtime;
using k8s;
using Amazon.SecurityToken.Model;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

public sealed class StateFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("emulator-state-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task StateFile_KeepsClustersNodegroupsCredentialsAndCaAcrossRestarts()
    {
        var file = Path.Combine(_directory, "state.json");
        string endpointCa;
        AssumeRoleResponse assumed;
        await using (var first = await AwsEmulator.StartAsync(o => o.StateFile = file))
        {
            var cluster = await first.CreateActiveClusterAsync(first.Platform, "durable");
            await first.CreateActiveNodegroupAsync(first.Platform, "durable", "ng");
            endpointCa = (string)cluster["certificateAuthority"]!["data"]!;
            using var sts = first.Sts(first.Platform.Credentials!);
            assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest
            {
                RoleArn = "arn:aws:iam::222222222222:role/unicron-provisioner", RoleSessionName = "keep", ExternalId = "unicron-emulator-external-id",
            });
        }
        Assert.True(File.Exists(file));

        await using var second = await AwsEmulator.StartAsync(o => o.StateFile = file);

        var described = await second.Platform.EksAsync(HttpMethod.Get, "/clusters/durable");
        Assert.Equal("ACTIVE", (string?)described.Json["cluster"]!["status"]);
        Assert.Equal(endpointCa, (string?)described.Json["cluster"]!["certificateAuthority"]!["data"]);
        Assert.Equal(200, (await second.Platform.EksAsync(HttpMethod.Get, "/clusters/durable/node-groups/ng")).Status);
        var asRole = second.Platform.With(new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken));
        Assert.Equal(200, (await asRole.StsAsync(StsTests.Form("GetCallerIdentity"))).Status);
    }

    [Fact]
    public async Task StateFile_KeepsTheClustersKubernetesObjectsAcrossRestarts()
    {
        var file = Path.Combine(_directory, "state.json");
        await using (var first = await AwsEmulator.StartAsync(o => o.StateFile = file))
        {
            var cluster = await first.CreateActiveClusterAsync(first.Platform, "kube");
            using var kube = Kubernetes.KubeCluster.Connect(cluster, new Kubernetes.EksTokenProvider(first.Platform, "kube"));
            await kube.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = "kept" } });
        }

        await using var second = await AwsEmulator.StartAsync(o => o.StateFile = file);
        var described = (await second.Platform.EksAsync(HttpMethod.Get, "/clusters/kube")).Json["cluster"]!;
        // The restarted emulator's HTTPS certificate still chains to the CA the first one handed out.
        using var again = Kubernetes.KubeCluster.Connect(described, new Kubernetes.EksTokenProvider(second.Platform, "kube"));

        var kept = await again.CoreV1.ReadNamespaceAsync("kept");

        Assert.Equal("kept", kept.Metadata.Name);
    }

    [Fact]
    public async Task WithoutStateFile_ARestartStartsEmpty()
    {
        await using (var first = await AwsEmulator.StartAsync())
        {
            await first.CreateActiveClusterAsync(first.Platform, "fleeting");
        }

        await using var second = await AwsEmulator.StartAsync();

        Assert.Equal(404, (await second.Platform.EksAsync(HttpMethod.Get, "/clusters/fleeting")).Status);
    }
}
