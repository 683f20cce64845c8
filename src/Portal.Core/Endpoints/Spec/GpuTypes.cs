using Portal.Core.Catalog;

namespace Portal.Core.Endpoints.Spec;

/// <summary>One GPU model and the instance types that carry it.</summary>
/// <param name="Name">Upper case, as people say it: T4, A10G, L4, L40S, A100, H100.</param>
/// <param name="Label">The catalogue's (and Karpenter's <c>karpenter.k8s.aws/instance-gpu-name</c>) lower-case spelling.</param>
public sealed record GpuType(string Name, string Label, int MemoryMiB, int MaxGpusPerInstance, IReadOnlyList<InstanceType> InstanceTypes);

/// <summary>
/// The GPU models the platform offers, derived from <see cref="InstanceTypeCatalog"/>: what an endpoint may ask for,
/// which instance types can host a replica of N GPUs, and which one a new node pool should use.
/// </summary>
public sealed class GpuTypes(InstanceTypeCatalog catalog)
{
    /// <summary>What the node leaves to pods after kubelet, system reservations and daemon sets (a rough, safe margin).</summary>
    public const int ReservedMilliCpu = 400;
    public const int ReservedMemoryMiB = 2048;

    private readonly Dictionary<string, GpuType> _byLabel = catalog.Gpu
        .Where(t => t.GpuModel is not null && t.Architecture == "amd64")
        .GroupBy(t => t.GpuModel!.ToLowerInvariant())
        .ToDictionary(
            g => g.Key,
            g => new GpuType(g.Key.ToUpperInvariant(), g.Key, g.Max(t => t.GpuMemoryMiB ?? 0), g.Max(t => t.GpuCount),
                [.. g.OrderBy(t => t.GpuCount).ThenBy(t => t.OnDemandHourlyUsd ?? decimal.MaxValue).ThenBy(t => t.Name, StringComparer.Ordinal)]),
            StringComparer.Ordinal);

    public IReadOnlyList<GpuType> All => [.. _byLabel.Values.OrderBy(g => g.Name, StringComparer.Ordinal)];

    /// <summary>Case-insensitive: "L4", "l4".</summary>
    public GpuType? Find(string? name) => name is null ? null : _byLabel.GetValueOrDefault(name.Trim().ToLowerInvariant());

    /// <summary>Every instance type of the GPU model with at least <paramref name="gpus"/> GPUs: where a replica may be scheduled.</summary>
    public static IReadOnlyList<InstanceType> Candidates(GpuType type, int gpus) => [.. type.InstanceTypes.Where(t => t.GpuCount >= gpus)];

    /// <summary>
    /// The cheapest instance type that fits one replica (its GPUs, CPU and memory, after the node's reservations), or
    /// null when none does. One replica per node keeps scale-down simple: an idle node is an empty node.
    /// </summary>
    public static InstanceType? NodeFor(GpuType type, int gpus, int milliCpu, long memoryMiB) => Candidates(type, gpus)
        .Where(t => t.VCpu * 1000 - ReservedMilliCpu >= milliCpu && t.MemoryMiB - ReservedMemoryMiB >= memoryMiB)
        .OrderBy(t => t.OnDemandHourlyUsd ?? decimal.MaxValue)
        .ThenBy(t => t.GpuCount)
        .FirstOrDefault();
}
