using System.Text.Json.Nodes;
using k8s;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Cloud.Kubernetes;
using Portal.Core.Clusters;
using Portal.Core.Endpoints.Rendering;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;
using Portal.Emulator.Shared;

namespace Portal.Web.Tests.Reconciliation;

/// <summary>
/// Inference endpoints end to end: real portal workers with Hangfire on PostgreSQL, a cluster brought to Ready through
/// the emulator over HTTP (EKS and a schema-validating Kubernetes API with simulated Deployments and KEDA).
/// </summary>
[Collection(HangfireCollection.Name)]
public sealed class EndpointLifecycleTests
{
    private const string QueueQuery = "sum(inference_queue_depth{queue=\"requests\"})";

    private static readonly Dictionary<string, string?> Settings = new() { ["Endpoints:StatusRefreshInterval"] = "00:00:00.300" };

    /// <summary>CRDs an endpoint's objects need, installed by the core's KEDA and Prometheus stack charts.</summary>
    private static readonly string[] CoreCrds = ["scaledobjects.keda.sh", "triggerauthentications.keda.sh", "servicemonitors.monitoring.coreos.com"];

    private static EndpointSpec Spec(string name, string gpu = "L4", int min = 0, int max = 8, CanarySpec? canary = null) => new(
        Name: name,
        Runtime: EndpointRuntime.Triton,
        Model: new ModelSource("s3://acme-models/vision/resnet", "resnet", "3"),
        Protocol: EndpointProtocol.Grpc,
        Gpu: new GpuRequest(gpu, 1),
        Resources: new ComputeRequest("3", "12Gi"),
        Autoscaling: new AutoscalingSpec(min, max, [new ScalingTrigger(ScalingTriggerKind.Prometheus, 10, QueueQuery, ActivationThreshold: 1)]),
        Rollout: canary is null ? null : new RolloutSpec(canary));

    private static async Task<(ClusterWorld World, Cluster Cluster, IKubernetes Client)> ReadyClusterAsync()
    {
        var world = await ClusterWorld.CreateAsync(settings: Settings);
        var view = await world.RequestAsync("main", "1.34");
        var cluster = await world.WaitForReadyAsync(view.Cluster.Id);
        var client = await world.KubernetesAsync(cluster);
        // The core's charts brought their CRDs (the emulated Argo CD installs the upstream ones of the charts it syncs).
        foreach (var crd in CoreCrds) Assert.NotNull(await client.GetAsync("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd));
        return (world, cluster, client);
    }

    private static EndpointService Endpoints(ClusterWorld world) => world.Services.GetRequiredService<EndpointService>();

    private static async Task<InferenceEndpoint?> FindAsync(ClusterWorld world, Guid id)
    {
        await using var db = world.CreateContext();
        return await db.InferenceEndpoints.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id);
    }

    private static async Task<InferenceEndpoint?> WaitForAsync(ClusterWorld world, Guid id, Func<InferenceEndpoint?, bool> done)
    {
        var deadline = DateTimeOffset.UtcNow + ClusterWorld.Patience;
        InferenceEndpoint? endpoint = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            endpoint = await FindAsync(world, id);
            if (done(endpoint)) return endpoint;
            await Task.Delay(100);
        }
        await using var db = world.CreateContext();
        var events = await db.ResourceEvents.AsNoTracking().Where(e => e.ResourceId == id).OrderBy(e => e.Id).ToListAsync();
        throw new TimeoutException($"Endpoint {id} did not get there: phase {endpoint?.Phase}, message '{endpoint?.Message}', last error '{endpoint?.LastError}'.\n" +
                                   string.Join("\n", events.Select(e => $"  {e.Step} {e.Outcome}: {e.Message}")));
    }

    private static Task<InferenceEndpoint> WaitForReadyAsync(ClusterWorld world, Guid id, long generation = 1) =>
        WaitForAsync(world, id, e => e is { Phase: EndpointPhase.Ready } && e.ObservedGeneration >= generation)!;

    private static async Task<NodePool?> PoolAsync(ClusterWorld world, Guid clusterId, string name) =>
        (await world.FindAsync(clusterId))!.NodePools.FirstOrDefault(p => p.Name == name);

