using System.Net;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Kubernetes;

/// <summary>
/// Issue 3's "Done when": with only AWSSDK.SecurityToken, an EKS client signed by AWSSDK.Core and KubernetesClient,
/// assume the provisioner role, create a cluster, wait for ACTIVE, add a GPU node group, apply a Deployment and a
/// KEDA ScaledObject and see them become ready; every malformed request on the way is refused.
/// </summary>
public sealed class DoneWhenTests
{
    [Fact]
    public async Task ProvisionAClusterAndRunAScaledGpuWorkload_AsThePortalWould()
    {
        var clock = new TestClock();
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            TimeProvider = clock,
            Lifecycle = LifecycleOptions.Instant,
            Kubernetes = { DeploymentReadyDelay = TimeSpan.FromSeconds(20), ScaledObjectReadyDelay = TimeSpan.FromSeconds(5) },
        });
        var platform = host.PrimaryAccount;
        var (roleArn, externalId, teamAccount) = host.ProvisionerRole!.Value;

        // 1. Assume the team's provisioner role through STS (wrong external id refused).
        using var sts = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials(platform.AccessKeyId, platform.SecretAccessKey),
            new AmazonSecurityTokenServiceConfig { ServiceURL = host.BaseAddress.ToString(), AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var denied = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = roleArn, RoleSessionName = "portal", ExternalId = "wrong",
        }));
        Assert.Equal("AccessDenied", denied.ErrorCode);
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = roleArn, RoleSessionName = "portal", ExternalId = externalId });
        var credentials = new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken);
        using var eks = new AwsTestClient(host.BaseAddress, credentials, clock);

        // 2. Create the cluster (a malformed request first), wait for ACTIVE.
        var malformed = await eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("-not a name-"));
        Assert.Equal((400, "InvalidParameterException"), (malformed.Status, malformed.ErrorType));
        var cluster = await KubeCluster.CreateActiveClusterAsync(eks, clock, "team-dev");
        var described = (await eks.EksAsync(HttpMethod.Get, "/clusters/team-dev")).Json["cluster"]!;
        Assert.Contains($":{teamAccount}:", (string)described["arn"]!);

        // 3. Add a GPU node group.
        var gpuPool = AwsEmulator.NodegroupRequest("gpu-a10g");
        gpuPool["instanceTypes"] = new JsonArray("g5.xlarge");
        gpuPool["amiType"] = "AL2023_x86_64_NVIDIA";
        gpuPool["scalingConfig"] = new JsonObject { ["minSize"] = 0, ["maxSize"] = 4, ["desiredSize"] = 1 };
        gpuPool["taints"] = new JsonArray(new JsonObject { ["key"] = "nvidia.com/gpu", ["value"] = "true", ["effect"] = "NO_SCHEDULE" });
        var badPool = (JsonObject)gpuPool.DeepClone();
        badPool["amiType"] = "WINDOWS_95";
        var refusedPool = await eks.EksAsync(HttpMethod.Post, "/clusters/team-dev/node-groups", badPool);
        Assert.Equal(400, refusedPool.Status);
        Assert.Equal(200, (await eks.EksAsync(HttpMethod.Post, "/clusters/team-dev/node-groups", gpuPool)).Status);
        for (var i = 0; i < 10 && (string?)(await eks.EksAsync(HttpMethod.Get, "/clusters/team-dev/node-groups/gpu-a10g")).Json["nodegroup"]!["status"] != "ACTIVE"; i++)
            clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("ACTIVE", (string?)(await eks.EksAsync(HttpMethod.Get, "/clusters/team-dev/node-groups/gpu-a10g")).Json["nodegroup"]!["status"]);

        // 4. Kubernetes with an EKS token minted from the assumed role; a token for another cluster is refused.
        using var kube = KubeCluster.Connect(cluster, new EksTokenProvider(eks, "team-dev"));
        using var stranger = KubeCluster.Connect(cluster, new EksTokenProvider(eks, "other"));
        var unauthorized = await Assert.ThrowsAsync<HttpOperationException>(() => stranger.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.Response.StatusCode);

        await Crds.InstallAllAsync(kube);
        await kube.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "inference" } });

        // 5. Server-side apply a GPU Deployment (a malformed one first: no image, unknown pull policy).
        var deployment = KubernetesClientCrudTests.Deployment("triton", replicas: 1, image: "nvcr.io/nvidia/tritonserver:25.01-py3");
        deployment.ApiVersion = "apps/v1";
        deployment.Kind = "Deployment";
        deployment.Spec.Template.Spec.Containers[0].Resources = new V1ResourceRequirements
        {
            Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new("1") },
        };
        deployment.Spec.Template.Spec.Tolerations = [new V1Toleration { Key = "nvidia.com/gpu", OperatorProperty = "Exists", Effect = "NoSchedule" }];
        deployment.Spec.Template.Spec.NodeSelector = new Dictionary<string, string> { ["node.kubernetes.io/instance-type"] = "g5.xlarge" };
        var broken = KubernetesJson.Deserialize<V1Deployment>(KubernetesJson.Serialize(deployment));
        broken.Spec.Template.Spec.Containers[0].Image = null;
        broken.Spec.Template.Spec.Containers[0].ImagePullPolicy = "Sometimes";
        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() => kube.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch(broken, V1Patch.PatchType.ApplyPatch), "triton", "inference", fieldManager: "unicron-portal"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        var causes = KubernetesJson.Deserialize<V1Status>(invalid.Response.Content).Details.Causes.Select(c => c.Field).ToList();
        Assert.Contains("spec.template.spec.containers[0].image", causes);
        Assert.Contains("spec.template.spec.containers[0].imagePullPolicy", causes);

        await kube.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(deployment, V1Patch.PatchType.ApplyPatch), "triton", "inference", fieldManager: "unicron-portal", force: true);

        // 6. Server-side apply the KEDA ScaledObject (a malformed one first: no triggers).
        var scaledObject = Crds.ScaledObject("triton", "triton");
        scaledObject["metadata"]!["namespace"] = "inference";
        var noTriggers = (JsonObject)scaledObject.DeepClone();
        noTriggers["spec"]!.AsObject().Remove("triggers");
        var refusedSo = await Assert.ThrowsAsync<HttpOperationException>(() => kube.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(noTriggers.ToJsonString(), V1Patch.PatchType.ApplyPatch), "keda.sh", "v1alpha1", "inference", "scaledobjects", "triton", fieldManager: "unicron-portal"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refusedSo.Response.StatusCode);
        Assert.Contains(KubernetesJson.Deserialize<V1Status>(refusedSo.Response.Content).Details.Causes, c => c.Field == "spec.triggers");

        await kube.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(scaledObject.ToJsonString(), V1Patch.PatchType.ApplyPatch),
            "keda.sh", "v1alpha1", "inference", "scaledobjects", "triton", fieldManager: "unicron-portal", force: true);

        // 7. Not ready before the configured delays, ready after (polling, no watch).
        Assert.Null((await kube.AppsV1.ReadNamespacedDeploymentAsync("triton", "inference")).Status?.ReadyReplicas);
        clock.Advance(TimeSpan.FromSeconds(20));
        var ready = await KubeCluster.PollAsync(() => kube.AppsV1.ReadNamespacedDeploymentAsync("triton", "inference"),
            d => d.Status?.ReadyReplicas == 1, "the GPU deployment to be ready");
        Assert.Contains(ready.Status.Conditions, c => c.Type == "Available" && c.Status == "True");

        var so = await KubeCluster.PollAsync(async () => Crds.ToJson(await kube.CustomObjects.GetNamespacedCustomObjectAsync("keda.sh", "v1alpha1", "inference", "scaledobjects", "triton")),
            s => s["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True") == true, "the ScaledObject to be ready");
        Assert.Equal("keda-hpa-triton", (string?)so["status"]!["hpaName"]);
        var hpa = await kube.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("keda-hpa-triton", "inference");
        Assert.Equal("triton", hpa.Spec.ScaleTargetRef.Name);

        Assert.Equal(1, host.Calls.Count("kubernetes", "create namespaces", "team-dev"));
    }
}
