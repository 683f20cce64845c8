using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;
using Portal.Core.Common;
using Portal.Core.Endpoints.Promql;

namespace Portal.Core.Endpoints.Spec;

/// <summary>
/// The domain checks of an endpoint spec, each problem under its field path (<c>autoscaling.triggers[0].query</c>) as
/// <see cref="ValidationErrors"/> collects them, so the API answers 400 naming the field and a form can point at it.
/// Pure: no database, no clock, no cluster calls; what the cluster contributes comes in as <see cref="ClusterFacts"/>.
/// </summary>
public sealed partial class EndpointSpecRules(GpuTypes gpus)
{
    public const int NameMaxLength = 40;
    public const int MaxReplicasLimit = 100;
    public const int MaxTriggers = 5;

    [GeneratedRegex(@"^s3://(?<bucket>[^/]+)(?<key>/.*)?$")]
    private static partial Regex S3Uri();

    // S3's bucket naming rules: 3–63 characters, lower-case letters, digits, dots and hyphens, letters or digits at both ends.
    [GeneratedRegex(@"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ModelName();

    // TF Serving and Triton both read numeric version folders.
    [GeneratedRegex(@"^[1-9][0-9]{0,17}$")]
    private static partial Regex NumericVersion();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    private static partial Regex PathSegment();

    [GeneratedRegex(@"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")]
    private static partial Regex RoleArn();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    // Kubernetes quantity syntax: a signed decimal, then a binary (Ki..Ei), decimal (n, u, m, k, M..E) or exponent suffix.
    [GeneratedRegex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$")]
    private static partial Regex QuantitySyntax();

    /// <summary>
    /// An image reference: an optional registry host (with port) and a lower-case repository path, then an optional
    /// tag and an optional sha256 digest (the grammar of the OCI distribution spec, written out).
    /// </summary>
    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?/)?" +
                    @"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*" +
                    @"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$")]
    private static partial Regex ImageReference();

    private const int MaxImageLength = 512;
    private const int MaxArgs = 64;
    private const int MaxArgLength = 1024;

    [GeneratedRegex(@"^[^\s]+$")]
    private static partial Regex NoWhitespace();

    /// <summary>Throws <see cref="DomainValidationException"/> with every problem, or returns when the spec is sound.</summary>
    public void Validate(EndpointSpec? spec, ClusterFacts? cluster = null)
    {
        var errors = new ValidationErrors();
        Check(errors, spec, cluster);
        errors.ThrowIfAny();
    }

    public void Check(ValidationErrors errors, EndpointSpec? spec, ClusterFacts? cluster = null)
    {
        if (spec is null) { errors.Add("", "an endpoint spec is required."); return; }
        if (Slugs.Check(spec.Name, 1, NameMaxLength) is { } nameProblem) errors.Add("name", nameProblem);
        if (!Enum.IsDefined(spec.Runtime)) errors.Add("runtime", "must be tensorflow-serving, triton or custom.");
        if (!Enum.IsDefined(spec.Protocol)) errors.Add("protocol", "must be grpc, http or both.");
        if (spec.Runtime == EndpointRuntime.Custom) CheckCustom(errors, spec.Custom, spec.Protocol);
        CheckModel(errors, spec.Model, spec.Runtime);
        var gpuType = CheckGpu(errors, spec.Gpu);
        var (milliCpu, memoryMiB) = CheckResources(errors, spec.Resources);
        if (gpuType is not null && spec.Gpu is { Count: > 0 } gpu && gpu.Count <= gpuType.MaxGpusPerInstance && milliCpu > 0 && memoryMiB > 0
            && GpuTypes.NodeFor(gpuType, gpu.Count, milliCpu, memoryMiB) is null)
        {
            var largest = GpuTypes.Candidates(gpuType, gpu.Count).MaxBy(t => (t.VCpu, t.MemoryMiB))!;
            errors.Add("resources", $"no {gpuType.Name} instance type with {gpu.Count} GPU{(gpu.Count == 1 ? "" : "s")} has room for {spec.Resources.Cpu} CPU and {spec.Resources.Memory} memory per replica: the largest, {largest.Name}, leaves about {largest.VCpu - GpuTypes.ReservedMilliCpu / 1000.0:0.#} CPUs and {(largest.MemoryMiB - GpuTypes.ReservedMemoryMiB) / 1024} GiB to pods.");
        }
        CheckAutoscaling(errors, spec.Autoscaling);
        CheckRollout(errors, spec.Rollout, spec.Model, spec.Runtime);
        if (cluster is not null) CheckAgainstCluster(errors, spec, cluster);
    }