    [Fact]
    public async Task CreateEndpoint_AddsAGpuPool_AppliesWhatTheManifestsShow_AndReportsReadyReplicas()
    {
        var (world, cluster, client) = await ReadyClusterAsync();
        await using var _ = world;
        using var __ = client;

        var view = await Endpoints(world).CreateAsync(world.Owner, world.Team.Slug, "main", Spec("resnet"), default);
        var ready = await WaitForReadyAsync(world, view.Endpoint.Id);

        Assert.Equal((1, 1), (ready.ReadyReplicas, ready.DesiredReplicas));
        Assert.Equal([$"grpcs://resnet-grpc.{world.Team.Slug}.inference.unicron.local:443"], ready.Urls);
        Assert.False(string.IsNullOrEmpty(ready.ScalingReason));
        Assert.All(new[] { EndpointReconciler.CapacityReady, EndpointReconciler.Applied, EndpointReconciler.Available },
            type => Assert.Equal("True", ready.Conditions.Single(c => c.Type == type).Status));

        // GPU capacity went through the cluster resource: a marked pool of the cheapest fitting L4 type, min 0, tainted.
        var pool = await PoolAsync(world, cluster.Id, "gpu-l4");
        Assert.NotNull(pool);
        Assert.Equal(["g6.xlarge"], pool!.InstanceTypes);
        Assert.Equal((0, "ACTIVE"), (pool.MinSize, pool.ObservedStatus));
        Assert.Equal(ClusterService.EndpointCapacityValue, pool.Labels[ClusterService.EndpointCapacityLabel]);
        Assert.Contains(pool.Taints, t => t.Key == "nvidia.com/gpu");
        Assert.True(world.Emulator.Calls.Count("eks", "CreateNodegroup") >= 2);
        await using (var db = world.CreateContext())
        {
            Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "cluster.update" && a.ActorName.StartsWith("system (endpoint")));
        }

        // What the manifests endpoint shows is what the cluster holds, field for field.
        var manifests = await Endpoints(world).GetManifestsAsync(world.Owner, world.Team.Slug, "main", "resnet", default);
        foreach (var manifest in manifests)
        {
            var name = manifest["metadata"]!["name"]!.GetValue<string>();
            var held = await client.GetAsync(manifest["apiVersion"]!.GetValue<string>(), manifest["kind"]!.GetValue<string>(), name, manifest["metadata"]!["namespace"]?.GetValue<string>());
            Assert.NotNull(held);
            AssertKept(manifest, held, $"{manifest["kind"]}/{name}");
            Assert.Contains(held!["metadata"]!["managedFields"]!.AsArray(), f => f!["manager"]!.GetValue<string>() == KubernetesObjects.FieldManager);
        }
    }

    [Fact]
    public async Task CredentialsTheClusterRefuses_AreRenewed_AndTheEndpointStillBecomesReady()
    {
        var (world, _, client) = await ReadyClusterAsync();
        await using var _ = world;
        using var __ = client;
        var assumed = world.Emulator.Calls.Count("sts", "AssumeRole");
        // Only endpoints apply ScaledObjects, so no other reconciler (an add-on drift check) can take the refusal.
        world.Emulator.Faults.Add(new FaultRule("kubernetes", "patch scaledobjects", FaultKind.ExpiredCredentials, RemainingCalls: 1));

        var view = await Endpoints(world).CreateAsync(world.Owner, world.Team.Slug, "main", Spec("resnet"), default);
        await WaitForReadyAsync(world, view.Endpoint.Id);

        await using var db = world.CreateContext();
        var retry = await db.ResourceEvents.AsNoTracking().SingleAsync(e => e.ResourceId == view.Endpoint.Id && e.Step == "retry");
        Assert.Contains("Kubernetes answered 401", retry.Message);
        Assert.True(world.Emulator.Calls.Count("sts", "AssumeRole") > assumed, "the portal kept the session the cluster refused");
    }

    [Fact]
    public async Task TwoGpuTypes_GetOnePoolEach_AndAPoolGoesWithTheLastEndpointUsingIt()
    {
        var (world, cluster, client) = await ReadyClusterAsync();
        await using var _ = world;
        using var __ = client;
        var service = Endpoints(world);

        var l4 = await service.CreateAsync(world.Owner, world.Team.Slug, "main", Spec("vision", "L4"), default);
        var a10g = await service.CreateAsync(world.Owner, world.Team.Slug, "main", Spec("text", "A10G"), default);
        await WaitForReadyAsync(world, l4.Endpoint.Id);
        await WaitForReadyAsync(world, a10g.Endpoint.Id);
        Assert.Equal("ACTIVE", (await PoolAsync(world, cluster.Id, "gpu-l4"))?.ObservedStatus);
        Assert.Equal("ACTIVE", (await PoolAsync(world, cluster.Id, "gpu-a10g"))?.ObservedStatus);
        var text = await client.GetAsync("apps/v1", "Deployment", "text", $"team-{world.Team.Slug}");
        Assert.Contains("\"g5.", text!["spec"]!["template"]!["spec"]!["affinity"]!.ToJsonString());

        await service.DeleteAsync(world.Owner, world.Team.Slug, "main", "vision", null, default);
        await WaitForAsync(world, l4.Endpoint.Id, e => e is null);
        Assert.Null(await client.GetAsync("apps/v1", "Deployment", "vision", $"team-{world.Team.Slug}"));
        Assert.Null(await client.GetAsync("keda.sh/v1alpha1", "ScaledObject", "vision", $"team-{world.Team.Slug}"));
        // The L4 pool leaves the cluster's spec and EKS; the A10G pool, still needed, stays.
        var after = await world.WaitForAsync(cluster.Id, c => c!.NodePools.All(p => p.Name != "gpu-l4") && c.Phase == ClusterPhase.Ready && c.ObservedGeneration == c.Generation);
        Assert.Contains(after!.NodePools, p => p.Name == "gpu-a10g");
        Assert.Contains(after.NodePools, p => p.Name == "general");
        await world.WaitForCallsAsync("eks", "DeleteNodegroup");
        Assert.Equal(EndpointPhase.Ready, (await FindAsync(world, a10g.Endpoint.Id))!.Phase);

        await service.DeleteAsync(world.Owner, world.Team.Slug, "main", "text", null, default);
        await WaitForAsync(world, a10g.Endpoint.Id, e => e is null);
        var last = await world.WaitForAsync(cluster.Id, c => c!.NodePools.All(p => !p.Labels.ContainsKey(ClusterService.EndpointCapacityLabel)));
        Assert.Equal(["general"], last!.NodePools.Select(p => p.Name));
    }

    [Fact]
    public async Task CanaryAndScaleToZero_WorkTogether_AndRemovingTheCanaryPrunesItsObjects()
    {
        var (world, _, client) = await ReadyClusterAsync();
        await using var _w = world;
        using var __ = client;
        var service = Endpoints(world);
        var ns = $"team-{world.Team.Slug}";

        var view = await service.CreateAsync(world.Owner, world.Team.Slug, "main", Spec("resnet", min: 0, canary: new CanarySpec("4", 20)), default);
        var ready = await WaitForReadyAsync(world, view.Endpoint.Id);
        Assert.Equal(2, ready.ReadyReplicas);
        foreach (var name in new[] { "resnet", "resnet-canary" })
        {
            var scaled = await client.GetAsync("keda.sh/v1alpha1", "ScaledObject", name, ns);
            Assert.Equal(0, scaled!["spec"]!["minReplicaCount"]!.GetValue<int>());
            Assert.NotNull(await client.GetAsync("apps/v1", "Deployment", name, ns));
        }
        Assert.Contains(ready.AppliedObjects, o => o.EndsWith("|resnet-canary", StringComparison.Ordinal));

        var current = (await service.GetAsync(world.Owner, world.Team.Slug, "main", "resnet", default)).Endpoint;
        await service.UpdateAsync(world.Owner, world.Team.Slug, "main", "resnet", current.Spec with { Rollout = null }, null, default);
        var updated = await WaitForReadyAsync(world, view.Endpoint.Id, generation: 2);
        Assert.Null(await client.GetAsync("apps/v1", "Deployment", "resnet-canary", ns));
        Assert.Null(await client.GetAsync("keda.sh/v1alpha1", "ScaledObject", "resnet-canary", ns));
        Assert.DoesNotContain(updated.AppliedObjects, o => o.Contains("canary", StringComparison.Ordinal));
        Assert.Equal(1, updated.ReadyReplicas);
    }

    /// <summary>Every field sent is on the server with the value sent (the emulator drops unknown fields, so a typo would vanish).</summary>
    private static void AssertKept(JsonNode? sent, JsonNode? held, string path)
    {
        switch (sent)
        {
            case JsonObject obj:
                var target = Assert.IsType<JsonObject>(held);
                foreach (var (key, value) in obj)
                {
                    Assert.True(target.ContainsKey(key), $"{path}.{key} is not on the server");
                    AssertKept(value, target[key], $"{path}.{key}");
                }
                break;
            case JsonArray array:
                var list = Assert.IsType<JsonArray>(held);
                Assert.True(array.Count == list.Count, $"{path} has {list.Count} items on the server, {array.Count} sent");
                for (var i = 0; i < array.Count; i++) AssertKept(array[i], list[i], $"{path}[{i}]");
                break;
            default:
                Assert.True(JsonNode.DeepEquals(sent, held), $"{path} is {held?.ToJsonString()} on the server, {sent?.ToJsonString()} sent");
                break;
        }
    }
}
