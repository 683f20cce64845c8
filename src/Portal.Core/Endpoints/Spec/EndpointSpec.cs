namespace Portal.Core.Endpoints.Spec;

/// <summary>The model server an endpoint runs. The portal knows the first two (<see cref="RuntimeProfile"/>); custom brings its own.</summary>
public enum EndpointRuntime
{
    TensorflowServing = 0,
    Triton = 1,
    Custom = 2,
}

/// <summary>What the endpoint serves to its clients. The server itself always listens on both; this decides what is exposed.</summary>
public enum EndpointProtocol
{
    Grpc = 0,
    Http = 1,
    Both = 2,
}

public enum ScalingTriggerKind
{
    /// <summary>Any PromQL query the team owns (queue length, request rate...), compared to a per-replica threshold.</summary>
    Prometheus = 0,
    /// <summary>Average CPU utilisation of the pods, in percent of their CPU request (resource metrics, no Prometheus).</summary>
    Cpu = 1,
    /// <summary>Average GPU utilisation in percent, from the DCGM exporter's <c>DCGM_FI_DEV_GPU_UTIL</c>.</summary>
    GpuUtilization = 2,
}

/// <summary>
/// What a user asks an inference endpoint to be: small and user-level. The renderer turns it into Kubernetes objects;
/// <see cref="EndpointSpecRules"/> checks it field by field first.
/// </summary>
/// <param name="Name">DNS-1123 label, unique within the team's namespace on the cluster; prefixes every object's name.</param>
/// <param name="Custom">Required for <see cref="EndpointRuntime.Custom"/>, ignored otherwise.</param>
public sealed record EndpointSpec(
    string Name,
    EndpointRuntime Runtime,
    ModelSource Model,
    EndpointProtocol Protocol,
    GpuRequest Gpu,
    ComputeRequest Resources,
    AutoscalingSpec Autoscaling,
    RolloutSpec? Rollout = null,
    CustomRuntimeSpec? Custom = null);

/// <summary>
/// Where the model lives: <paramref name="Uri"/> is the model's folder (<c>s3://bucket/prefix/resnet</c>) holding one
/// sub-folder per version (<c>1/</c>, <c>2/</c>), the layout both TensorFlow Serving and Triton expect.
/// </summary>
/// <param name="IamRoleArn">Role the pods assume through IRSA to read the bucket; null when the nodes' role may already.</param>
public sealed record ModelSource(string Uri, string Name, string Version, string? IamRoleArn = null);

/// <param name="Type">A GPU model of the instance catalogue, any case: T4, A10G, L4, L40S, A100, H100, V100.</param>
/// <param name="Count">GPUs per replica; all on one node.</param>
public sealed record GpuRequest(string Type, int Count = 1);

/// <param name="Cpu">A Kubernetes quantity: <c>4</c>, <c>3500m</c>.</param>
/// <param name="Memory">A Kubernetes quantity: <c>16Gi</c>.</param>
public sealed record ComputeRequest(string Cpu, string Memory);

/// <summary>
/// Replica bounds and what moves the count between them (KEDA). <paramref name="MinReplicas"/> 0 scales the endpoint
/// to zero when its triggers are inactive; that needs a Prometheus trigger, which can see demand while no pod runs.
/// </summary>
/// <param name="PollingIntervalSeconds">How often KEDA evaluates the triggers (and wakes a scaled-to-zero endpoint).</param>
/// <param name="CooldownSeconds">How long the triggers must stay inactive before the last replica goes (only with min 0).</param>
public sealed record AutoscalingSpec(
    int MinReplicas,
    int MaxReplicas,
    IReadOnlyList<ScalingTrigger> Triggers,
    int PollingIntervalSeconds = 15,
    int CooldownSeconds = 300,
    ScalingBehavior? ScaleUp = null,
    ScalingBehavior? ScaleDown = null);

/// <summary>One autoscaling signal.</summary>
/// <param name="Query">PromQL for <see cref="ScalingTriggerKind.Prometheus"/>: one number for the whole endpoint.</param>
/// <param name="Threshold">
/// The value one replica should carry: for a query, the query's value per replica (replicas = value / threshold); for
/// CPU and GPU, the target utilisation in percent.
/// </param>
/// <param name="ActivationThreshold">A query value above which a scaled-to-zero endpoint wakes (KEDA's activation); default 0.</param>
/// <param name="ServerAddress">Another Prometheus than the cluster's own (http[s]://host:port).</param>
/// <param name="AuthSecretName">A Secret in the endpoint's namespace with a <c>token</c> key, sent as a bearer token to <paramref name="ServerAddress"/>.</param>
public sealed record ScalingTrigger(
    ScalingTriggerKind Kind,
    double Threshold,
    string? Query = null,
    double? ActivationThreshold = null,
    string? ServerAddress = null,
    string? AuthSecretName = null);

/// <summary>How fast the replica count may move in one direction (the HPA's behaviour, through KEDA).</summary>
/// <param name="StabilizationWindowSeconds">The HPA acts on the most conservative recommendation of this window.</param>
/// <param name="MaxPodsPerPeriod">At most this many pods added/removed per period (null: no pod limit).</param>
/// <param name="MaxPercentPerPeriod">At most this percentage of the current count per period (null: no percent limit).</param>
public sealed record ScalingBehavior(int StabilizationWindowSeconds, int? MaxPodsPerPeriod = null, int? MaxPercentPerPeriod = null, int PeriodSeconds = 15)
{
    /// <summary>Fast up: GPU inference wants capacity now; 4 pods or doubling every 15 s, whichever is more.</summary>
    public static ScalingBehavior DefaultUp { get; } = new(0, MaxPodsPerPeriod: 4, MaxPercentPerPeriod: 100, PeriodSeconds: 15);

    /// <summary>Slow down: a GPU replica takes minutes to come back (node, image, model), so shed half a minute at most.</summary>
    public static ScalingBehavior DefaultDown { get; } = new(300, MaxPercentPerPeriod: 50, PeriodSeconds: 60);
}

/// <summary>Rolling update by default; a canary adds a second model version that gets <see cref="CanarySpec.Weight"/> percent of requests.</summary>
public sealed record RolloutSpec(CanarySpec? Canary = null);

/// <param name="ModelVersion">The version folder the canary serves, beside <see cref="ModelSource.Version"/>.</param>
/// <param name="Weight">Percent of requests (0–100) the load balancer sends to the canary.</param>
public sealed record CanarySpec(string ModelVersion, int Weight);

/// <summary>A model server the portal does not know: its image, ports and health paths.</summary>
/// <param name="ModelPath">Where the server expects the model repository; the portal syncs the model there.</param>
public sealed record CustomRuntimeSpec(
    string Image,
    int? HttpPort,
    int? GrpcPort,
    string ReadinessPath,
    string? LivenessPath = null,
    int? MetricsPort = null,
    string? MetricsPath = null,
    IReadOnlyList<string>? Args = null,
    string ModelPath = "/models");
