using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Portal.Emulator.Tests.Kubernetes;

public sealed class ServerSideApplyTests : IAsyncLifetime
{
    private KubeCluster _cluster = null!;

    private IKubernetes Client => _cluster.Client;

    public async Task InitializeAsync() => _cluster = await KubeCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static string Config(int replicas, string? extraLabel = null) => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: applied
          labels:
            app: applied{{(extraLabel is null ? "" : $"\n    {extraLabel}: \"yes\"")}}
        spec:
          replicas: {{replicas}}
          selector:
            matchLabels:
              app: applied
          template:
            metadata:
              labels:
                app: applied
            spec:
              containers:
              - name: app
                image: nginx:1.27
                ports:
                - containerPort: 8080
        """;

    // KubernetesClient sends an apply patch as JSON (valid YAML); the configuration is written as YAML for reading.
    private static string AsJson(string yaml) => Portal.Emulator.Kubernetes.Json.ParseJsonOrYaml(yaml)!.ToJsonString();

    private Task<V1Deployment> ApplyAsync(string yaml, string manager, bool force = false) =>
        Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(AsJson(yaml), V1Patch.PatchType.ApplyPatch), "applied", "default", fieldManager: manager, force: force);

    [Fact]
    public async Task Apply_CreatesThenIsIdempotent_AndRecordsManagedFields()
    {
        var created = await ApplyAsync(Config(2), "portal");
        Assert.Equal(2, created.Spec.Replicas);
        // Let the simulated deployment controller settle its status writes first.
        var settled = await KubeCluster.PollAsync(() => Client.AppsV1.ReadNamespacedDeploymentAsync("applied", "default"), d => d.Status?.ReadyReplicas == 2, "ready");

        var again = await ApplyAsync(Config(2), "portal");

        Assert.Equal(settled.Metadata.ResourceVersion, again.Metadata.ResourceVersion);
        Assert.Equal(1, again.Metadata.Generation);
        var entry = Assert.Single(again.Metadata.ManagedFields);
        Assert.Equal(("portal", "Apply", "apps/v1"), (entry.Manager, entry.Operation, entry.ApiVersion));
        Assert.Contains("f:replicas", KubernetesJson.Serialize(entry.FieldsV1));
    }

    [Fact]
    public async Task Apply_ByAnotherManagerChangingAnOwnedField_Returns409NamingTheField_UnlessForced()
    {
        await ApplyAsync(Config(2), "portal");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => ApplyAsync(Config(5), "autoscaler"));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(e.Response.Content);
        Assert.Equal("Conflict", status.Reason);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"portal\" using apps/v1: .spec.replicas", status.Message);
        var cause = Assert.Single(status.Details.Causes);
        Assert.Equal(("FieldManagerConflict", ".spec.replicas"), (cause.Reason, cause.Field));

        // Same value: shared ownership, no conflict.
        await ApplyAsync(Config(2), "autoscaler");

        var forced = await ApplyAsync(Config(5), "autoscaler", force: true);
        Assert.Equal(5, forced.Spec.Replicas);
        var portal = forced.Metadata.ManagedFields.Single(m => m.Manager == "portal");
        Assert.DoesNotContain("f:replicas", KubernetesJson.Serialize(portal.FieldsV1));
    }

    [Fact]
    public async Task Apply_AfterAnUpdateByAnotherManager_ConflictsWithThatManager()
    {
        await ApplyAsync(Config(2), "portal");
        await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"spec\":{\"replicas\":4}}", V1Patch.PatchType.MergePatch), "applied", "default", fieldManager: "kubectl-scale");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => ApplyAsync(Config(2), "portal"));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Contains("conflict with \"kubectl-scale\"", KubernetesJson.Deserialize<V1Status>(e.Response.Content).Message);
    }

    [Fact]
    public async Task Apply_WithoutAFieldItAppliedBefore_RemovesThatField()
    {
        var first = await ApplyAsync(Config(2, extraLabel: "canary"), "portal");
        Assert.Equal("yes", first.Metadata.Labels["canary"]);

        var second = await ApplyAsync(Config(2), "portal");

        Assert.False(second.Metadata.Labels.ContainsKey("canary"));
        Assert.Equal("applied", second.Metadata.Labels["app"]);
    }

    [Fact]
    public async Task Apply_WithoutFieldManager_Returns422_AndInvalidObject_Returns422()
    {
        var noManager = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(AsJson(Config(2)), V1Patch.PatchType.ApplyPatch), "applied", "default"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noManager.Response.StatusCode);

        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() => ApplyAsync(Config(2).Replace("image: nginx:1.27", "image: nginx:1.27\n        imagePullPolicy: Sometimes"), "portal"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        Assert.Contains(KubernetesJson.Deserialize<V1Status>(invalid.Response.Content).Details.Causes, c => c.Field == "spec.template.spec.containers[0].imagePullPolicy");
    }
}
