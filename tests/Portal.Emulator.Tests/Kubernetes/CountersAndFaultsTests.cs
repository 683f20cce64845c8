using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Tests.Kubernetes;

public sealed class CountersAndFaultsTests : IAsyncLifetime
{
    private KubeCluster _cluster = null!;

    private IKubernetes Client => _cluster.Client;

    public async Task InitializeAsync() => _cluster = await KubeCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Calls_AreCountedPerVerbResourceAndCluster_Exactly()
    {
        var calls = _cluster.Host.Calls;
        calls.Reset();

        await Client.AppsV1.CreateNamespacedDeploymentAsync(KubernetesClientCrudTests.Deployment("counted"), "default");
        await Client.AppsV1.ReadNamespacedDeploymentAsync("counted", "default");
        await Client.AppsV1.ReadNamespacedDeploymentAsync("counted", "default");
        await Client.AppsV1.ListNamespacedDeploymentAsync("default");
        await Client.AppsV1.PatchNamespacedDeploymentStatusAsync(new V1Patch("{\"status\":{}}", V1Patch.PatchType.MergePatch), "counted", "default");

        Assert.Equal(1, calls.Count("kubernetes", "create deployments", _cluster.Name));
        Assert.Equal(2, calls.Count("kubernetes", "get deployments", _cluster.Name));
        Assert.Equal(1, calls.Count("kubernetes", "list deployments", _cluster.Name));
        Assert.Equal(1, calls.Count("kubernetes", "patch deployments/status", _cluster.Name));
        Assert.Equal(5, calls.Count("kubernetes"));
        Assert.Equal(2, calls.Writes);
        Assert.Equal(0, calls.Count("kubernetes", "create deployments", "another-cluster"));
    }

    [Fact]
    public async Task Throttle_ForTheNextCall_Returns429WithRetryAfter_ThenRecovers()
    {
        _cluster.Host.Faults.Add(new FaultRule("kubernetes", "list namespaces", FaultKind.Throttle, RemainingCalls: 1));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.TooManyRequests, e.Response.StatusCode);
        Assert.Equal("TooManyRequests", KubernetesJson.Deserialize<V1Status>(e.Response.Content).Reason);
        Assert.Equal("1", e.Response.Headers["Retry-After"].Single());

        Assert.NotEmpty((await Client.CoreV1.ListNamespaceAsync()).Items);
    }

    [Fact]
    public async Task ServerError_AtFullRate_Returns500_OnlyForTheMatchingOperation()
    {
        _cluster.Host.Faults.Add(new FaultRule("kubernetes", "create configmaps", FaultKind.ServerError, Rate: 1));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, "default"));
        Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
        Assert.Equal("InternalError", KubernetesJson.Deserialize<V1Status>(e.Response.Content).Reason);

        Assert.NotEmpty((await Client.CoreV1.ListNamespaceAsync()).Items);
        _cluster.Host.Faults.Clear();
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, "default");
    }

    [Fact]
    public async Task Store_ExportsAndImportsEveryObject()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "kept" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "default");
        var store = Portal.Emulator.Kubernetes.KubernetesApi.Store(_cluster.Host.Services);
        var snapshot = store.Export();

        await Client.CoreV1.DeleteNamespacedConfigMapAsync("kept", "default");
        store.Import(System.Text.Json.Nodes.JsonNode.Parse(snapshot.ToJsonString())!.AsObject());

        Assert.Equal("v", (await Client.CoreV1.ReadNamespacedConfigMapAsync("kept", "default")).Data["k"]);
    }
}
