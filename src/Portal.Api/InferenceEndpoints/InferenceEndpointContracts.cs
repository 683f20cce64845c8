using System.Text.Json.Nodes;
using Portal.Api.Infrastructure;
using Portal.Core.Catalog;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Events;

namespace Portal.Api.InferenceEndpoints;

// Requests: the create body is the endpoint's spec itself (Portal.Core's EndpointSpec record: a small user-level
// value, not an entity), so the API, the UI's wizard and the stored spec cannot drift apart. PATCH takes a JSON merge
// patch (RFC 7396) of that spec.

public sealed record EndpointConditionResponse(string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime);

public sealed record EndpointStatusResponse(
    EndpointPhase Phase,
    long ObservedGeneration,
    int ReadyReplicas,
    int DesiredReplicas,
    IReadOnlyList<string> Urls,
    string? ScalingReason,
    string? Message,
    string? LastError,
    IReadOnlyList<EndpointConditionResponse> Conditions);

/// <summary>
/// An inference endpoint: <c>spec</c> is what was asked for (each change bumps <c>generation</c>), <c>status</c> what
/// the workers observed. Converged when <c>status.observedGeneration</c> equals <c>generation</c>.
/// </summary>
public sealed record EndpointResponse(
    string Name,
    string Team,
    string Cluster,
    long Generation,
    EndpointSpec Spec,
    EndpointStatusResponse Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletionRequestedAt,
    long Version) : IVersionedResponse
{
    public static EndpointResponse From(EndpointView view)
    {
        var e = view.Endpoint;
        return new EndpointResponse(e.Name, view.Team, view.Cluster, e.Generation, e.Spec,
            new EndpointStatusResponse(e.Phase, e.ObservedGeneration, e.ReadyReplicas, e.DesiredReplicas, e.Urls, e.ScalingReason, e.Message, e.LastError,
                e.Conditions.Select(c => new EndpointConditionResponse(c.Type, c.Status, c.Reason, c.Message, c.LastTransitionTime)).ToList()),
            e.CreatedAt, e.UpdatedAt, e.DeletionRequestedAt, e.Version);
    }
}

/// <summary>One step of an endpoint's timeline.</summary>
public sealed record EndpointEventResponse(long Id, DateTimeOffset At, string Step, EventOutcome Outcome, string Message)
{
    public static EndpointEventResponse From(ResourceEvent e) => new(e.Id, e.At, e.Step, e.Outcome, e.Message);
}

/// <summary>The Kubernetes objects the current spec renders to, in the order the reconciler applies them.</summary>
public sealed record EndpointManifestsResponse(IReadOnlyList<JsonObject> Items);

/// <summary>An instance type able to host a GPU type, for the picker: its GPUs, vCPU, memory and on-demand price.</summary>
public sealed record GpuInstanceTypeResponse(string Name, int GpuCount, int Vcpu, int MemoryMiB, decimal? OnDemandHourlyUsd)
{
    public static GpuInstanceTypeResponse From(InstanceType t) => new(t.Name, t.GpuCount, t.VCpu, t.MemoryMiB, t.OnDemandHourlyUsd);
}

/// <summary>A GPU model endpoints may ask for (<c>name</c> goes in <c>spec.gpu.type</c>); memory is per GPU.</summary>
public sealed record GpuTypeResponse(string Name, int MemoryMiB, int MaxGpusPerInstance, IReadOnlyList<GpuInstanceTypeResponse> InstanceTypes)
{
    public static GpuTypeResponse From(GpuType g) => new(g.Name, g.MemoryMiB, g.MaxGpusPerInstance, g.InstanceTypes.Select(GpuInstanceTypeResponse.From).ToList());
}

public sealed record GpuTypeListResponse(IReadOnlyList<GpuTypeResponse> Items, string PriceRegion);
