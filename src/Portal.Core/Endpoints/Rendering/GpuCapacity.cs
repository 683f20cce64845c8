using System.Text.Json.Nodes;
using Portal.Core.Catalog;
using Portal.Core.Clusters;
using Portal.Core.Endpoints.Spec;

namespace Portal.Core.Endpoints.Rendering;

/// <summary>What GPU capacity an endpoint needs: one node per replica at most, of the cheapest fitting instance type.</summary>
/// <param name="NodesAtMax">Nodes the endpoint occupies at its maximum replica count (canary included).</param>
public sealed record GpuNeed(GpuType GpuType, int GpusPerReplica, InstanceType InstanceType, int NodesAtMax);

/// <summary>
/// The node capacity behind GPU endpoints, one pool per GPU type shared by the cluster's endpoints of that type: an
/// EKS managed node group (NVIDIA AMI, <c>nvidia.com/gpu</c> taint, min 0) through the cluster resource, or a
/// Karpenter NodePool when the cluster uses Karpenter.
/// </summary>
public sealed class GpuCapacity(GpuTypes gpus)
{
    public const string GpuLabel = "unicron.io/gpu";

    /// <summary>The EKS AMI type of every GPU node group (NVIDIA drivers); the cluster rules derive the same from the instance type.</summary>
    public const string AmiType = NodePool.NvidiaAmiType;

    /// <summary>The pool's name for a GPU type: <c>gpu-l4</c>. Managed node group and Karpenter NodePool alike.</summary>
    public static string PoolName(GpuType type) => $"gpu-{type.Label}";

    /// <summary>What one endpoint needs; null when no instance type fits (the rules refuse such specs).</summary>
    public GpuNeed? NeedOf(EndpointSpec spec)
    {
        if (gpus.Find(spec.Gpu.Type) is not { } type) return null;
        var cpu = EndpointSpecRules.Quantity(spec.Resources.Cpu) ?? 0;
        var memory = EndpointSpecRules.Quantity(spec.Resources.Memory) ?? 0;
        var instance = GpuTypes.NodeFor(type, spec.Gpu.Count, (int)Math.Ceiling(cpu * 1000), (long)Math.Ceiling(memory / (1024 * 1024)));
        if (instance is null) return null;
        var replicasPerNode = Math.Max(1, instance.GpuCount / spec.Gpu.Count);
        var replicas = EndpointRenderer.Variants(spec).Where(v => v.TrafficPercent > 0).Sum(v => EndpointRenderer.MaxReplicas(spec, v));
        return new GpuNeed(type, spec.Gpu.Count, instance, (replicas + replicasPerNode - 1) / replicasPerNode);
    }

    /// <summary>
    /// The managed node group a cluster needs for the endpoints of one GPU type: the instance type that fits the largest
    /// of their replicas, min 0 (GPU nodes cost money only while a replica runs), max the sum of their nodes at full scale.
    /// Feed it to the cluster's node pools; <see cref="ClusterSpecRules"/> gives it the NVIDIA AMI and GPU taint.
    /// </summary>
    public NodePoolSpec? NodeGroupFor(GpuType type, IEnumerable<EndpointSpec> endpoints)
    {
        var needs = endpoints.Select(NeedOf).OfType<GpuNeed>().Where(n => n.GpuType.Label == type.Label).ToList();
        if (needs.Count == 0) return null;
        var instance = needs.Select(n => n.InstanceType).MaxBy(t => (t.GpuCount, t.VCpu, t.MemoryMiB))!;
        var max = Math.Max(1, needs.Sum(n => n.NodesAtMax));
        return new NodePoolSpec(
            PoolName(type),
            [instance.Name],
            CapacityType.OnDemand,
            MinSize: 0,
            DesiredSize: 0,
            MaxSize: max,
            DiskSizeGiB: 200, // model images and model files are large: room for a few of both
            Labels: new Dictionary<string, string> { [GpuLabel] = type.Label },
            Taints: [NodePool.GpuTaint]);
    }

    /// <summary>
    /// A Karpenter NodePool (karpenter.sh/v1) for one GPU type: any of its instance types, on-demand, tainted for GPU
    /// pods only, consolidated once empty, capped at <paramref name="maxGpus"/> GPUs.
    /// </summary>
    public static JsonObject KarpenterNodePool(GpuType type, int maxGpus, ClusterFacts facts) => new()
    {
        ["apiVersion"] = "karpenter.sh/v1",
        ["kind"] = "NodePool",
        ["metadata"] = new JsonObject
        {
            ["name"] = PoolName(type),
            ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = EndpointRenderer.ManagedBy, [GpuLabel] = type.Label },
        },
        ["spec"] = new JsonObject
        {
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [GpuLabel] = type.Label } },
                ["spec"] = new JsonObject
                {
                    ["nodeClassRef"] = new JsonObject { ["group"] = "karpenter.k8s.aws", ["kind"] = "EC2NodeClass", ["name"] = facts.KarpenterNodeClass },
                    ["requirements"] = new JsonArray(
                        Requirement("karpenter.k8s.aws/instance-gpu-name", type.Label),
                        Requirement("karpenter.sh/capacity-type", "on-demand"),
                        Requirement("kubernetes.io/arch", "amd64"),
                        // The catalogue's types only: the portal prices and validates what it knows.
                        Requirement(EndpointRenderer.InstanceTypeLabel, [.. type.InstanceTypes.Select(t => t.Name)])),
                    ["taints"] = new JsonArray(new JsonObject { ["key"] = NodePool.GpuTaint.Key, ["value"] = NodePool.GpuTaint.Value, ["effect"] = "NoSchedule" }),
                    ["expireAfter"] = "720h",
                },
            },
            // Only empty nodes go: consolidating a busy GPU node would restart replicas that take minutes to load.
            ["disruption"] = new JsonObject { ["consolidationPolicy"] = "WhenEmpty", ["consolidateAfter"] = "5m" },
            ["limits"] = new JsonObject { [EndpointRenderer.GpuResource] = Math.Max(1, maxGpus).ToString(System.Globalization.CultureInfo.InvariantCulture) },
        },
    };

    private static JsonObject Requirement(string key, params string[] values) => new()
    {
        ["key"] = key,
        ["operator"] = "In",
        ["values"] = new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]),
    };
}
