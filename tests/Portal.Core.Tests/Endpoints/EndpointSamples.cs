using Portal.Core.Catalog;
using Portal.Core.Endpoints.Spec;

namespace Portal.Core.Tests.Endpoints;

/// <summary>Specs the endpoint tests start from: valid, so each test changes only what it is about.</summary>
public static class EndpointSamples
{
    public static readonly GpuTypes Gpus = new(new InstanceTypeCatalog());

    public static readonly EndpointTarget Target = new("ml", "ml-dev", "team-ml");

    public static readonly ClusterFacts Facts = new("inference.example.com", CertificateArn: "arn:aws:acm:us-east-1:222222222222:certificate/0d4b5c1e-1111-2222-3333-444455556666");

    /// <summary>Demand measured upstream (the request queue in front of the endpoint): it exists while no replica runs.</summary>
    public const string QueueQuery = "sum(inference_queue_depth{queue=\"resnet-requests\"})";

    public static ScalingTrigger Trigger(ScalingTriggerKind kind) => kind switch
    {
        ScalingTriggerKind.Prometheus => new ScalingTrigger(kind, Threshold: 10, Query: QueueQuery, ActivationThreshold: 1),
        ScalingTriggerKind.Cpu => new ScalingTrigger(kind, Threshold: 70),
        _ => new ScalingTrigger(kind, Threshold: 80),
    };

    public static EndpointSpec Triton(EndpointProtocol protocol = EndpointProtocol.Grpc, ScalingTriggerKind trigger = ScalingTriggerKind.Prometheus, int min = 0, int max = 8) => new(
        Name: "resnet",
        Runtime: EndpointRuntime.Triton,
        Model: new ModelSource("s3://acme-models/vision/resnet", "resnet", "3", "arn:aws:iam::222222222222:role/model-reader"),
        Protocol: protocol,
        Gpu: new GpuRequest("L4", 1),
        Resources: new ComputeRequest("3", "12Gi"),
        Autoscaling: new AutoscalingSpec(trigger == ScalingTriggerKind.Prometheus ? min : Math.Max(min, 1), max, [Trigger(trigger)]));

    public static EndpointSpec For(EndpointRuntime runtime, EndpointProtocol protocol, ScalingTriggerKind trigger)
    {
        var spec = Triton(protocol, trigger) with { Runtime = runtime, Name = $"{Short(runtime)}-{protocol.ToString().ToLowerInvariant()}-{Short(trigger)}" };
        return runtime switch
        {
            EndpointRuntime.TensorflowServing => spec with { Gpu = new GpuRequest("A10G", 1), Model = spec.Model with { Uri = "s3://acme-models/text/bert", Name = "bert" } },
            EndpointRuntime.Custom => spec with
            {
                Gpu = new GpuRequest("T4", 1),
                Custom = new CustomRuntimeSpec("ghcr.io/acme/embedder:1.4.2", HttpPort: 8080, GrpcPort: 9000, ReadinessPath: "/ready", MetricsPort: 9100, Args: ["--workers", "2"]),
            },
            _ => spec,
        };
    }

    private static string Short(EndpointRuntime runtime) => runtime switch
    {
        EndpointRuntime.TensorflowServing => "tfs",
        EndpointRuntime.Triton => "triton",
        _ => "custom",
    };

    private static string Short(ScalingTriggerKind kind) => kind switch
    {
        ScalingTriggerKind.Prometheus => "prom",
        ScalingTriggerKind.Cpu => "cpu",
        _ => "gpu",
    };

    /// <summary>Every runtime × protocol × trigger kind.</summary>
    public static IEnumerable<object[]> Matrix() =>
        from runtime in Enum.GetValues<EndpointRuntime>()
        from protocol in Enum.GetValues<EndpointProtocol>()
        from trigger in Enum.GetValues<ScalingTriggerKind>()
        select new object[] { runtime, protocol, trigger };
}
