using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Portal.Emulator.Tests.Kubernetes;

public sealed class ValidationTests : IAsyncLifetime
{
    private KubeCluster _cluster = null!;

    private IKubernetes Client => _cluster.Client;

    public async Task InitializeAsync() => _cluster = await KubeCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static V1Status StatusOf(HttpOperationException e) => KubernetesJson.Deserialize<V1Status>(e.Response.Content);

    private static async Task<V1Status> RejectedAsync(Func<Task> call, HttpStatusCode expected, string reason)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.True(expected == e.Response.StatusCode, e.Response.Content);
        var status = StatusOf(e);
        Assert.Equal(reason, status.Reason);
        Assert.Equal((int)expected, status.Code);
        return status;
    }

    [Fact]
    public async Task Deployment_WithoutSelector_Returns422NamingTheField()
    {
        var deployment = KubernetesClientCrudTests.Deployment("noselector");
        deployment.Spec.Selector = null;

        var status = await RejectedAsync(() => Client.AppsV1.CreateNamespacedDeploymentAsync(deployment, "default"), HttpStatusCode.UnprocessableEntity, "Invalid");

        Assert.Contains(status.Details.Causes, c => c.Field == "spec.selector" && c.Reason == "FieldValueRequired");
        Assert.StartsWith("Deployment.apps \"noselector\" is invalid:", status.Message);
    }

    [Fact]
    public async Task Deployment_WithStringReplicasAndUnknownPullPolicy_Returns422WithEachFieldPath()
    {
        var body = JsonNode.Parse(KubernetesJson.Serialize(KubernetesClientCrudTests.Deployment("typed")))!.AsObject();
        body["apiVersion"] = "apps/v1";
        body["kind"] = "Deployment";
        body["spec"]!["replicas"] = "three";
        body["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolicy"] = "Sometimes";

        var status = await RejectedAsync(() => Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "apps", "v1", "default", "deployments"),
            HttpStatusCode.UnprocessableEntity, "Invalid");

        Assert.Contains(status.Details.Causes, c => c.Field == "spec.replicas" && c.Reason == "FieldValueTypeInvalid");
        Assert.Contains(status.Details.Causes, c => c.Field == "spec.template.spec.containers[0].imagePullPolicy" && c.Reason == "FieldValueNotSupported");
    }

    [Fact]
    public async Task Container_WithoutImage_AndSelectorNotMatchingTemplate_Returns422()
    {
        var deployment = KubernetesClientCrudTests.Deployment("semantic");
        deployment.Spec.Template.Spec.Containers[0].Image = null;
        deployment.Spec.Selector.MatchLabels["app"] = "other";

        var status = await RejectedAsync(() => Client.AppsV1.CreateNamespacedDeploymentAsync(deployment, "default"), HttpStatusCode.UnprocessableEntity, "Invalid");

        Assert.Contains(status.Details.Causes, c => c.Field == "spec.template.spec.containers[0].image");
        Assert.Contains(status.Details.Causes, c => c.Field == "spec.template.metadata.labels");
    }

    [Fact]
    public async Task UnknownField_IsRejectedUnderStrictValidation_AndDroppedWithAWarningByDefault()
    {
        var body = JsonNode.Parse(KubernetesJson.Serialize(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "extra" } }))!.AsObject();
        body["apiVersion"] = "v1";
        body["kind"] = "ConfigMap";
        body["colour"] = "blue";

        var strict = await RejectedAsync(() => Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "", "v1", "default", "configmaps", fieldValidation: "Strict"),
            HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal("strict decoding error: unknown field \"colour\"", strict.Message);

        // kube-apiserver's default is Warn: the object is created without the field.
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "", "v1", "default", "configmaps");
        var stored = await Client.CoreV1.ReadNamespacedConfigMapAsync("extra", "default");
        Assert.Equal("extra", stored.Metadata.Name);
    }

    [Fact]
    public async Task InvalidName_Returns422OnMetadataName()
    {
        var status = await RejectedAsync(() => Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "Not_Valid" } }, "default"),
            HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains(status.Details.Causes, c => c.Field == "metadata.name");
    }

    [Fact]
    public async Task UpstreamCrds_Register_ServeDiscovery_AndAcceptValidCustomResources()
    {
        await Crds.InstallAllAsync(Client);

        var crds = await Client.ApiextensionsV1.ListCustomResourceDefinitionAsync();
        Assert.Equal(8, crds.Items.Count);
        Assert.All(crds.Items, c => Assert.Contains(c.Status.Conditions, s => s.Type == "Established" && s.Status == "True"));

        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(Crds.ScaledObject("so", "web"), "keda.sh", "v1alpha1", "default", "scaledobjects");
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(Crds.Application("argo", "https://kedacore.github.io/charts", "keda"), "argoproj.io", "v1alpha1", "default", "applications");
        await Client.CustomObjects.CreateClusterCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "karpenter.sh/v1",
            ["kind"] = "NodePool",
            ["metadata"] = new JsonObject { ["name"] = "gpu" },
            ["spec"] = new JsonObject
            {
                ["template"] = new JsonObject
                {
                    ["spec"] = new JsonObject
                    {
                        ["nodeClassRef"] = new JsonObject { ["group"] = "karpenter.k8s.aws", ["kind"] = "EC2NodeClass", ["name"] = "default" },
                        ["requirements"] = new JsonArray(new JsonObject { ["key"] = "karpenter.k8s.aws/instance-family", ["operator"] = "In", ["values"] = new JsonArray("g5") }),
                        ["taints"] = new JsonArray(new JsonObject { ["key"] = "nvidia.com/gpu", ["effect"] = "NoSchedule" }),
                    },
                },
                ["disruption"] = new JsonObject { ["consolidationPolicy"] = "WhenEmpty", ["consolidateAfter"] = "1m" },
            },
        }, "karpenter.sh", "v1", "nodepools");
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "monitoring.coreos.com/v1",
            ["kind"] = "ServiceMonitor",
            ["metadata"] = new JsonObject { ["name"] = "web" },
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } },
                ["endpoints"] = new JsonArray(new JsonObject { ["port"] = "metrics", ["interval"] = "30s" }),
            },
        }, "monitoring.coreos.com", "v1", "default", "servicemonitors");

        var scaledObjects = Crds.ToJson(await Client.CustomObjects.ListNamespacedCustomObjectAsync("keda.sh", "v1alpha1", "default", "scaledobjects"));
        Assert.Single(scaledObjects["items"]!.AsArray());
    }

    [Fact]
    public async Task UpstreamCrds_RejectCustomResourcesTheirSchemasReject_WithTheFieldPath()
    {
        await Crds.InstallAllAsync(Client);

        var noTriggers = Crds.ScaledObject("bad", "web");
        noTriggers["spec"]!.AsObject().Remove("triggers");
        noTriggers["spec"]!["minReplicaCount"] = "two";
        var keda = await RejectedAsync(() => Client.CustomObjects.CreateNamespacedCustomObjectAsync(noTriggers, "keda.sh", "v1alpha1", "default", "scaledobjects"),
            HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains(keda.Details.Causes, c => c.Field == "spec.triggers" && c.Reason == "FieldValueRequired");
        Assert.Contains(keda.Details.Causes, c => c.Field == "spec.minReplicaCount" && c.Reason == "FieldValueTypeInvalid");
        Assert.StartsWith("ScaledObject.keda.sh \"bad\" is invalid", keda.Message);

        var noDestination = Crds.Application("nodest", "https://kedacore.github.io/charts", "keda");
        noDestination["spec"]!.AsObject().Remove("destination");
        var argo = await RejectedAsync(() => Client.CustomObjects.CreateNamespacedCustomObjectAsync(noDestination, "argoproj.io", "v1alpha1", "default", "applications"),
            HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains(argo.Details.Causes, c => c.Field == "spec.destination");

        var badPolicy = new JsonObject
        {
            ["apiVersion"] = "karpenter.sh/v1",
            ["kind"] = "NodePool",
            ["metadata"] = new JsonObject { ["name"] = "bad" },
            ["spec"] = new JsonObject
            {
                ["template"] = new JsonObject { ["spec"] = new JsonObject { ["nodeClassRef"] = new JsonObject { ["group"] = "karpenter.k8s.aws", ["kind"] = "EC2NodeClass", ["name"] = "default" }, ["requirements"] = new JsonArray() } },
                ["disruption"] = new JsonObject { ["consolidationPolicy"] = "Sometimes" },
            },
        };
        var karpenter = await RejectedAsync(() => Client.CustomObjects.CreateClusterCustomObjectAsync(badPolicy, "karpenter.sh", "v1", "nodepools"),
            HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains(karpenter.Details.Causes, c => c.Field == "spec.disruption.consolidationPolicy" && c.Reason == "FieldValueNotSupported");

        var spark = await RejectedAsync(() => Client.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "sparkoperator.k8s.io/v1beta2",
            ["kind"] = "SparkApplication",
            ["metadata"] = new JsonObject { ["name"] = "pi" },
            ["spec"] = new JsonObject { ["type"] = "Scala", ["mode"] = "cluster" },
        }, "sparkoperator.k8s.io", "v1beta2", "default", "sparkapplications"), HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains(spark.Details.Causes, c => c.Field == "spec.sparkVersion");
        Assert.Contains(spark.Details.Causes, c => c.Field == "spec.driver");

        var monitor = await RejectedAsync(() => Client.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "monitoring.coreos.com/v1",
            ["kind"] = "ServiceMonitor",
            ["metadata"] = new JsonObject { ["name"] = "m" },
            ["spec"] = new JsonObject { ["selector"] = new JsonObject(), ["endpoints"] = new JsonArray(new JsonObject { ["port"] = 8080 }) },
        }, "monitoring.coreos.com", "v1", "default", "servicemonitors"), HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains(monitor.Details.Causes, c => c.Field == "spec.endpoints[0].port");

        var strict = Crds.ScaledObject("strict", "web");
        strict["spec"]!["unknownKnob"] = true;
        var unknown = await RejectedAsync(() => Client.CustomObjects.CreateNamespacedCustomObjectAsync(strict, "keda.sh", "v1alpha1", "default", "scaledobjects", fieldValidation: "Strict"),
            HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains(".spec.unknownKnob: field not declared in schema", unknown.Message);
    }

    [Fact]
    public async Task StrategicMergePatch_OnACustomResource_Returns415()
    {
        await Crds.InstallAllAsync(Client);
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(Crds.ScaledObject("smp", "web"), "keda.sh", "v1alpha1", "default", "scaledobjects");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("{\"spec\":{\"maxReplicaCount\":3}}", V1Patch.PatchType.StrategicMergePatch), "keda.sh", "v1alpha1", "default", "scaledobjects", "smp"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, e.Response.StatusCode);
    }
}
