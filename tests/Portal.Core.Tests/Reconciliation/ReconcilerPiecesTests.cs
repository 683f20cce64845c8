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

        var autoscaler = BootstrapManifests.Application(BootstrapManifests.Components[0], "team-dev-main", "eu-west-1");
        Assert.Equal("team-dev-main", autoscaler["spec"]!["source"]!["helm"]!["valuesObject"]!["autoDiscovery"]!["clusterName"]!.GetValue<string>());
        Assert.Equal(BootstrapManifests.Project, autoscaler["spec"]!["project"]!.GetValue<string>());
    }

    private static System.Text.Json.JsonValueKind JsonValueKindOf(JsonNode? node) => node!.GetValueKind();
}
