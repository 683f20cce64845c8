using Portal.Core.Clusters;

namespace Portal.Web.Components.Shared.Clusters;

/// <summary>
/// A node pool as a form edits it: mutable, and kept as typed even when the service refuses it, so the user fixes
/// their input instead of retyping it. <see cref="ToSpec"/> makes the request the service checks.
/// </summary>
public sealed class NodePoolDraft
{
    public string Name { get; set; } = "";
    public List<string> InstanceTypes { get; set; } = [];
    public CapacityType CapacityType { get; set; }
    public int MinSize { get; set; } = 1;
    public int DesiredSize { get; set; } = 2;
    public int MaxSize { get; set; } = 3;
    public int DiskSizeGiB { get; set; } = NodePool.DefaultDiskSizeGiB;

    /// <summary>
    /// A pool the cluster already has: EKS cannot change its instance types, capacity type or disk in place, so the
    /// editor locks those fields instead of letting the user ask for what the service would refuse.
    /// </summary>
    public bool Existing { get; init; }

    // Carried over unchanged from an existing pool so that rescaling it does not drop them (the UI does not edit them yet).
    private IReadOnlyDictionary<string, string>? _labels;
    private IReadOnlyList<NodeTaint>? _taints;

    public static NodePoolDraft From(NodePool pool) => new()
    {
        Name = pool.Name,
        InstanceTypes = [.. pool.InstanceTypes],
        CapacityType = pool.CapacityType,
        MinSize = pool.MinSize,
        DesiredSize = pool.DesiredSize,
        MaxSize = pool.MaxSize,
        DiskSizeGiB = pool.DiskSizeGiB,
        Existing = true,
        _labels = pool.Labels,
        _taints = pool.Taints,
    };

    public NodePoolSpec ToSpec() =>
        new(Name.Trim(), [.. InstanceTypes], CapacityType, MinSize, DesiredSize, MaxSize, DiskSizeGiB, _labels, _taints);
}
