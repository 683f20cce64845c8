using System.Net;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.SecurityToken.Model;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Portal.Emulator.Kubernetes;
using Portal.Emulator.Tests.Kubernetes;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests;

/// <summary>
/// The "done when": only AWSSDK.SecurityToken, an EKS client signed by AWSSDK.Core and KubernetesClient —
/// assume the provisioner role, create a cluster, wait for ACTIVE, add a GPU node group, apply a Deployment and a
/// KEDA ScaledObject and see them become ready; malformed requests on the way are refused as AWS and Kubernetes would.
/// </summary>
public sealed class EndToEndTests : IAsyncLifetime
{
    private AwsEmulator _emulator = null!;

    public async Task InitializeAsync()
    {
        _emulator = await AwsEmulator.StartAsync(o => o.Lifecycle = new LifecycleOptions
        {
            ClusterCreate = TimeSpan.FromMinutes(10), NodegroupCreate = TimeSpan.FromMinutes(3),
        });
        var kubernetes = KubernetesApi.Options(_emulator.Host.Services);
        kubernetes.DeploymentReadyDelay = kubernetes.ScaledObjectReadyDelay = TimeSpan.Zero;
    }

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task AssumeRole_CreateCluster_AddGpuNodegroup_ApplyDeploymentAndScaledObject_AllBecomeReady()
    {
        // STS: the platform account assumes the team's provisioner role with its external id.
        using var sts = _emulator.Sts(_emulator.Platform.Credentials!);
        var role = _emulator.Host.ProvisionerRole!.Value;
        await Assert.ThrowsAnyAsync<Amazon.SecurityToken.AmazonSecurityTokenServiceException>(() =>
            sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = role.RoleArn, RoleSessionName = "provisioner", ExternalId = "guess" }));
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = role.RoleArn, RoleSessionName = "provisioner", ExternalId = role.ExternalId });
        var eks = _emulator.Platform.With(new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken));

        // EKS: create the cluster in the team account and wait for ACTIVE as a reconciler would (describe, come back later).
        var badVersion = await eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("ml-dev", "1.19"));
        Assert.Equal("InvalidParameterException", badVersion.ErrorType);
        var created = await eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("ml-dev", "1.34"));
        Assert.Equal("arn:aws:eks:us-east-1:222222222222:cluster/ml-dev", (string?)created.Json["cluster"]!["arn"]);
        var cluster = await WaitForAsync(eks, "/clusters/ml-dev", "cluster");
        Assert.NotNull(cluster["certificateAuthority"]!["data"]);
        Assert.Equal(404, (await _emulator.Platform.EksAsync(HttpMethod.Get, "/clusters/ml-dev")).Status);

        // A GPU node group, tainted so only GPU workloads land on it; a version above the control plane is refused.
        var gpu = AwsEmulator.NodegroupRequest("gpu-a10g");
        gpu["amiType"] = "AL2023_x86_64_NVIDIA";
        gpu["instanceTypes"] = new JsonArray("g5.xlarge");
        gpu["scalingConfig"] = new JsonObject { ["minSize"] = 0, ["maxSize"] = 4, ["desiredSize"] = 1 };
        gpu["taints"] = new JsonArray(new JsonObject { ["key"] = "nvidia.com/gpu", ["value"] = "true", ["effect"] = "NO_SCHEDULE" });
        var tooNew = (JsonObject)gpu.DeepClone();
        tooNew["version"] = "1.35";
        Assert.Equal("InvalidParameterException", (await eks.EksAsync(HttpMethod.Post, "/clusters/ml-dev/node-groups", tooNew)).ErrorType);
        Assert.Equal(200, (await eks.EksAsync(HttpMethod.Post, "/clusters/ml-dev/node-groups", gpu)).Status);
        await WaitForAsync(eks, "/clusters/ml-dev/node-groups/gpu-a10g", "nodegroup");

        // Kubernetes: the official client with EKS tokens minted from the assumed role.
        using var kube = KubeCluster.Connect(cluster, new EksTokenProvider(eks, "ml-dev"));
        using var wrongCluster = KubeCluster.Connect(cluster, new EksTokenProvider(eks, "other"));
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => wrongCluster.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Response.StatusCode);

        await Crds.InstallAllAsync(kube);
        var noSelector = KubernetesClientCrudTests.Deployment("broken");
        noSelector.Spec.Selector = null;
        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() => kube.AppsV1.CreateNamespacedDeploymentAsync(noSelector, "default"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        Assert.Contains("spec.selector", invalid.Response.Content);

        await kube.AppsV1.CreateNamespacedDeploymentAsync(KubernetesClientCrudTests.Deployment("inference"), "default");
        await kube.CustomObjects.CreateNamespacedCustomObjectAsync(Crds.ScaledObject("inference", "inference"), "keda.sh", "v1alpha1", "default", "scaledobjects");

        var deployment = await KubeCluster.PollAsync(() => kube.AppsV1.ReadNamespacedDeploymentAsync("inference", "default"),
            d => d.Status?.ReadyReplicas == d.Spec.Replicas, "the deployment to be ready");
        Assert.True(deployment.Status!.ReadyReplicas >= 1);
        await KubeCluster.PollAsync(async () => Crds.ToJson(await kube.CustomObjects.GetNamespacedCustomObjectAsync("keda.sh", "v1alpha1", "default", "scaledobjects", "inference")),
            s => s["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True") == true, "the scaled object to be ready");

        // One refused and one accepted call each: the counters see every call, refused or not.
        Assert.Equal(2, _emulator.Host.Calls.Count("eks", "CreateNodegroup"));
        Assert.Equal(2, _emulator.Host.Calls.Count("eks", "CreateCluster"));
    }

    private async Task<JsonObject> WaitForAsync(AwsTestClient eks, string path, string member)
    {
        for (var i = 0; i < 20; i++)
        {
            var resource = (await eks.EksAsync(HttpMethod.Get, path)).Json[member]!.AsObject();
            if ((string?)resource["status"] == "ACTIVE") return resource;
            _emulator.Clock.Advance(TimeSpan.FromMinutes(1));
        }
        throw new Xunit.Sdk.XunitException($"{path} never became ACTIVE");
    }
}
