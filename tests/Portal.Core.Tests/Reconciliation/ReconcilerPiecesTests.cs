using System.Text.Json.Nodes;
using Portal.Core.Cloud.Aws;
using Portal.Core.Clusters;
using Portal.Core.Clusters.Bootstrap;
using Portal.Core.Clusters.Reconciler;
using Portal.Core.Reconciliation;

namespace Portal.Core.Tests.Reconciliation;

public sealed class ReconcilerPiecesTests
{
    private static NodePool Pool(int min = 1, int desired = 2, int max = 3, bool gpu = false) => new()
    {
        Name = "general",
        InstanceTypes = [gpu ? "g5.xlarge" : "m5.large"],
        MinSize = min, DesiredSize = desired, MaxSize = max,
        AmiType = gpu ? NodePool.NvidiaAmiType : NodePool.StandardAmiType,
        IsGpu = gpu,
        Taints = gpu ? [NodePool.GpuTaint] : [],
        Labels = new() { ["team"] = "ml" },
    };

    private static EksNodegroup Group(int min = 1, int desired = 2, int max = 3, bool gpu = false) => new()
    {
        NodegroupName = "general",
        Status = EksNodegroupStatus.Active,
        ScalingConfig = new EksScalingConfig(min, max, desired),
        Labels = new Dictionary<string, string> { ["team"] = "ml" },
        Taints = gpu ? [new EksTaint("nvidia.com/gpu", "true", EksTaintEffects.NoSchedule)] : [],
    };

