using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Portal.Emulator.Tests.Kubernetes;

public sealed class ControllerTests
{
    [Fact]
    public async Task Deployment_WithAConfiguredDelay_BecomesAvailableOnlyWhenTheClockPassesIt()
    {
        await using var cluster = await KubeCluster.StartAsync(o => o.DeploymentReadyDelay = TimeSpan.FromSeconds(30));
        var client = cluster.Client;
        await client.AppsV1.CreateNamespacedDeploymentAsync(KubernetesClientCrudTests.Deployment("slow", replicas: 2), "default");

        var progressing = await KubeCluster.PollAsync(() => client.AppsV1.ReadNamespacedDeploymentAsync("slow", "default"),
            d => d.Status?.ObservedGeneration == 1, "the generation to be observed");
        Assert.Null(progressing.Status.ReadyReplicas);
        Assert.Contains(progressing.Status.Conditions, c => c.Type == "Available" && c.Status == "False");

        cluster.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Null((await client.AppsV1.ReadNamespacedDeploymentAsync("slow", "default")).Status.ReadyReplicas);

        cluster.Clock.Advance(TimeSpan.FromSeconds(1));
        var ready = await KubeCluster.PollAsync(() => client.AppsV1.ReadNamespacedDeploymentAsync("slow", "default"),
            d => d.Status?.ReadyReplicas == 2, "the deployment to be ready");
        Assert.Contains(ready.Status.Conditions, c => c.Type == "Progressing" && c.Reason == "NewReplicaSetAvailable");
    }

