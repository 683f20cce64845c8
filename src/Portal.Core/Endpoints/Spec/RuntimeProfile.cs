namespace Portal.Core.Endpoints.Spec;

/// <summary>The metric names a runtime exports, for the dashboard and the examples the query editor shows.</summary>
/// <param name="RequestSuccess">Counter of successful requests.</param>
/// <param name="RequestFailure">Counter of failed requests, when the runtime has one apart from a status label.</param>
/// <param name="LatencyExpression">PromQL for mean request latency in milliseconds, with <c>$sel</c> standing for the series' label matchers.</param>
/// <param name="BatchSizeExpression">PromQL for the batch sizes the server executes, with <c>$sel</c>.</param>
/// <param name="QueueExpression">PromQL for how much work waits, per replica: the usual Prometheus scaling signal.</param>
public sealed record RuntimeMetrics(
    string RequestSuccess,
    string? RequestFailure,
    string LatencyExpression,
    string BatchSizeExpression,
    string QueueExpression);

/// <summary>
/// What the portal knows about a model server: image (a real upstream tag), ports, where the model goes, how to tell
/// it is ready, and its metrics. Both servers listen on HTTP and gRPC whatever the endpoint exposes: probes and the
/// metrics scrape use HTTP.
/// </summary>
/// <param name="ModelRoot">The model repository inside the container; the model lands at <c>{ModelRoot}/{name}/{version}/</c>.</param>
/// <param name="MetricsPortName">The container port holding the metrics (TF Serving serves them on its REST port).</param>
/// <param name="ReadinessPath">HTTP path that answers 200 once the model version is loaded; <c>{model}</c> and <c>{version}</c> are replaced.</param>
/// <param name="GrpcHealthCheckPath">What the load balancer calls on the gRPC port, and the gRPC status codes it counts as healthy.</param>
public sealed record RuntimeProfile(
    EndpointRuntime Runtime,
    string Image,
    int? HttpPort,
    int? GrpcPort,
    int? MetricsPort,
    string MetricsPortName,
    string? MetricsPath,
    string ModelRoot,
    string ReadinessPath,
    string LivenessPath,
    string GrpcHealthCheckPath,
    string GrpcHealthCheckCodes,
    RuntimeMetrics? Metrics)
{
    public const string HttpPortName = "http";
    public const string GrpcPortName = "grpc";

    /// <summary>
    /// ALB's own convention for a gRPC target without a health service: calling a method nobody implements answers
    /// status 12 (UNIMPLEMENTED), which proves the server speaks gRPC. Readiness of the model is the pod's readiness
    /// probe's job; the controller registers only ready pods.
    /// </summary>
    public const string AlbGrpcHealthCheckPath = "/AWS.ALB/healthcheck";

    /// <summary>
    /// Triton (NGC release 25.03, Triton 2.56): HTTP 8000, gRPC 8001, Prometheus metrics 8002 at /metrics; KServe v2
    /// health paths; <c>nv_inference_*</c> counters (durations in microseconds, cumulative).
    /// </summary>
    public static RuntimeProfile Triton { get; } = new(
        EndpointRuntime.Triton,
        Image: "nvcr.io/nvidia/tritonserver:25.03-py3",
        HttpPort: 8000,
        GrpcPort: 8001,
        MetricsPort: 8002,
        MetricsPortName: "metrics",
        MetricsPath: "/metrics",
        ModelRoot: "/models",
        ReadinessPath: "/v2/models/{model}/versions/{version}/ready",
        LivenessPath: "/v2/health/live",
        // Triton's own readiness RPC (KServe v2 protocol): an empty request, status 0 while the server runs.
        GrpcHealthCheckPath: "/inference.GRPCInferenceService/ServerReady",
        GrpcHealthCheckCodes: "0",
        Metrics: new RuntimeMetrics(
            RequestSuccess: "nv_inference_request_success",
            RequestFailure: "nv_inference_request_failure",
            LatencyExpression: "sum(rate(nv_inference_request_duration_us{$sel}[5m])) / clamp_min(sum(rate(nv_inference_request_success{$sel}[5m])), 1) / 1000",
            BatchSizeExpression: "sum by (pod) (rate(nv_inference_count{$sel}[5m])) / clamp_min(sum by (pod) (rate(nv_inference_exec_count{$sel}[5m])), 1)",
            QueueExpression: "sum(rate(nv_inference_queue_duration_us{$sel}[1m])) / 1000000"));

    /// <summary>
    /// TensorFlow Serving 2.18 (GPU image): gRPC 8500, REST 8501; Prometheus metrics only when a monitoring config
    /// enables them, served on the REST port at /monitoring/prometheus/metrics; metrics named <c>:tensorflow:serving:*</c>.
    /// </summary>
    public static RuntimeProfile TensorflowServing { get; } = new(
        EndpointRuntime.TensorflowServing,
        Image: "tensorflow/serving:2.18.0-gpu",
        HttpPort: 8501,
        GrpcPort: 8500,
        MetricsPort: 8501,
        MetricsPortName: HttpPortName,
        MetricsPath: "/monitoring/prometheus/metrics",
        ModelRoot: "/models",
        // 200 once the version is known to the server; the startup probe gives the load time.
        ReadinessPath: "/v1/models/{model}/versions/{version}",
        LivenessPath: "/v1/models/{model}",
        // TF Serving implements no gRPC health service.
        GrpcHealthCheckPath: AlbGrpcHealthCheckPath,
        GrpcHealthCheckCodes: "0-99",
        Metrics: new RuntimeMetrics(
            RequestSuccess: ":tensorflow:serving:request_count",
            RequestFailure: null,
            LatencyExpression: "sum(rate(:tensorflow:serving:request_latency_sum{$sel}[5m])) / clamp_min(sum(rate(:tensorflow:serving:request_latency_count{$sel}[5m])), 1) / 1000",
            BatchSizeExpression: "sum by (le) (rate(:tensorflow:serving:batching_session:processed_batch_size_bucket{$sel}[5m]))",
            QueueExpression: "sum(rate(:tensorflow:serving:batching_session:queuing_latency_sum{$sel}[1m])) / 1000000"));

    /// <summary>TF Serving's monitoring config (a text-format MonitoringConfig protobuf), mounted from a ConfigMap.</summary>
    public const string TensorflowMonitoringConfig = "prometheus_config {\n  enable: true,\n  path: \"/monitoring/prometheus/metrics\"\n}\n";

    /// <summary>The profile of a spec: a known runtime's, or one built from the custom runtime's fields.</summary>
    public static RuntimeProfile For(EndpointSpec spec) => spec.Runtime switch
    {
        EndpointRuntime.Triton => Triton,
        EndpointRuntime.TensorflowServing => TensorflowServing,
        _ => FromCustom(spec.Custom ?? throw new ArgumentException("A custom runtime needs its custom settings.", nameof(spec))),
    };

    private static RuntimeProfile FromCustom(CustomRuntimeSpec custom) => new(
        EndpointRuntime.Custom,
        custom.Image,
        custom.HttpPort,
        custom.GrpcPort,
        custom.MetricsPort,
        // A metrics port equal to the HTTP port is the HTTP port (one container port, one name).
        MetricsPortName: custom.MetricsPort is null || custom.MetricsPort == custom.HttpPort ? HttpPortName : "metrics",
        MetricsPath: custom.MetricsPort is null ? null : custom.MetricsPath ?? "/metrics",
        ModelRoot: custom.ModelPath,
        ReadinessPath: custom.ReadinessPath,
        LivenessPath: custom.LivenessPath ?? custom.ReadinessPath,
        GrpcHealthCheckPath: AlbGrpcHealthCheckPath,
        GrpcHealthCheckCodes: "0-99",
        Metrics: null);

    public string Readiness(ModelSource model, string version) => Fill(ReadinessPath, model.Name, version);

    public string Liveness(ModelSource model, string version) => Fill(LivenessPath, model.Name, version);

    private static string Fill(string path, string model, string version) =>
        path.Replace("{model}", Uri.EscapeDataString(model), StringComparison.Ordinal).Replace("{version}", Uri.EscapeDataString(version), StringComparison.Ordinal);

    /// <summary>The server's command-line arguments for one model version.</summary>
    public IReadOnlyList<string> Args(EndpointSpec spec, string version) => Runtime switch
    {
        EndpointRuntime.Triton =>
        [
            "tritonserver",
            $"--model-repository={ModelRoot}",
            $"--http-port={HttpPort}",
            $"--grpc-port={GrpcPort}",
            $"--metrics-port={MetricsPort}",
            // Let in-flight requests finish after SIGTERM, inside the pod's termination grace.
            "--exit-timeout-secs=30",
        ],
        EndpointRuntime.TensorflowServing =>
        [
            $"--port={GrpcPort}",
            $"--rest_api_port={HttpPort}",
            $"--model_name={spec.Model.Name}",
            $"--model_base_path={ModelRoot}/{spec.Model.Name}",
            "--monitoring_config_file=/etc/tfserving/monitoring.config",
        ],
        _ => spec.Custom?.Args ?? [],
    };
}
