using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Portal.Api.Infrastructure;
using Portal.Core.Catalog;
using Portal.Core.Clusters;
using Portal.Core.Costs.Hibernation;
using Portal.Core.Environments;
using Portal.Core.Events;

namespace Portal.Api.Clusters;

/// <summary>A taint every node of the pool carries; pods need a matching toleration to run there.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TaintRequest(
    [property: MaxLength(317)] string Key,
    TaintEffect Effect,
    [property: MaxLength(63)] string? Value = null);

/// <summary>
/// "Sleep outside working hours": the pool runs on <c>workingDays</c> from <c>start</c> to <c>end</c> (24-hour "HH:mm",
/// local time in the IANA <c>timeZone</c>, e.g. Europe/Madrid) and is scaled to zero otherwise. An end before the start
/// is an overnight window. Not allowed on the GPU pools the portal keeps for inference endpoints.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ScheduleRequest(
    [property: MaxLength(64)] string? TimeZone,
    IReadOnlyList<DayOfWeek>? WorkingDays,
    [property: MaxLength(5)] string? Start,
    [property: MaxLength(5)] string? End)
{
    public NodePoolScheduleSpec ToSpec() => new(TimeZone, WorkingDays, Start, End);
}

/// <summary>
/// One node pool (an EKS managed node group). GPU instance types get the NVIDIA machine image and the
/// <c>nvidia.com/gpu=true:no-schedule</c> taint automatically.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record NodePoolRequest(
    [property: MaxLength(40)] string Name,
    IReadOnlyList<string> InstanceTypes,
    int MinSize,
    int DesiredSize,
    int MaxSize,
    CapacityType CapacityType = CapacityType.OnDemand,
    int? DiskSizeGiB = null,
    Dictionary<string, string>? Labels = null,
    IReadOnlyList<TaintRequest>? Taints = null,
    ScheduleRequest? Schedule = null)
{
    public NodePoolSpec ToSpec() => new(Name, InstanceTypes, CapacityType, MinSize, DesiredSize, MaxSize, DiskSizeGiB, Labels,
        Taints?.Select(t => t is null ? null! : new NodeTaint(t.Key, t.Value, t.Effect)).ToList(), Schedule?.ToSpec());
}

/// <summary>Requests a cluster in one of the team's registered environments. The version defaults to the newest supported.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateClusterRequest(
    [property: MaxLength(40)] string Name,
    EnvironmentName Environment,
    IReadOnlyList<NodePoolRequest> NodePools,
    [property: MaxLength(16)] string? KubernetesVersion = null,
    EndpointAccess EndpointAccess = EndpointAccess.Public,
    Dictionary<string, string>? Tags = null);

/// <summary>
/// A partial spec update: absent fields stay as they are. <c>nodePools</c>, when present, is the complete new list:
/// pools are matched by name (new names are added, missing ones removed). <c>kubernetesVersion</c> may only move to
/// the next minor version.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UpdateClusterRequest(
    [property: MaxLength(16)] string? KubernetesVersion = null,
    EndpointAccess? EndpointAccess = null,
    Dictionary<string, string>? Tags = null,
    IReadOnlyList<NodePoolRequest>? NodePools = null);

/// <summary>Registers an existing cluster. The kubeconfig is stored encrypted and never returned.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AttachClusterRequest(
    [property: MaxLength(40)] string Name,
    EnvironmentName Environment,
    [property: MaxLength(ClusterService.MaxKubeconfigLength)] string Kubeconfig,
    [property: MaxLength(16)] string? KubernetesVersion = null,
    Dictionary<string, string>? Tags = null);

public sealed record TaintResponse(string Key, string? Value, TaintEffect Effect);

/// <summary>A pool's schedule, with <c>description</c> in words ("Mon–Fri 08:00–18:00 Europe/Madrid").</summary>
public sealed record ScheduleResponse(string TimeZone, IReadOnlyList<DayOfWeek> WorkingDays, string Start, string End, string Description)
{
    public static ScheduleResponse From(HibernationSchedule schedule)
    {
        var spec = NodePoolScheduleSpec.From(schedule);
        return new ScheduleResponse(spec.TimeZone!, spec.WorkingDays!, spec.Start!, spec.End!, HibernationText.Describe(schedule));
    }
}

public sealed record NodePoolSpecResponse(
    string Name,
    IReadOnlyList<string> InstanceTypes,
    CapacityType CapacityType,
    int MinSize,
    int DesiredSize,
    int MaxSize,
    int DiskSizeGiB,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<TaintResponse> Taints,
    bool Gpu,
    string AmiType,
    ScheduleResponse? Schedule);

public sealed record ClusterSpecResponse(
    string? KubernetesVersion,
    EndpointAccess EndpointAccess,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<NodePoolSpecResponse> NodePools);

public sealed record ConditionResponse(string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime);

