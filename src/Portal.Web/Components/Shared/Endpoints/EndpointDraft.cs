using System.Globalization;
using Portal.Core.Endpoints.Spec;

namespace Portal.Web.Components.Shared.Endpoints;

/// <summary>
/// What the endpoint wizard edits: every field as the form holds it (nullable numbers, a canary switch), turned into an
/// <see cref="EndpointSpec"/> only when checked or sent, so a half-filled form never throws and the rules can name each
/// field as the API would.
/// </summary>
public sealed class EndpointDraft
{
    public string Name { get; set; } = "";
    public EndpointRuntime Runtime { get; set; } = EndpointRuntime.Triton;

    public string CustomImage { get; set; } = "";
    public int? CustomHttpPort { get; set; } = 8080;
    public int? CustomGrpcPort { get; set; } = 9000;
    public string CustomReadinessPath { get; set; } = "/ready";
    public string? CustomLivenessPath { get; set; }
    public int? CustomMetricsPort { get; set; }
    public string? CustomMetricsPath { get; set; }
    public string CustomModelPath { get; set; } = "/models";

    public string ModelUri { get; set; } = "";
    public string ModelName { get; set; } = "";
    public string ModelVersion { get; set; } = "1";
    public string? IamRoleArn { get; set; }

    public EndpointProtocol Protocol { get; set; } = EndpointProtocol.Grpc;

    public string GpuType { get; set; } = "";
    public int GpuCount { get; set; } = 1;
    public string Cpu { get; set; } = "3";
    public string Memory { get; set; } = "12Gi";

    public int MinReplicas { get; set; } = 1;
    public int MaxReplicas { get; set; } = 4;
    public List<TriggerDraft> Triggers { get; set; } = [new TriggerDraft()];
    public int PollingIntervalSeconds { get; set; } = 15;
    public int CooldownSeconds { get; set; } = 300;

    public bool CanaryEnabled { get; set; }
    public string CanaryVersion { get; set; } = "";
    public int CanaryWeight { get; set; } = 10;

    /// <summary>Scale-up and scale-down behaviour are kept as they were (defaults for a new endpoint): the wizard does not edit them.</summary>
    public ScalingBehavior? ScaleUp { get; set; }
    public ScalingBehavior? ScaleDown { get; set; }

    public EndpointSpec ToSpec() => new(
        Name.Trim(),
        Runtime,
        new ModelSource(ModelUri.Trim(), ModelName.Trim(), ModelVersion.Trim(), string.IsNullOrWhiteSpace(IamRoleArn) ? null : IamRoleArn.Trim()),
        Protocol,
        new GpuRequest(GpuType, GpuCount),
        new ComputeRequest(Cpu.Trim(), Memory.Trim()),
        new AutoscalingSpec(MinReplicas, MaxReplicas, [.. Triggers.Select(t => t.ToTrigger())], PollingIntervalSeconds, CooldownSeconds, ScaleUp, ScaleDown),
        CanaryEnabled ? new RolloutSpec(new CanarySpec(CanaryVersion.Trim(), CanaryWeight)) : null,
        Runtime == EndpointRuntime.Custom
            ? new CustomRuntimeSpec(CustomImage.Trim(), CustomHttpPort, CustomGrpcPort, CustomReadinessPath.Trim(),
                Blank(CustomLivenessPath), CustomMetricsPort, Blank(CustomMetricsPath), null, CustomModelPath.Trim())
            : null);

    /// <summary>A draft of an existing endpoint, for editing: what it runs now.</summary>
    public static EndpointDraft From(EndpointSpec spec)
    {
        var draft = new EndpointDraft
        {
            Name = spec.Name,
            Runtime = spec.Runtime,
            ModelUri = spec.Model.Uri,
            ModelName = spec.Model.Name,
            ModelVersion = spec.Model.Version,
            IamRoleArn = spec.Model.IamRoleArn,
            Protocol = spec.Protocol,
            GpuType = spec.Gpu.Type,
            GpuCount = spec.Gpu.Count,
            Cpu = spec.Resources.Cpu,
            Memory = spec.Resources.Memory,
            MinReplicas = spec.Autoscaling.MinReplicas,
            MaxReplicas = spec.Autoscaling.MaxReplicas,
            Triggers = [.. spec.Autoscaling.Triggers.Select(TriggerDraft.From)],
            PollingIntervalSeconds = spec.Autoscaling.PollingIntervalSeconds,
            CooldownSeconds = spec.Autoscaling.CooldownSeconds,
            ScaleUp = spec.Autoscaling.ScaleUp,
            ScaleDown = spec.Autoscaling.ScaleDown,
            CanaryEnabled = spec.Rollout?.Canary is not null,
            CanaryVersion = spec.Rollout?.Canary?.ModelVersion ?? "",
            CanaryWeight = spec.Rollout?.Canary?.Weight ?? 10,
        };
        if (spec.Custom is { } custom)
        {
            draft.CustomImage = custom.Image;
            draft.CustomHttpPort = custom.HttpPort;
            draft.CustomGrpcPort = custom.GrpcPort;
            draft.CustomReadinessPath = custom.ReadinessPath;
            draft.CustomLivenessPath = custom.LivenessPath;
            draft.CustomMetricsPort = custom.MetricsPort;
            draft.CustomMetricsPath = custom.MetricsPath;
            draft.CustomModelPath = custom.ModelPath;
        }
        return draft;
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}

/// <summary>One trigger row of the wizard's trigger builder.</summary>
public sealed class TriggerDraft
{
    public ScalingTriggerKind Kind { get; set; } = ScalingTriggerKind.Prometheus;
    public string Query { get; set; } = "";
    public double Threshold { get; set; } = 10;
    public double? ActivationThreshold { get; set; }
    public string? ServerAddress { get; set; }
    public string? AuthSecretName { get; set; }

    /// <summary>Fields that belong to Prometheus triggers only are left out of the others, as the rules require.</summary>
    public ScalingTrigger ToTrigger() => Kind == ScalingTriggerKind.Prometheus
        ? new ScalingTrigger(Kind, Threshold, Query, ActivationThreshold,
            string.IsNullOrWhiteSpace(ServerAddress) ? null : ServerAddress.Trim(), string.IsNullOrWhiteSpace(AuthSecretName) ? null : AuthSecretName.Trim())
        : new ScalingTrigger(Kind, Threshold);

    public static TriggerDraft From(ScalingTrigger trigger) => new()
    {
        Kind = trigger.Kind,
        Query = trigger.Query ?? "",
        Threshold = trigger.Threshold,
        ActivationThreshold = trigger.ActivationThreshold,
        ServerAddress = trigger.ServerAddress,
        AuthSecretName = trigger.AuthSecretName,
    };

    public override string ToString() => Kind switch
    {
        ScalingTriggerKind.Prometheus => $"Prometheus query above {Threshold.ToString(CultureInfo.InvariantCulture)} per replica",
        ScalingTriggerKind.Cpu => $"CPU utilisation {Threshold.ToString(CultureInfo.InvariantCulture)} %",
        _ => $"GPU utilisation {Threshold.ToString(CultureInfo.InvariantCulture)} %",
    };
}