    [Fact]
    public async Task StatefulSet_BecomesReadyAfterTheDelay_AndFollowsAScaleUp()
    {
        await using var cluster = await KubeCluster.StartAsync(o => o.DeploymentReadyDelay = TimeSpan.FromSeconds(30));
        var client = cluster.Client;
        var template = KubernetesClientCrudTests.Deployment("db", replicas: 1).Spec.Template;
        await client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = "db" },
            Spec = new V1StatefulSetSpec
            {
                ServiceName = "db",
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "db" } },
                Template = template,
            },
        }, "default");

        var starting = await KubeCluster.PollAsync(() => client.AppsV1.ReadNamespacedStatefulSetAsync("db", "default"),
            s => s.Status?.ObservedGeneration == 1, "the generation to be observed");
        Assert.Equal((1, 0), (starting.Status.Replicas, starting.Status.ReadyReplicas ?? 0));
        Assert.False(string.IsNullOrEmpty(starting.Status.UpdateRevision));

        cluster.Clock.Advance(TimeSpan.FromSeconds(30));
        var ready = await KubeCluster.PollAsync(() => client.AppsV1.ReadNamespacedStatefulSetAsync("db", "default"),
            s => s.Status?.AvailableReplicas == 1, "the stateful set to be available");
        Assert.Equal((1, 1, 1), (ready.Status.ReadyReplicas, ready.Status.CurrentReplicas, ready.Status.UpdatedReplicas));
        Assert.Equal(ready.Status.UpdateRevision, ready.Status.CurrentRevision);

        // A scale-up is a new generation: observed at once, the new replica ready only after the delay.
        await client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch("""{"spec":{"replicas":3}}""", V1Patch.PatchType.MergePatch), "db", "default");
        var scaling = await KubeCluster.PollAsync(() => client.AppsV1.ReadNamespacedStatefulSetAsync("db", "default"),
            s => s.Status?.ObservedGeneration == 2, "the scale-up to be observed");
        Assert.Equal((3, 1), (scaling.Status.Replicas, scaling.Status.AvailableReplicas));
        cluster.Clock.Advance(TimeSpan.FromSeconds(30));
        await KubeCluster.PollAsync(() => client.AppsV1.ReadNamespacedStatefulSetAsync("db", "default"),
            s => s.Status?.AvailableReplicas == 3, "every replica to be available");
    }

    [Fact]
    public async Task Job_Completes()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await cluster.Client.BatchV1.CreateNamespacedJobAsync(new V1Job
        {
            Metadata = new V1ObjectMeta { Name = "migrate" },
            Spec = new V1JobSpec
            {
                Template = new V1PodTemplateSpec
                {
                    Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "migrate", Image = "busybox:1.36" }] },
                },
            },
        }, "default");

        var done = await KubeCluster.PollAsync(() => cluster.Client.BatchV1.ReadNamespacedJobAsync("migrate", "default"),
            j => j.Status?.Conditions?.Any(c => c.Type == "Complete" && c.Status == "True") == true, "the job to complete");
        Assert.Equal(1, done.Status.Succeeded);
        Assert.NotNull(done.Status.CompletionTime);
    }

    [Fact]
    public async Task Namespace_Deletion_DeletesItsContentsThenItself()
    {
        await using var cluster = await KubeCluster.StartAsync();
        var client = cluster.Client;
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } });
        await client.AppsV1.CreateNamespacedDeploymentAsync(KubernetesClientCrudTests.Deployment("inside"), "doomed");
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" } }, "doomed");

        await client.CoreV1.DeleteNamespaceAsync("doomed");

        await KubeCluster.PollAsync(async () => (await client.CoreV1.ListNamespaceAsync()).Items.Select(n => n.Metadata.Name).ToList(),
            names => !names.Contains("doomed"), "the namespace to go");
        Assert.Empty((await client.AppsV1.ListDeploymentForAllNamespacesAsync()).Items);
        Assert.DoesNotContain((await client.CoreV1.ListConfigMapForAllNamespacesAsync()).Items, c => c.Metadata.NamespaceProperty == "doomed");
    }

    [Fact]
    public async Task Namespace_WhileTerminating_RefusesNewContent()
    {
        await using var cluster = await KubeCluster.StartAsync(o => o.NamespaceDeletionDelay = TimeSpan.FromMinutes(1));
        var client = cluster.Client;
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "closing" } });
        await client.CoreV1.DeleteNamespaceAsync("closing");

        Assert.Equal("Terminating", (await client.CoreV1.ReadNamespaceAsync("closing")).Status.Phase);
        var e = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, "closing"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
    }

    [Fact]
    public async Task ArgoApplication_WithAKnownChart_BecomesSyncedAndHealthy_AndWithAnUnknownChart_Degraded()
    {
        await using var cluster = await KubeCluster.StartAsync();
        var client = cluster.Client;
        await Crds.InstallAllAsync(client);

        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Crds.Application("keda", "https://kedacore.github.io/charts", "keda", "2.20.2"), "argoproj.io", "v1alpha1", "default", "applications");
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Crds.Application("ghost", "https://charts.example.com", "ghost"), "argoproj.io", "v1alpha1", "default", "applications");

        var healthy = await KubeCluster.PollAsync(async () => Crds.ToJson(await client.CustomObjects.GetNamespacedCustomObjectAsync("argoproj.io", "v1alpha1", "default", "applications", "keda")),
            a => (string?)a["status"]?["health"]?["status"] == "Healthy", "keda to be healthy");
        Assert.Equal("Synced", (string?)healthy["status"]!["sync"]!["status"]);
        Assert.Equal("2.20.2", (string?)healthy["status"]!["sync"]!["revision"]);

        var degraded = await KubeCluster.PollAsync(async () => Crds.ToJson(await client.CustomObjects.GetNamespacedCustomObjectAsync("argoproj.io", "v1alpha1", "default", "applications", "ghost")),
            a => (string?)a["status"]?["health"]?["status"] == "Degraded", "ghost to be degraded");
        Assert.Contains("chart \"ghost\"", (string?)degraded["status"]!["health"]!["message"]);
        Assert.Equal("ComparisonError", (string?)degraded["status"]!["conditions"]![0]!["type"]);
    }

    [Fact]
    public async Task KnownCharts_AreConfigurable()
    {
        await using var cluster = await KubeCluster.StartAsync(o => o.KnownHelmCharts.Add("https://charts.example.com|ghost"));
        await Crds.InstallAllAsync(cluster.Client);

        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(Crds.Application("ghost", "https://charts.example.com", "ghost"), "argoproj.io", "v1alpha1", "default", "applications");

        await KubeCluster.PollAsync(async () => Crds.ToJson(await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync("argoproj.io", "v1alpha1", "default", "applications", "ghost")),
            a => (string?)a["status"]?["health"]?["status"] == "Healthy", "ghost to be healthy");
    }

    [Fact]
    public async Task ScaledObject_BecomesReady_OwnsItsHpa_AndTakesItAlongWhenDeleted()
    {
        await using var cluster = await KubeCluster.StartAsync();
        var client = cluster.Client;
        await Crds.InstallAllAsync(client);
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Crds.ScaledObject("web", "web"), "keda.sh", "v1alpha1", "default", "scaledobjects");

        var notReady = await KubeCluster.PollAsync(async () => Crds.ToJson(await client.CustomObjects.GetNamespacedCustomObjectAsync("keda.sh", "v1alpha1", "default", "scaledobjects", "web")),
            s => s["status"]?["conditions"] is JsonArray, "a first status");
        Assert.Equal("False", (string?)notReady["status"]!["conditions"]!.AsArray().First(c => (string?)c!["type"] == "Ready")!["status"]);

        await client.AppsV1.CreateNamespacedDeploymentAsync(KubernetesClientCrudTests.Deployment("web"), "default");
        var ready = await KubeCluster.PollAsync(async () => Crds.ToJson(await client.CustomObjects.GetNamespacedCustomObjectAsync("keda.sh", "v1alpha1", "default", "scaledobjects", "web")),
            s => s["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True") == true, "the scaled object to be ready");
        Assert.Equal("keda-hpa-web", (string?)ready["status"]!["hpaName"]);

        var hpa = await client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("keda-hpa-web", "default");
        Assert.Equal(("Deployment", "web"), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.Equal((1, 8), (hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas));
        Assert.Equal(["External", "Resource"], hpa.Spec.Metrics.Select(m => m.Type).Order());
        Assert.Equal("ScaledObject", hpa.Metadata.OwnerReferences.Single().Kind);

        await client.CustomObjects.DeleteNamespacedCustomObjectAsync("keda.sh", "v1alpha1", "default", "scaledobjects", "web");
        await KubeCluster.PollAsync(async () => (await client.AutoscalingV2.ListNamespacedHorizontalPodAutoscalerAsync("default")).Items.Count,
            count => count == 0, "the HPA to go");
        await KubeCluster.PollAsync(async () => Crds.ToJson(await client.CustomObjects.ListNamespacedCustomObjectAsync("keda.sh", "v1alpha1", "default", "scaledobjects"))["items"]!.AsArray().Count,
            count => count == 0, "the scaled object to go");
    }

    [Fact]
    public async Task ScaledObjectStatus_FitsKedasSchema_SoAStrictReapplyIsAccepted()
    {
        await using var cluster = await KubeCluster.StartAsync();
        var client = cluster.Client;
        await Crds.InstallAllAsync(client);
        await client.AppsV1.CreateNamespacedDeploymentAsync(KubernetesClientCrudTests.Deployment("api"), "default");
        var body = Crds.ScaledObject("api", "api");
        var patch = new V1Patch(body.ToJsonString(), V1Patch.PatchType.ApplyPatch);
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, "keda.sh", "v1alpha1", "default", "scaledobjects", "api", fieldManager: "portal", fieldValidation: "Strict", force: true);
        var ready = await KubeCluster.PollAsync(async () => Crds.ToJson(await client.CustomObjects.GetNamespacedCustomObjectAsync("keda.sh", "v1alpha1", "default", "scaledobjects", "api")),
            s => s["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True") == true, "the scaled object to be ready");

        // KEDA's Condition has type, status, reason and message only: nothing the CRD does not declare.
        Assert.All(ready["status"]!["conditions"]!.AsArray(), c => Assert.Null(c!["lastTransitionTime"]));
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, "keda.sh", "v1alpha1", "default", "scaledobjects", "api", fieldManager: "portal", fieldValidation: "Strict", force: true);
    }

    [Fact]
    public async Task SyncedKedaChart_InstallsKedasUpstreamCrds()
    {
        await using var cluster = await KubeCluster.StartAsync();
        await Crds.InstallAllAsync(cluster.Client);
        await cluster.Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("scaledobjects.keda.sh");

        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(Crds.Application("keda", "https://kedacore.github.io/charts", "keda"), "argoproj.io", "v1alpha1", "default", "applications");

        var crds = await KubeCluster.PollAsync(async () => (await cluster.Client.ApiextensionsV1.ListCustomResourceDefinitionAsync()).Items,
            items => items.Any(c => c.Metadata.Name == "scaledobjects.keda.sh"), "KEDA's ScaledObject CRD");
        Assert.Equal("v1alpha1", crds.Single(c => c.Metadata.Name == "scaledobjects.keda.sh").Spec.Versions.Single(v => v.Storage).Name);
    }
}