/// <summary>
/// A pool as EKS last reported it: its node group status (creating, active, ...) and version; for a pool with a
/// schedule, whether it sleeps now, until when a "wake now" keeps it up, and its next scheduled switch.
/// </summary>
public sealed record NodePoolStatusResponse(string Name, string? Status, string? CurrentVersion, string? Message,
    bool Asleep, DateTimeOffset? WakeUntil, DateTimeOffset? NextTransitionAt, bool? RunsAfterNextTransition)
{
    public static NodePoolStatusResponse From(NodePool p, DateTimeOffset now)
    {
        var next = p.Schedule is { } schedule ? HibernationCalendar.NextTransition(schedule, now) : null;
        return new NodePoolStatusResponse(p.Name, p.ObservedStatus, p.CurrentVersion, p.StatusMessage, p.Asleep,
            p.Wake?.IsActiveAt(now) == true ? p.WakeUntil : null, next?.At, next?.Runs);
    }
}

public sealed record ClusterStatusResponse(
    ClusterPhase Phase,
    long ObservedGeneration,
    IReadOnlyList<ConditionResponse> Conditions,
    string? Message,
    string? LastError,
    string? KubernetesEndpoint,
    string? CurrentVersion,
    string? EksArn,
    IReadOnlyList<NodePoolStatusResponse> NodePools);

/// <summary>
/// A cluster: <c>spec</c> is what was asked for (each change bumps <c>generation</c>), <c>status</c> what the
/// workers observed. Converged when <c>status.observedGeneration</c> equals <c>generation</c>.
/// </summary>
public sealed record ClusterResponse(
    string Name,
    string Team,
    EnvironmentName Environment,
    ClusterKind Kind,
    long Generation,
    ClusterSpecResponse Spec,
    ClusterStatusResponse Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletionRequestedAt,
    long Version) : IVersionedResponse
{
    public static ClusterResponse From(ClusterView view, DateTimeOffset now)
    {
        var c = view.Cluster;
        var pools = c.NodePools.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        return new ClusterResponse(
            c.Name, view.Team, view.Environment, c.Kind, c.Generation,
            new ClusterSpecResponse(
                c.KubernetesVersion.Length == 0 ? null : c.KubernetesVersion,
                c.EndpointAccess,
                c.Tags,
                pools.Select(p => new NodePoolSpecResponse(
                    p.Name, p.InstanceTypes, p.CapacityType, p.MinSize, p.DesiredSize, p.MaxSize, p.DiskSizeGiB, p.Labels,
                    p.Taints.Select(t => new TaintResponse(t.Key, t.Value, t.Effect)).ToList(), p.IsGpu, p.AmiType,
                    p.Schedule is { } schedule ? ScheduleResponse.From(schedule) : null)).ToList()),
            new ClusterStatusResponse(
                c.Phase, c.ObservedGeneration,
                c.Conditions.Select(x => new ConditionResponse(x.Type, x.Status, x.Reason, x.Message, x.LastTransitionTime)).ToList(),
                c.Message, c.LastError, c.KubernetesEndpoint, c.CurrentVersion, c.EksArn,
                pools.Select(p => NodePoolStatusResponse.From(p, now)).ToList()),
            c.CreatedAt, c.UpdatedAt, c.DeletionRequestedAt, c.Version);
    }
}

/// <summary>One step of a cluster's timeline.</summary>
public sealed record ClusterEventResponse(long Id, DateTimeOffset At, string Step, EventOutcome Outcome, string Message)
{
    public static ClusterEventResponse From(ResourceEvent e) => new(e.Id, e.At, e.Step, e.Outcome, e.Message);
}

/// <summary>An instance type for node pools. <c>onDemandHourlyUsd</c> is the us-east-1 price (see <c>priceRegion</c>).</summary>
public sealed record InstanceTypeResponse(
    string Name,
    string Family,
    int Vcpu,
    int MemoryMiB,
    double MemoryGiB,
    bool Gpu,
    int GpuCount,
    string? GpuModel,
    int? GpuMemoryMiB,
    int AcceleratorCount,
    string? AcceleratorName,
    string Architecture,
    decimal? OnDemandHourlyUsd,
    string PriceRegion)
{
    public static InstanceTypeResponse From(InstanceType t) => new(
        t.Name, t.Family, t.VCpu, t.MemoryMiB, t.MemoryGiB, t.IsGpu, t.GpuCount, t.GpuModel, t.GpuMemoryMiB,
        t.AcceleratorCount, t.AcceleratorName, t.Architecture, t.OnDemandHourlyUsd, InstanceTypeCatalog.PriceRegion);
}

/// <summary>The whole catalogue (about a hundred entries, so not paged), by family then size.</summary>
public sealed record InstanceTypeListResponse(IReadOnlyList<InstanceTypeResponse> Items, string PriceRegion);

/// <summary>"Wake now": keep the sleeping pool running until <c>until</c> (default: its schedule's next switch, at most 12 hours).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record WakeNodePoolRequest(DateTimeOffset? Until = null);