    [Fact]
    public void Backoff_GrowsExponentially_WithJitter_UpToTheCap()
    {
        var random = new Random(7);
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var full = Math.Min(100 * Math.Pow(2, attempt - 1), 5_000);
            var delay = Backoff.Delay(attempt, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), random).TotalMilliseconds;
            Assert.InRange(delay, full / 2, full);
        }
        Assert.Equal(TimeSpan.Zero, Backoff.Delay(0, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void ConfigUpdate_WhenTheNodeGroupMatches_IsNull()
    {
        Assert.Null(ClusterReconciler.ConfigUpdate(Pool(gpu: true), Group(gpu: true)));
    }

    [Fact]
    public void ConfigUpdate_WhenOnlyScalingDiffers_SendsOnlyScaling()
    {
        var update = ClusterReconciler.ConfigUpdate(Pool(2, 4, 6), Group());

        Assert.Equal(new EksScalingConfig(2, 6, 4), update!.ScalingConfig);
        Assert.Null(update.Labels);
        Assert.Null(update.Taints);
    }

    [Fact]
    public void ConfigUpdate_InSteadyState_LeavesTheAutoscalersDesiredSize_ButNotOutsideMinMax()
    {
        var group = Group();
        var pool = Pool(group.ScalingConfig!.MinSize ?? 0, 1, group.ScalingConfig.MaxSize ?? 1);
        var scaledUp = group with { ScalingConfig = group.ScalingConfig with { DesiredSize = pool.MaxSize } };

        // The autoscaler raised desired within the pool's range: nothing to send in steady state, the spec's after a spec change.
        Assert.Null(ClusterReconciler.ConfigUpdate(pool, scaledUp, enforceDesired: false));
        Assert.Equal(1, ClusterReconciler.ConfigUpdate(pool, scaledUp, enforceDesired: true)!.ScalingConfig!.DesiredSize);

        // A max lowered below what runs: the new range is sent with the spec's desired size, not the out-of-range one.
        pool.MaxSize = 1;
        var lowered = ClusterReconciler.ConfigUpdate(pool, scaledUp with { ScalingConfig = scaledUp.ScalingConfig! with { MaxSize = 5, DesiredSize = 5 } }, enforceDesired: false);
        Assert.Equal(new EksScalingConfig(pool.MinSize, 1, 1), lowered!.ScalingConfig);
    }

    [Fact]
    public void ConfigUpdate_AddsAndRemovesLabelsAndTaints()
    {
        var pool = Pool(gpu: true);
        pool.Labels = new() { ["tier"] = "gold" };
        var update = ClusterReconciler.ConfigUpdate(pool, Group());

        Assert.Null(update!.ScalingConfig);
        Assert.Equal("gold", update.Labels!.AddOrUpdateLabels!["tier"]);
        Assert.Equal(["team"], update.Labels.RemoveLabels!);
        Assert.Equal(new EksTaint("nvidia.com/gpu", "true", EksTaintEffects.NoSchedule), Assert.Single(update.Taints!.AddOrUpdateTaints!));
    }

    [Fact]
    public void ClientRequestTokens_AreStablePerIntentAndFitEks()
    {
        var id = Guid.NewGuid();
        var token = ClusterReconciler.Token(id, "create-cluster", "1");

        Assert.Equal(token, ClusterReconciler.Token(id, "create-cluster", "1"));
        Assert.NotEqual(token, ClusterReconciler.Token(id, "create-cluster", "2"));
        Assert.NotEqual(token, ClusterReconciler.Token(Guid.NewGuid(), "create-cluster", "1"));
        Assert.InRange(token.Length, 1, 64);
    }

    [Fact]
    public void Foundation_CarriesTheUpstreamCrdsWithTypedScalars()
    {
        var foundation = BootstrapManifests.Foundation().ToList();
        var crd = foundation.Single(m => m["metadata"]!["name"]!.GetValue<string>() == BootstrapManifests.ApplicationCrdName);
        var version = crd["spec"]!["versions"]![0]!;

        // YAML booleans must arrive as JSON booleans: the API server's schema refuses the string "true".
        Assert.Equal(System.Text.Json.JsonValueKind.True, JsonValueKindOf(version["served"]));
        Assert.Equal("v1alpha1", version["name"]!.GetValue<string>());
        Assert.Contains(foundation, m => m["kind"]!.GetValue<string>() == "Namespace" && m["metadata"]!["name"]!.GetValue<string>() == "argocd");
        Assert.Contains(foundation, m => m["kind"]!.GetValue<string>() == "AppProject");
    }

    [Fact]
    public void Applications_InstallTheDevicePluginOnlyWithAGpuPool()
    {
        Assert.DoesNotContain(BootstrapManifests.ComponentsFor(hasGpuPool: false), c => c.Name == "nvidia-device-plugin");
        Assert.Contains(BootstrapManifests.ComponentsFor(hasGpuPool: true), c => c.Name == "nvidia-device-plugin");

        var autoscaler = BootstrapManifests.Application(BootstrapManifests.Components[0], "team-dev-main", "eu-west-1", "1.33");
        var values = autoscaler["spec"]!["source"]!["helm"]!["valuesObject"]!;
        Assert.Equal("team-dev-main", values["autoDiscovery"]!["clusterName"]!.GetValue<string>());
        // The autoscaler's minor follows the control plane's, whatever the chart's appVersion.
        Assert.Equal("v1.33.0", values["image"]!["tag"]!.GetValue<string>());
        Assert.Equal(BootstrapManifests.Project, autoscaler["spec"]!["project"]!.GetValue<string>());
    }

    [Fact]
    public void ArgoCdInstall_RunsTheReleasedImageAndWiresItsComponentsTogether()
    {
        var objects = ArgoCdInstall.Objects().ToList();
        string Key(JsonObject o) => $"{o["kind"]}/{o["metadata"]!["name"]}";
        var keys = objects.Select(Key).ToList();

        Assert.Equal(keys.Count, keys.Distinct().Count());
        foreach (var (kind, name) in ArgoCdInstall.Workloads) Assert.Contains($"{kind}/{name}", keys);
        Assert.Contains("ConfigMap/argocd-cm", keys);
        Assert.Contains("ConfigMap/argocd-rbac-cm", keys);
        Assert.Contains("ConfigMap/argocd-cmd-params-cm", keys);
        // Every workload runs as its own service account, and every binding names a role and an account that exist.
        foreach (var workload in objects.Where(o => o["kind"]!.GetValue<string>() is "Deployment" or "StatefulSet"))
        {
            var pod = workload["spec"]!["template"]!["spec"]!;
            Assert.Contains($"ServiceAccount/{pod["serviceAccountName"]}", keys);
            Assert.All(pod["containers"]!.AsArray(), c => Assert.StartsWith(
                c!["name"]!.GetValue<string>() == "redis" ? "public.ecr.aws/docker/library/redis:" : ArgoCdInstall.Image, c["image"]!.GetValue<string>()));
        }
        foreach (var binding in objects.Where(o => o["kind"]!.GetValue<string>() is "RoleBinding" or "ClusterRoleBinding"))
        {
            Assert.Contains($"{binding["roleRef"]!["kind"]}/{binding["roleRef"]!["name"]}", keys);
            Assert.Contains($"ServiceAccount/{binding["subjects"]![0]!["name"]}", keys);
        }
        // Services select pods that a workload's template labels.
        var podNames = objects.Where(o => o["kind"]!.GetValue<string>() is "Deployment" or "StatefulSet")
            .Select(o => o["spec"]!["template"]!["metadata"]!["labels"]!["app.kubernetes.io/name"]!.GetValue<string>()).ToHashSet();
        Assert.All(objects.Where(o => o["kind"]!.GetValue<string>() == "Service"),
            s => Assert.Contains(s["spec"]!["selector"]!["app.kubernetes.io/name"]!.GetValue<string>(), podNames));
        Assert.Equal("quay.io/argoproj/argocd:v3.5.1", ArgoCdInstall.Image);
    }

    [Fact]
    public void ArgoCdInstall_AWorkloadIsAvailableOnlyOnceItsGenerationIsObservedAndEveryReplicaIsUp()
    {
        JsonObject Workload(long generation, long observed, long available) => new()
        {
            ["metadata"] = new JsonObject { ["generation"] = generation },
            ["spec"] = new JsonObject { ["replicas"] = 1 },
            ["status"] = new JsonObject { ["observedGeneration"] = observed, ["availableReplicas"] = available },
        };
        Assert.Equal("not created", ArgoCdInstall.NotAvailable(null));
        Assert.Equal("rolling out", ArgoCdInstall.NotAvailable(Workload(2, 1, 1)));
        Assert.Equal("0/1 available", ArgoCdInstall.NotAvailable(Workload(1, 1, 0)));
        Assert.Null(ArgoCdInstall.NotAvailable(Workload(1, 1, 1)));
    }

    private static System.Text.Json.JsonValueKind JsonValueKindOf(JsonNode? node) => node!.GetValueKind();
}