    private static void CheckCustom(ValidationErrors errors, CustomRuntimeSpec? custom, EndpointProtocol protocol)
    {
        if (custom is null) { errors.Add("custom", "is required for the custom runtime: its image, ports and health paths."); return; }
        if (string.IsNullOrWhiteSpace(custom.Image) || custom.Image.Length > MaxImageLength || !ImageReference().IsMatch(custom.Image))
            errors.Add("custom.image", "must be a container image reference such as registry.example.com/team/server:1.2 (optionally @sha256:…).");
        CheckArgs(errors, custom.Args);
        CheckPort(errors, "custom.httpPort", custom.HttpPort);
        CheckPort(errors, "custom.grpcPort", custom.GrpcPort);
        CheckPort(errors, "custom.metricsPort", custom.MetricsPort);
        // Probes call HTTP: a server without an HTTP port could not be told ready.
        if (custom.HttpPort is null) errors.Add("custom.httpPort", "is required: the readiness probe calls the server over HTTP.");
        if (protocol is EndpointProtocol.Grpc or EndpointProtocol.Both && custom.GrpcPort is null)
            errors.Add("custom.grpcPort", "is required to serve gRPC.");
        if (custom.HttpPort is { } h && custom.GrpcPort == h) errors.Add("custom.grpcPort", "must differ from httpPort.");
        if (custom.MetricsPort is { } m && m == custom.GrpcPort) errors.Add("custom.metricsPort", "must not be the gRPC port: Prometheus scrapes over HTTP.");
        CheckPath(errors, "custom.readinessPath", custom.ReadinessPath, required: true);
        CheckPath(errors, "custom.livenessPath", custom.LivenessPath, required: false);
        CheckPath(errors, "custom.metricsPath", custom.MetricsPath, required: false);
        CheckPath(errors, "custom.modelPath", custom.ModelPath, required: true);
        if (custom.ModelPath is "/" or "/dev" or "/etc" or "/proc" or "/sys" or "/usr" or "/bin" or "/lib" or "/tmp")
            errors.Add("custom.modelPath", "must be a folder of its own, such as /models: the model volume is mounted over it.");
    }

