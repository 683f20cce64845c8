using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Portal.Emulator.Tests.Kubernetes;

public sealed class KubernetesClientCrudTests : IAsyncLifetime
{
    private KubeCluster _cluster = null!;

    private IKubernetes Client => _cluster.Client;

    public async Task InitializeAsync() => _cluster = await KubeCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static V1Deployment Deployment(string name, int replicas = 2, string image = "nginx:1.27", IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = image, Ports = [new V1ContainerPort { ContainerPort = 8080 }] }] },
            },
        },
    };

    [Fact]
    public async Task Deployment_CreateGetReplaceDelete_RoundTripsThroughTheOfficialClient()
    {
        var created = await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web"), "default");

        Assert.Equal("web", created.Metadata.Name);
        Assert.Equal("default", created.Metadata.NamespaceProperty);
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.False(string.IsNullOrEmpty(created.Metadata.ResourceVersion));
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal("IfNotPresent", created.Spec.Template.Spec.Containers[0].ImagePullPolicy);
        Assert.Equal("TCP", created.Spec.Template.Spec.Containers[0].Ports[0].Protocol);

        var read = await Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        read.Spec.Replicas = 3;
        var replaced = await Client.AppsV1.ReplaceNamespacedDeploymentAsync(read, "web", "default");
        Assert.Equal(3, replaced.Spec.Replicas);
        Assert.Equal(2, replaced.Metadata.Generation);
        Assert.NotEqual(read.Metadata.ResourceVersion, replaced.Metadata.ResourceVersion);

        await Client.AppsV1.DeleteNamespacedDeploymentAsync("web", "default");
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Equal("deployments.apps \"web\" not found", KubernetesJson.Deserialize<V1Status>(missing.Response.Content).Message);
    }

    [Fact]
    public async Task Replace_WithStaleResourceVersion_Returns409Conflict()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, "default");
        var first = await Client.CoreV1.ReadNamespacedConfigMapAsync("settings", "default");
        var second = await Client.CoreV1.ReadNamespacedConfigMapAsync("settings", "default");
        first.Data["a"] = "2";
        await Client.CoreV1.ReplaceNamespacedConfigMapAsync(first, "settings", "default");

        second.Data["a"] = "3";
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.ReplaceNamespacedConfigMapAsync(second, "settings", "default"));

        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(conflict.Response.Content);
        Assert.Equal("Conflict", status.Reason);
        Assert.Contains("the object has been modified", status.Message);
    }

    [Fact]
    public async Task Create_Twice_Returns409AlreadyExists_AndInMissingNamespace_Returns404()
    {
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("dup"), "default");

        var again = await Assert.ThrowsAsync<HttpOperationException>(() => Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("dup"), "default"));
        Assert.Equal(HttpStatusCode.Conflict, again.Response.StatusCode);
        Assert.Equal("AlreadyExists", KubernetesJson.Deserialize<V1Status>(again.Response.Content).Reason);

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("x"), "nowhere"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Equal("namespaces \"nowhere\" not found", KubernetesJson.Deserialize<V1Status>(missing.Response.Content).Message);
    }

    [Fact]
    public async Task List_WithLabelAndFieldSelectors_FiltersWithinAndAcrossNamespaces()
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team-a" } });
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("api", labels: new Dictionary<string, string> { ["app"] = "api", ["tier"] = "backend" }), "default");
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("ui", labels: new Dictionary<string, string> { ["app"] = "ui", ["tier"] = "frontend" }), "default");
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("worker", labels: new Dictionary<string, string> { ["app"] = "worker", ["tier"] = "backend" }), "team-a");

        var backendHere = await Client.AppsV1.ListNamespacedDeploymentAsync("default", labelSelector: "tier=backend");
        Assert.Equal(["api"], backendHere.Items.Select(d => d.Metadata.Name));

        var backendEverywhere = await Client.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: "tier in (backend),app!=nothing");
        Assert.Equal(["api", "worker"], backendEverywhere.Items.Select(d => d.Metadata.Name).Order());

        var byName = await Client.AppsV1.ListDeploymentForAllNamespacesAsync(fieldSelector: "metadata.name=ui");
        Assert.Equal(["ui"], byName.Items.Select(d => d.Metadata.Name));

        var notDefault = await Client.AppsV1.ListDeploymentForAllNamespacesAsync(fieldSelector: "metadata.namespace!=default");
        Assert.Equal(["worker"], notDefault.Items.Select(d => d.Metadata.Name));

        var namespaces = await Client.CoreV1.ListNamespaceAsync();
        Assert.Contains(namespaces.Items, n => n.Metadata.Name == "kube-system");
        Assert.Contains(namespaces.Items, n => n.Metadata.Name == "team-a" && n.Status.Phase == "Active");

        var unsupported = await Assert.ThrowsAsync<HttpOperationException>(() => Client.AppsV1.ListDeploymentForAllNamespacesAsync(fieldSelector: "spec.replicas=2"));
        Assert.Equal(HttpStatusCode.BadRequest, unsupported.Response.StatusCode);
    }

    [Fact]
    public async Task Patch_MergeAndStrategic_MergeContainersByName()
    {
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("patched"), "default");

        var merged = await Client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("{\"metadata\":{\"labels\":{\"team\":\"data\"}},\"spec\":{\"replicas\":5}}", V1Patch.PatchType.MergePatch), "patched", "default");
        Assert.Equal(5, merged.Spec.Replicas);
        Assert.Equal("data", merged.Metadata.Labels["team"]);

        var strategic = await Client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"sidecar\",\"image\":\"envoy:1.30\"}]}}}}", V1Patch.PatchType.StrategicMergePatch), "patched", "default");
        Assert.Equal(["app", "sidecar"], strategic.Spec.Template.Spec.Containers.Select(c => c.Name));

        var jsonPatch = await Client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":1}]", V1Patch.PatchType.JsonPatch), "patched", "default");
        Assert.Equal(1, jsonPatch.Spec.Replicas);
    }

    [Fact]
    public async Task Generation_BumpsOnSpecChangesOnly_AndStatusGoesThroughItsSubresource()
    {
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("gen"), "default");

        var labelled = await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", V1Patch.PatchType.MergePatch), "gen", "default");
        Assert.Equal(1, labelled.Metadata.Generation);

        var ignoredStatus = await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"status\":{\"replicas\":42}}", V1Patch.PatchType.MergePatch), "gen", "default");
        Assert.NotEqual(42, ignoredStatus.Status?.Replicas);

        var status = await Client.AppsV1.PatchNamespacedDeploymentStatusAsync(new V1Patch("{\"status\":{\"conditions\":[{\"type\":\"Custom\",\"status\":\"True\"}]}}", V1Patch.PatchType.MergePatch), "gen", "default");
        Assert.Contains(status.Status.Conditions, c => c.Type == "Custom");
        Assert.Equal(1, status.Metadata.Generation);
    }

    [Fact]
    public async Task Delete_WithFinalizer_MarksDeletionUntilTheFinalizerIsRemoved()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "guarded", Finalizers = ["example.com/keep"] },
        }, "default");

        await Client.CoreV1.DeleteNamespacedConfigMapAsync("guarded", "default");
        var marked = await Client.CoreV1.ReadNamespacedConfigMapAsync("guarded", "default");
        Assert.NotNull(marked.Metadata.DeletionTimestamp);

        await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch), "guarded", "default");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.ReadNamespacedConfigMapAsync("guarded", "default"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task Requests_WithoutATokenOrWithAnotherClustersToken_Return401()
    {
        using var anonymous = _cluster.NewClient(null);
        var noToken = await Assert.ThrowsAsync<HttpOperationException>(() => anonymous.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.Response.StatusCode);
        Assert.Equal("Unauthorized", KubernetesJson.Deserialize<V1Status>(noToken.Response.Content).Reason);

        using var wrongCluster = _cluster.NewClient(new EksTokenProvider(_cluster.Aws, "some-other-cluster"));
        var wrong = await Assert.ThrowsAsync<HttpOperationException>(() => wrongCluster.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Response.StatusCode);
    }

    [Fact]
    public async Task Polling_WithoutWatch_SeesTheDeploymentBecomeAvailable()
    {
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("polled", replicas: 3), "default");

        var ready = await KubeCluster.PollAsync(
            () => Client.AppsV1.ReadNamespacedDeploymentAsync("polled", "default"),
            d => d.Status?.ReadyReplicas == 3, "polled to be ready");

        Assert.Equal(3, ready.Status.AvailableReplicas);
        Assert.Contains(ready.Status.Conditions, c => c.Type == "Available" && c.Status == "True");
        Assert.Equal(ready.Metadata.Generation, ready.Status.ObservedGeneration);
    }
}
