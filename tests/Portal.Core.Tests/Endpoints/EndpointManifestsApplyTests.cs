using System.Net;
using System.Text.Json.Nodes;
using k8s.Autorest;
using Portal.Core.Cloud.Kubernetes;
using Portal.Core.Endpoints.Rendering;
using Portal.Core.Endpoints.Spec;
using static Portal.Core.Tests.Endpoints.EndpointSamples;

namespace Portal.Core.Tests.Endpoints;

/// <summary>
/// Every rendered object goes through the emulator's Kubernetes API with server-side apply, as the reconciler will send
/// it; the emulator validates built-ins against the Kubernetes 1.34 OpenAPI and custom resources against the upstream
/// CRDs, so an object the real schema would refuse fails here.
/// </summary>
public sealed class EndpointManifestsApplyTests(EmulatedCluster cluster) : IClassFixture<EmulatedCluster>
{
    private static readonly EndpointRenderer Renderer = new(Gpus);

    private async Task<IReadOnlyList<JsonObject>> ApplyAsync(EndpointSpec spec, string ns)
    {
        var objects = Renderer.Render(spec, Target with { Namespace = ns }, Facts);
        foreach (var manifest in objects)
        {
            var held = await cluster.Client.ApplyAsync(manifest);
            EmulatedCluster.AssertKept(manifest, held, $"{manifest["kind"]}/{manifest["metadata"]!["name"]}");
        }
        return objects;
    }

    [Theory]
    [MemberData(nameof(EndpointSamples.Matrix), MemberType = typeof(EndpointSamples))]
    public async Task EveryRenderedObject_IsAcceptedByTheSchemas_AndKeptAsSent(EndpointRuntime runtime, EndpointProtocol protocol, ScalingTriggerKind trigger)
    {
        var spec = For(runtime, protocol, trigger);
        var ns = await cluster.NamespaceAsync($"m-{Guid.NewGuid():N}"[..20]);

        var objects = await ApplyAsync(spec, ns);

        // The CRD's one CEL rule, which the emulator does not evaluate: minReplicaCount <= maxReplicaCount.
        Assert.All(objects.Where(o => (string?)o["kind"] == "ScaledObject"),
            o => Assert.True((int)o["spec"]!["minReplicaCount"]! <= (int)o["spec"]!["maxReplicaCount"]!));
        foreach (var manifest in objects)
        {
            var read = await cluster.Client.GetAsync((string)manifest["apiVersion"]!, (string)manifest["kind"]!, (string)manifest["metadata"]!["name"]!, ns);
            Assert.NotNull(read);
            Assert.Contains(read["metadata"]!["managedFields"]!.AsArray(), m => (string?)m!["manager"] == KubernetesObjects.FieldManager);
        }
    }

    [Fact]
    public async Task CanaryAndScaleToZero_Together_AreAccepted_AndKedaTakesBothVariants()
    {
        var ns = await cluster.NamespaceAsync($"c-{Guid.NewGuid():N}"[..20]);
        var spec = Triton(EndpointProtocol.Both) with { Rollout = new RolloutSpec(new CanarySpec("4", 25)) };

        await ApplyAsync(spec, ns);
        // Applying again is a no-op for the server: the reconciler applies on every pass.
        var again = await ApplyAsync(spec, ns);

        foreach (var name in new[] { "resnet", "resnet-canary" })
        {
            var scaled = await cluster.Client.GetAsync("keda.sh/v1alpha1", "ScaledObject", name, ns);
            Assert.Equal(0, (int)scaled!["spec"]!["minReplicaCount"]!);
            var hpa = await WaitForAsync(() => cluster.Client.GetAsync("autoscaling/v2", "HorizontalPodAutoscaler", $"keda-hpa-{name}", ns));
            Assert.Equal(name, (string?)hpa["spec"]!["scaleTargetRef"]!["name"]);
        }
        var deployment = await cluster.Client.GetAsync("apps/v1", "Deployment", "resnet", ns);
        Assert.Equal(1, (long)deployment!["metadata"]!["generation"]!);
        Assert.NotEmpty(again);
    }

    [Fact]
    public async Task KarpenterNodePool_ForAGpuType_IsAcceptedByTheKarpenterCrd()
    {
        var pool = GpuCapacity.KarpenterNodePool(Gpus.Find("L40S")!, 16, Facts);

        var held = await cluster.Client.ApplyAsync(pool);

        EmulatedCluster.AssertKept(pool, held, "NodePool/gpu-l40s");
    }

    [Fact]
    public async Task ABrokenObject_IsRefusedByTheEmulator_SoTheseTestsWouldCatchOne()
    {
        var ns = await cluster.NamespaceAsync($"b-{Guid.NewGuid():N}"[..20]);
        var objects = Renderer.Render(Triton(), Target with { Namespace = ns }, Facts);
        var deployment = objects.Single(o => (string?)o["kind"] == "Deployment").DeepClone().AsObject();
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!["nvidia.com/gpu"] = "one";
        var scaled = objects.Single(o => (string?)o["kind"] == "ScaledObject").DeepClone().AsObject();
        scaled["spec"]!.AsObject().Remove("triggers");
        var budget = objects.Single(o => (string?)o["kind"] == "PodDisruptionBudget").DeepClone().AsObject();
        budget["spec"]!["selector"]!["matchLabels"] = "endpoint=resnet";

        foreach (var broken in new[] { deployment, scaled, budget })
        {
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.ApplyAsync(broken));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        }
    }

    [Fact]
    public async Task AFieldTheSchemaDoesNotKnow_IsRefusedByTheStrictApply()
    {
        var ns = await cluster.NamespaceAsync($"u-{Guid.NewGuid():N}"[..20]);
        var scaled = Renderer.Render(Triton(), Target with { Namespace = ns }, Facts).Single(o => (string?)o["kind"] == "ScaledObject").DeepClone().AsObject();
        scaled["spec"]!["minReplicas"] = 0; // a typo of minReplicaCount

        // KubernetesObjects applies with fieldValidation=Strict: the typo is a 400 naming it, not silently dropped.
        var refused = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => cluster.Client.ApplyAsync(scaled));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.Response.StatusCode);
        Assert.Contains("spec.minReplicas", refused.Response.Content);
    }

    private static async Task<JsonObject> WaitForAsync(Func<Task<JsonObject?>> read)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await read() is { } found) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException("the object did not appear within 5 s");
    }
}