    private static void CheckArgs(ValidationErrors errors, IReadOnlyList<string>? args)
    {
        if (args is null) return;
        if (args.Count > MaxArgs) { errors.Add("custom.args", $"must have at most {MaxArgs} arguments."); return; }
        // Arguments are free text (flags, paths, JSON), held to the portal's rule for free text.
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is null) errors.Add($"custom.args[{i}]", "must be a string.");
            else errors.CheckText($"custom.args[{i}]", args[i], MaxArgLength);
        }
    }

    private static void CheckPort(ValidationErrors errors, string field, int? port)
    {
        if (port is { } p && (p < 1 || p > 65535)) errors.Add(field, "must be a port number from 1 to 65535.");
    }

    private static void CheckPath(ValidationErrors errors, string field, string? path, bool required)
    {
        if (string.IsNullOrEmpty(path)) { if (required) errors.Add(field, "is required."); return; }
        if (!path.StartsWith('/') || !NoWhitespace().IsMatch(path) || path.Any(char.IsControl))
            errors.Add(field, "must be an absolute path such as /healthz, without spaces or control characters.");
    }

    private static void CheckModel(ValidationErrors errors, ModelSource? model, EndpointRuntime runtime)
    {
        if (model is null) { errors.Add("model", "is required: where the model is (s3://...) and its name and version."); return; }
        if (string.IsNullOrWhiteSpace(model.Uri)) errors.Add("model.uri", "is required: the model's folder, such as s3://models/resnet.");
        else if (S3Uri().Match(model.Uri) is not { Success: true } match)
            errors.Add("model.uri", "must be an S3 URL: s3://bucket/path/to/model (the folder holding one sub-folder per version).");
        else
        {
            var bucket = match.Groups["bucket"].Value;
            if (!BucketName().IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
                errors.Add("model.uri", $"'{bucket}' is not a valid S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens).");
            var key = match.Groups["key"].Value;
            if (key.Contains("//", StringComparison.Ordinal) || key.Any(char.IsWhiteSpace) || key.Contains('*'))
                errors.Add("model.uri", "the path after the bucket must not contain empty segments, spaces or wildcards.");
        }
        if (string.IsNullOrEmpty(model.Name) || !ModelName().IsMatch(model.Name))
            errors.Add("model.name", "must be 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit (it becomes a folder name).");
        CheckVersion(errors, "model.version", model.Version, runtime);
        if (model.IamRoleArn is not null && !RoleArn().IsMatch(model.IamRoleArn))
            errors.Add("model.iamRoleArn", "must be an IAM role ARN such as arn:aws:iam::123456789012:role/model-reader.");
    }

    private static void CheckVersion(ValidationErrors errors, string field, string? version, EndpointRuntime runtime)
    {
        if (string.IsNullOrEmpty(version)) errors.Add(field, "is required.");
        else if (runtime != EndpointRuntime.Custom && !NumericVersion().IsMatch(version))
            errors.Add(field, "must be a positive whole number: TensorFlow Serving and Triton load numbered version folders (1, 2, ...).");
        else if (runtime == EndpointRuntime.Custom && !PathSegment().IsMatch(version))
            errors.Add(field, "must be a folder name: letters, digits, '_', '.' or '-'.");
    }

    private GpuType? CheckGpu(ValidationErrors errors, GpuRequest? gpu)
    {
        if (gpu is null) { errors.Add("gpu", "is required: a GPU type and the GPUs per replica."); return null; }
        var type = gpus.Find(gpu.Type);
        if (type is null)
            errors.Add("gpu.type", $"'{gpu.Type}' is not a GPU type the platform offers: choose one of {string.Join(", ", gpus.All.Select(g => g.Name))}.");
        if (gpu.Count < 1) errors.Add("gpu.count", "must be at least 1.");
        else if (type is not null && gpu.Count > type.MaxGpusPerInstance)
        {
            var biggest = type.InstanceTypes.MaxBy(t => t.GpuCount)!;
            errors.Add("gpu.count", $"must be at most {type.MaxGpusPerInstance}: a replica runs on one node, and the largest {type.Name} instance type ({biggest.Name}) has {type.MaxGpusPerInstance}.");
        }
        return type;
    }

    private static (int MilliCpu, long MemoryMiB) CheckResources(ValidationErrors errors, ComputeRequest? resources)
    {
        if (resources is null) { errors.Add("resources", "is required: CPU and memory per replica."); return (0, 0); }
        var cpu = Quantity(resources.Cpu);
        var memory = Quantity(resources.Memory);
        if (cpu is not { } c || c <= 0) errors.Add("resources.cpu", "must be a positive CPU quantity such as 4 or 3500m.");
        else if (c < 0.1m) errors.Add("resources.cpu", "must be at least 100m: a model server needs some CPU to feed its GPU.");
        if (memory is not { } m || m <= 0) errors.Add("resources.memory", "must be a positive memory quantity such as 16Gi.");
        else if (m < 256m * 1024 * 1024) errors.Add("resources.memory", "must be at least 256Mi.");
        return ((int)Math.Ceiling((cpu ?? 0) * 1000), (long)Math.Ceiling((memory ?? 0) / (1024 * 1024)));
    }

    /// <summary>A Kubernetes quantity's value, or null when it is not one.</summary>
    public static decimal? Quantity(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || !QuantitySyntax().IsMatch(text)) return null;
        try
        {
            return new ResourceQuantity(text).ToDecimal();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    private static void CheckAutoscaling(ValidationErrors errors, AutoscalingSpec? scaling)
    {
        if (scaling is null) { errors.Add("autoscaling", "is required: replica bounds and at least one trigger."); return; }
        if (scaling.MinReplicas < 0) errors.Add("autoscaling.minReplicas", "must be 0 or more (0 scales the endpoint to zero when idle).");
        if (scaling.MaxReplicas < 1) errors.Add("autoscaling.maxReplicas", "must be at least 1.");
        else if (scaling.MaxReplicas > MaxReplicasLimit) errors.Add("autoscaling.maxReplicas", $"must be at most {MaxReplicasLimit}, the platform's limit per endpoint.");
        if (scaling.MinReplicas > scaling.MaxReplicas && scaling.MaxReplicas >= 1)
            errors.Add("autoscaling.minReplicas", $"must not exceed maxReplicas ({scaling.MaxReplicas}).");
        if (scaling.PollingIntervalSeconds is < 5 or > 3600) errors.Add("autoscaling.pollingIntervalSeconds", "must be between 5 and 3600 seconds.");
        if (scaling.CooldownSeconds is < 0 or > 86400) errors.Add("autoscaling.cooldownSeconds", "must be between 0 and 86400 seconds.");
        CheckBehavior(errors, "autoscaling.scaleUp", scaling.ScaleUp);
        CheckBehavior(errors, "autoscaling.scaleDown", scaling.ScaleDown);

        var triggers = scaling.Triggers;
        if (triggers is null || triggers.Count == 0)
        {
            errors.Add("autoscaling.triggers", "must have at least one trigger: a Prometheus query, CPU or GPU utilisation.");
            return;
        }
        if (triggers.Count > MaxTriggers) errors.Add("autoscaling.triggers", $"must have at most {MaxTriggers} triggers.");
        for (var i = 0; i < triggers.Count; i++)
        {
            var path = $"autoscaling.triggers[{i}]";
            if (triggers[i] is not { } trigger) { errors.Add(path, "must be a trigger, not null."); continue; }
            CheckTrigger(errors, path, trigger);
        }
        foreach (var kind in new[] { ScalingTriggerKind.Cpu, ScalingTriggerKind.GpuUtilization })
        {
            var indexes = triggers.Select((t, i) => (t, i)).Where(x => x.t?.Kind == kind).Select(x => x.i).ToList();
            if (indexes.Count > 1) errors.Add($"autoscaling.triggers[{indexes[1]}].kind", $"only one {Kebab(kind)} trigger is allowed.");
        }
        // Utilisation comes from running pods: with none running there is nothing to measure and nothing wakes the endpoint.
        var wakers = triggers.Where(t => t?.Kind == ScalingTriggerKind.Prometheus && !string.IsNullOrWhiteSpace(t.Query)).ToList();
        if (scaling.MinReplicas == 0 && wakers.Count == 0)
            errors.Add("autoscaling.minReplicas", "can be 0 only with a Prometheus trigger: CPU and GPU utilisation are measured on running replicas, so nothing would wake a scaled-to-zero endpoint. Add a query (such as queued requests) or set at least 1.");
        else if (scaling.MinReplicas == 0
                 && wakers.Select(t => PromqlSyntax.MetricNames(t!.Query!)).All(names => names is { Count: > 0 } && names.All(IsServerOwnMetric)))
            errors.Add("autoscaling.minReplicas", "can be 0 only with a query that sees demand while no replica runs: the Prometheus triggers read only the model server's own metrics (or DCGM's), which vanish at zero replicas, so nothing would wake the endpoint. Query the demand upstream (a queue's depth, the load balancer's request count) or set at least 1.");
    }

    /// <summary>Series exported by the endpoint's own pods (Triton, TF Serving, the DCGM exporter on its GPUs): absent at zero replicas.</summary>
    private static bool IsServerOwnMetric(string name) =>
        name.StartsWith("nv_", StringComparison.Ordinal) || name.StartsWith(":tensorflow:", StringComparison.Ordinal) || name.StartsWith("DCGM_", StringComparison.Ordinal);

    private static void CheckBehavior(ValidationErrors errors, string path, ScalingBehavior? behavior)
    {
        if (behavior is null) return;
        if (behavior.StabilizationWindowSeconds is < 0 or > 3600) errors.Add($"{path}.stabilizationWindowSeconds", "must be between 0 and 3600 seconds.");
        if (behavior.PeriodSeconds is < 1 or > 1800) errors.Add($"{path}.periodSeconds", "must be between 1 and 1800 seconds (the HPA's limit).");
        if (behavior.MaxPodsPerPeriod is null && behavior.MaxPercentPerPeriod is null)
            errors.Add(path, "must limit pods or percent per period (or be left out for the default).");
        if (behavior.MaxPodsPerPeriod is < 1) errors.Add($"{path}.maxPodsPerPeriod", "must be at least 1.");
        if (behavior.MaxPercentPerPeriod is < 1) errors.Add($"{path}.maxPercentPerPeriod", "must be at least 1.");
    }

    private static void CheckTrigger(ValidationErrors errors, string path, ScalingTrigger trigger)
    {
        if (!Enum.IsDefined(trigger.Kind)) { errors.Add($"{path}.kind", "must be prometheus, cpu or gpu-utilization."); return; }
        if (!double.IsFinite(trigger.Threshold) || trigger.Threshold <= 0) errors.Add($"{path}.threshold", "must be a number greater than 0.");
        if (trigger.Kind != ScalingTriggerKind.Prometheus)
        {
            if (double.IsFinite(trigger.Threshold) && trigger.Threshold > 100) errors.Add($"{path}.threshold", "is a utilisation in percent: at most 100.");
            if (trigger.Query is not null) errors.Add($"{path}.query", $"applies to prometheus triggers only; a {Kebab(trigger.Kind)} trigger measures the pods itself.");
            if (trigger.ActivationThreshold is not null) errors.Add($"{path}.activationThreshold", "applies to prometheus triggers only.");
            if (trigger.ServerAddress is not null || trigger.AuthSecretName is not null) errors.Add($"{path}.serverAddress", "applies to prometheus triggers only.");
            return;
        }
        if (string.IsNullOrWhiteSpace(trigger.Query))
            errors.Add($"{path}.query", "is required: a PromQL query returning one number for the whole endpoint, such as sum(rate(nv_inference_request_success[1m])).");
        else if (!PromqlSyntax.TryParse(trigger.Query, out var type, out var error))
            errors.Add($"{path}.query", $"is not valid PromQL: {error}.");
        else if (type is not (PromqlType.InstantVector or PromqlType.Scalar))
            errors.Add($"{path}.query", $"must return an instant vector or a scalar (one number per evaluation), not a {(type == PromqlType.RangeVector ? "range vector: wrap it in rate(...) or avg_over_time(...)" : "string")}.");
        if (trigger.ActivationThreshold is { } activation && (!double.IsFinite(activation) || activation < 0))
            errors.Add($"{path}.activationThreshold", "must be 0 or more.");
        if (trigger.ServerAddress is { } address
            && (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query)))
            errors.Add($"{path}.serverAddress", "must be an http(s) URL of a Prometheus server, such as https://prometheus.example.com.");
        if (trigger.AuthSecretName is { } secret)
        {
            if (secret.Length > 253 || !Dns1123Subdomain().IsMatch(secret))
                errors.Add($"{path}.authSecretName", "must be the name of a Secret in the endpoint's namespace (a DNS subdomain).");
            if (trigger.ServerAddress is null)
                errors.Add($"{path}.authSecretName", "is for another Prometheus than the cluster's own: set serverAddress too.");
        }
    }

    private static void CheckRollout(ValidationErrors errors, RolloutSpec? rollout, ModelSource? model, EndpointRuntime runtime)
    {
        if (rollout?.Canary is not { } canary) return;
        CheckVersion(errors, "rollout.canary.modelVersion", canary.ModelVersion, runtime);
        if (model is not null && canary.ModelVersion == model.Version)
            errors.Add("rollout.canary.modelVersion", $"must differ from model.version ({model.Version}): a canary serves another version.");
        if (canary.Weight is < 0 or > 100)
            errors.Add("rollout.canary.weight", "must be a percentage from 0 to 100 of the requests the canary receives.");
    }

    private static void CheckAgainstCluster(ValidationErrors errors, EndpointSpec spec, ClusterFacts cluster)
    {
        if (cluster.ExternalMetricsOwner is not { } owner || spec.Autoscaling?.Triggers is not { } triggers) return;
        // KEDA serves Prometheus-based triggers through the external metrics API; another adapter owns it here.
        for (var i = 0; i < triggers.Count; i++)
        {
            if (triggers[i] is { Kind: ScalingTriggerKind.Prometheus or ScalingTriggerKind.GpuUtilization } trigger)
                errors.Add($"autoscaling.triggers[{i}].kind",
                    $"{Kebab(trigger.Kind)} triggers cannot work on this cluster: the add-on '{owner}' owns the external metrics API that KEDA needs to serve them. Use a cpu trigger, or remove '{owner}' from the cluster.");
        }
    }

    internal static string Kebab<T>(T value) where T : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString(CultureInfo.InvariantCulture)));
}
