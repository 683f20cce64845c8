using Portal.Core.Costs.Hibernation;

namespace Portal.Core.Clusters;

/// <summary>How the pool's instances are bought.</summary>
public enum CapacityType
{
    OnDemand = 0,
    Spot = 1,
}

/// <summary>Kubernetes taint effects (EKS spells them NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE).</summary>
public enum TaintEffect
{
    NoSchedule = 0,
    PreferNoSchedule = 1,
    NoExecute = 2,
}

public sealed record NodeTaint(string Key, string? Value, TaintEffect Effect);

/// <summary>
/// One EKS managed node group of a cluster. Part of the cluster's spec: changing a pool bumps the cluster's
/// generation. Removing a pool from the spec deletes its row; the reconciler lists the cluster's node groups and
/// deletes those no row names (level-triggered, so a lost step is found again on the next run).
/// </summary>
public sealed class NodePool
{
    public const int NameMinLength = 1;
    public const int NameMaxLength = 40;
    public const int MinDiskSizeGiB = 20;
    public const int MaxDiskSizeGiB = 16384;
    public const int DefaultDiskSizeGiB = 50;

    /// <summary>EKS's AMI types: the NVIDIA one carries the drivers a GPU pool needs.</summary>
    public const string StandardAmiType = "AL2023_x86_64_STANDARD";
    public const string NvidiaAmiType = "AL2023_x86_64_NVIDIA";
    public const string NeuronAmiType = "AL2023_x86_64_NEURON";

    /// <summary>Added to every GPU pool so only pods that tolerate it (and request GPUs) land on expensive nodes.</summary>
    public static NodeTaint GpuTaint { get; } = new("nvidia.com/gpu", "true", TaintEffect.NoSchedule);

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ClusterId { get; set; }

    /// <summary>DNS-1123 label, unique within the cluster; also the EKS node group's name.</summary>
    public required string Name { get; set; }

    // ---- spec ----

    public List<string> InstanceTypes { get; set; } = [];
    public CapacityType CapacityType { get; set; }
    public int MinSize { get; set; }
    public int DesiredSize { get; set; }
    public int MaxSize { get; set; }
    public int DiskSizeGiB { get; set; } = DefaultDiskSizeGiB;
    public Dictionary<string, string> Labels { get; set; } = [];

    /// <summary>The user's taints plus, for GPU pools, <see cref="GpuTaint"/>.</summary>
    public List<NodeTaint> Taints { get; set; } = [];

    /// <summary>Derived from the instance types when the spec is written: standard, NVIDIA or Neuron.</summary>
    public required string AmiType { get; set; }

    public bool IsGpu { get; set; }

    /// <summary>When the pool runs; outside it the reconciler scales the pool to zero. Null: always runs.</summary>
    public HibernationSchedule? Schedule { get; set; }

    // ---- hibernation (wake is the user's, the rest the reconciler's) ----

    /// <summary>"Wake early": the pool runs until <see cref="WakeUntil"/> whatever the schedule says.</summary>
    public DateTimeOffset? WokenAt { get; set; }

    public DateTimeOffset? WakeUntil { get; set; }

    /// <summary>The reconciler scaled the pool to zero for its schedule (or found it at zero outside its schedule).</summary>
    public bool Asleep { get; set; }

    /// <summary>The node group's sizes before it went to sleep, restored when it wakes; null while awake.</summary>
    public int? RememberedMinSize { get; set; }

    public int? RememberedDesiredSize { get; set; }

    public int? RememberedMaxSize { get; set; }

    public WakeOverride? Wake => WokenAt is { } at && WakeUntil is { } until ? new WakeOverride(at, until) : null;

    public PoolSize? RememberedSize
    {
        get => RememberedMinSize is { } min && RememberedDesiredSize is { } desired && RememberedMaxSize is { } max ? new PoolSize(min, desired, max) : null;
        set
        {
            RememberedMinSize = value?.Min;
            RememberedDesiredSize = value?.Desired;
            RememberedMaxSize = value?.Max;
        }
    }

    public PoolSize SpecSize => new(MinSize, DesiredSize, MaxSize);

    /// <summary>A GPU pool the portal added for inference endpoints: they scale it to zero themselves.</summary>
    public bool IsEndpointCapacity => Labels.GetValueOrDefault(ClusterService.EndpointCapacityLabel) == ClusterService.EndpointCapacityValue;

    // ---- status (reconciler) ----

    /// <summary>EKS's node group status as last described (CREATING, ACTIVE, UPDATING, DELETING, ...), null before.</summary>
    public string? ObservedStatus { get; set; }

    /// <summary>The node group's observed Kubernetes "major.minor".</summary>
    public string? CurrentVersion { get; set; }

    public string? NodegroupArn { get; set; }

    /// <summary>What EKS reported wrong with the node group (health issues), in plain words.</summary>
    public string? StatusMessage { get; set; }
}
