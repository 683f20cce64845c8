using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Common;
using Portal.Core.Endpoints;
using Portal.Core.Endpoints.Spec;
using static Portal.Core.Tests.Endpoints.EndpointSamples;

namespace Portal.Core.Tests.Endpoints;

public sealed class EndpointSpecRulesTests
{
    private static readonly EndpointSpecRules Rules = new(Gpus);

    private static IReadOnlyDictionary<string, string[]> Errors(EndpointSpec spec, ClusterFacts? facts = null)
    {
        var e = Record.Exception(() => Rules.Validate(spec, facts));
        return e is DomainValidationException v ? v.Errors : new Dictionary<string, string[]>();
    }

    private static string Error(EndpointSpec spec, string field, ClusterFacts? facts = null)
    {
        var errors = Errors(spec, facts);
        Assert.True(errors.ContainsKey(field), $"expected an error on '{field}', got: {string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))}");
        return string.Join(" ", errors[field]);
    }

    [Theory]
    [MemberData(nameof(EndpointSamples.Matrix), MemberType = typeof(EndpointSamples))]
    public void Validate_AcceptsEverySampleOfTheMatrix(EndpointRuntime runtime, EndpointProtocol protocol, ScalingTriggerKind trigger) =>
        Assert.Empty(Errors(For(runtime, protocol, trigger), Facts));

    [Fact]
    public void UnknownGpuType_NamesGpuType_AndListsTheOffer()
    {
        var message = Error(Triton() with { Gpu = new GpuRequest("RTX4090", 1) }, "gpu.type");
        Assert.Contains("'RTX4090'", message);
        Assert.Contains("A100, A10G, H100, L4, L40S, T4, V100", message);
    }

    [Fact]
    public void GpuType_IsCaseInsensitive() => Assert.Empty(Errors(Triton() with { Gpu = new GpuRequest("l40s", 2) }));

    [Fact]
    public void GpuCountAboveTheLargestInstance_NamesGpuCount()
    {
        Assert.Contains("at most 8", Error(Triton() with { Gpu = new GpuRequest("L4", 9) }, "gpu.count"));
        // p5.48xlarge is the only H100 type with more than one GPU: 8.
        Assert.Empty(Errors(Triton() with { Gpu = new GpuRequest("H100", 8), Resources = new ComputeRequest("32", "256Gi") }));
        Assert.Contains("must be at least 1", Error(Triton() with { Gpu = new GpuRequest("L4", 0) }, "gpu.count"));
    }

    [Fact]
    public void ResourcesNoInstanceOfTheGpuTypeHas_NamesResources() =>
        Assert.Contains("g6.48xlarge", Error(Triton() with { Resources = new ComputeRequest("500", "16Gi") }, "resources"));

    [Theory]
    [InlineData("four", "16Gi", "resources.cpu")]
    [InlineData("4", "lots", "resources.memory")]
    [InlineData("-1", "16Gi", "resources.cpu")]
    [InlineData("4", "16 Gi", "resources.memory")]
    public void BadQuantities_NameTheirField(string cpu, string memory, string field) =>
        Error(Triton() with { Resources = new ComputeRequest(cpu, memory) }, field);

    [Fact]
    public void MinAboveMax_NamesMinReplicas() =>
        Assert.Contains("must not exceed maxReplicas (2)", Error(Triton(min: 3, max: 2), "autoscaling.minReplicas"));

    [Fact]
    public void MinZero_WithoutAPrometheusTrigger_IsRefusedWithTheReason()
    {
        var spec = Triton() with { Autoscaling = new AutoscalingSpec(0, 4, [Trigger(ScalingTriggerKind.GpuUtilization)]) };
        Assert.Contains("nothing would wake", Error(spec, "autoscaling.minReplicas"));
    }

    [Theory]
    [InlineData("sum(nv_inference_pending_request_count{model=\"resnet\"})")]
    [InlineData("sum(rate(:tensorflow:serving:request_count[1m]))")]
    [InlineData("avg(DCGM_FI_DEV_GPU_UTIL) + sum({__name__=\"nv_inference_queue_duration_us\"})")]
    public void MinZero_OnAQueryOfTheServersOwnMetrics_IsRefused_BecauseTheyVanishAtZero(string query)
    {
        var spec = Triton() with { Autoscaling = new AutoscalingSpec(0, 4, [new ScalingTrigger(ScalingTriggerKind.Prometheus, 5, query)]) };
        Assert.Contains("vanish at zero replicas", Error(spec, "autoscaling.minReplicas"));
        Assert.Empty(Errors(spec with { Autoscaling = spec.Autoscaling with { MinReplicas = 1 } }));
    }

    [Fact]
    public void MinZero_WithOneUpstreamQueryAmongServerMetrics_IsAccepted() =>
        Assert.Empty(Errors(Triton() with { Autoscaling = new AutoscalingSpec(0, 4, [new ScalingTrigger(ScalingTriggerKind.Prometheus, 5, "sum(nv_inference_pending_request_count)"), Trigger(ScalingTriggerKind.Prometheus)]) }));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void EmptyPrometheusQuery_NamesTheQuery(string query) =>
        Assert.Contains("is required", Error(Triton() with { Autoscaling = new AutoscalingSpec(0, 4, [new ScalingTrigger(ScalingTriggerKind.Prometheus, 5, query)]) }, "autoscaling.triggers[0].query"));

    [Fact]
    public void UnparsablePrometheusQuery_NamesTheQuery_WithPosition()
    {
        var spec = Triton() with { Autoscaling = new AutoscalingSpec(0, 4, [Trigger(ScalingTriggerKind.Cpu), new ScalingTrigger(ScalingTriggerKind.Prometheus, 5, "sum(rate(queue[5m])")]) };
        var message = Error(spec, "autoscaling.triggers[1].query");
        Assert.Contains("is not valid PromQL", message);
        Assert.Contains("column 20", message);
    }

    [Fact]
    public void RangeVectorQuery_IsRefused_BecauseKedaNeedsOneNumber() =>
        Assert.Contains("range vector", Error(Triton() with { Autoscaling = new AutoscalingSpec(0, 4, [new ScalingTrigger(ScalingTriggerKind.Prometheus, 5, "queue[5m]")]) }, "autoscaling.triggers[0].query"));

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    public void CanaryWeightOutside0To100_NamesTheWeight(int weight) =>
        Assert.Contains("0 to 100", Error(Triton() with { Rollout = new RolloutSpec(new CanarySpec("4", weight)) }, "rollout.canary.weight"));

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public void CanaryWeightAtTheBounds_IsAccepted(int weight) =>
        Assert.Empty(Errors(Triton() with { Rollout = new RolloutSpec(new CanarySpec("4", weight)) }));

    [Fact]
    public void CanaryOfTheSameVersion_IsRefused() =>
        Error(Triton() with { Rollout = new RolloutSpec(new CanarySpec("3", 10)) }, "rollout.canary.modelVersion");

    [Theory]
    [InlineData("https://acme-models.s3.amazonaws.com/resnet")]
    [InlineData("s3://")]
    [InlineData("s3://Acme_Models/resnet")]
    [InlineData("s3://ab/resnet")]
    [InlineData("s3://acme-models//resnet")]
    [InlineData("s3://acme-models/res net")]
    public void BadS3Url_NamesModelUri(string uri) => Error(Triton() with { Model = Triton().Model with { Uri = uri } }, "model.uri");

    [Theory]
    [InlineData("Resnet")]
    [InlineData("-resnet")]
    [InlineData("resnet_v2")]
    [InlineData("a-name-that-is-far-too-long-for-an-endpoint-of-ours")]
    [InlineData("")]
    public void NonDns1123Name_NamesName(string name) => Error(Triton() with { Name = name }, "name");

    [Theory]
    [InlineData("latest")]
    [InlineData("0")]
    [InlineData("1.2")]
    public void NonNumericVersionForAKnownRuntime_NamesModelVersion(string version) =>
        Error(Triton() with { Model = Triton().Model with { Version = version } }, "model.version");

    [Fact]
    public void BadRoleArn_NamesIamRoleArn() =>
        Error(Triton() with { Model = Triton().Model with { IamRoleArn = "model-reader" } }, "model.iamRoleArn");

    [Fact]
    public void CustomRuntime_NeedsItsSettings_AndAGrpcPortToServeGrpc()
    {
        Error(Triton() with { Runtime = EndpointRuntime.Custom }, "custom");
        var noGrpc = For(EndpointRuntime.Custom, EndpointProtocol.Both, ScalingTriggerKind.Prometheus);
        Error(noGrpc with { Custom = noGrpc.Custom! with { GrpcPort = null } }, "custom.grpcPort");
        Error(noGrpc with { Custom = noGrpc.Custom! with { Image = "" } }, "custom.image");
        Error(noGrpc with { Custom = noGrpc.Custom! with { ReadinessPath = "ready" } }, "custom.readinessPath");
        Error(noGrpc with { Custom = noGrpc.Custom! with { HttpPort = 70000 } }, "custom.httpPort");
        Error(noGrpc with { Custom = noGrpc.Custom! with { ModelPath = "/" } }, "custom.modelPath");
    }

    [Theory]
    [InlineData("nginx")]
    [InlineData("nginx:1.27")]
    [InlineData("registry.example.com/team/server:1.2")]
    [InlineData("localhost:5000/ml/triton_custom:v2-beta.1")]
    [InlineData("public.ecr.aws/acme/serving@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void CustomImage_AcceptsImageReferences(string image)
    {
        var custom = For(EndpointRuntime.Custom, EndpointProtocol.Http, ScalingTriggerKind.Cpu);
        Assert.DoesNotContain("custom.image", Errors(custom with { Custom = custom.Custom! with { Image = image } }).Keys);
    }

    [Theory]
    [InlineData("x\u0001y")]
    [InlineData("Registry/Upper")]
    [InlineData("server:")]
    [InlineData("server:1.2;rm -rf /")]
    [InlineData("-leading")]
    [InlineData("a//b")]
    [InlineData("serving@sha256:abc")]
    public void CustomImage_RefusesWhatIsNotAnImageReference(string image)
    {
        var custom = For(EndpointRuntime.Custom, EndpointProtocol.Http, ScalingTriggerKind.Cpu);
        Error(custom with { Custom = custom.Custom! with { Image = System.Text.RegularExpressions.Regex.Unescape(image) } }, "custom.image");
    }

    [Fact]
    public void CustomArgs_RefuseControlCharacters_AndNameTheArgument()
    {
        var custom = For(EndpointRuntime.Custom, EndpointProtocol.Http, ScalingTriggerKind.Cpu);
        Error(custom with { Custom = custom.Custom! with { Args = ["--verbose", "esc\u001b[31m"] } }, "custom.args[1]");
        Error(custom with { Custom = custom.Custom! with { Args = [.. Enumerable.Repeat("--x", 65)] } }, "custom.args");
        Error(custom with { Custom = custom.Custom! with { ReadinessPath = "/ready\u0007" } }, "custom.readinessPath");
    }

    [Fact]
    public void Triggers_AreChecked()
    {
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, []) }, "autoscaling.triggers");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, [new ScalingTrigger(ScalingTriggerKind.Cpu, 0)]) }, "autoscaling.triggers[0].threshold");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, [new ScalingTrigger(ScalingTriggerKind.GpuUtilization, 150)]) }, "autoscaling.triggers[0].threshold");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, [Trigger(ScalingTriggerKind.Cpu), Trigger(ScalingTriggerKind.Cpu)]) }, "autoscaling.triggers[1].kind");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, [Trigger(ScalingTriggerKind.Prometheus) with { ServerAddress = "prometheus:9090" }]) }, "autoscaling.triggers[0].serverAddress");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, [Trigger(ScalingTriggerKind.Prometheus) with { AuthSecretName = "prom-token" }]) }, "autoscaling.triggers[0].authSecretName");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, [Trigger(ScalingTriggerKind.Prometheus) with { ActivationThreshold = -1 }]) }, "autoscaling.triggers[0].activationThreshold");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, [Trigger(ScalingTriggerKind.Cpu) with { Query = "up" }]) }, "autoscaling.triggers[0].query");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 400, [Trigger(ScalingTriggerKind.Cpu)]) }, "autoscaling.maxReplicas");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, [Trigger(ScalingTriggerKind.Cpu)], PollingIntervalSeconds: 1) }, "autoscaling.pollingIntervalSeconds");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, [Trigger(ScalingTriggerKind.Cpu)], ScaleDown: new ScalingBehavior(60)) }, "autoscaling.scaleDown");
        Error(Triton() with { Autoscaling = new AutoscalingSpec(1, 4, [Trigger(ScalingTriggerKind.Cpu)], ScaleUp: new ScalingBehavior(0, 1, PeriodSeconds: 3600)) }, "autoscaling.scaleUp.periodSeconds");
    }

    [Fact]
    public void AnotherExternalMetricsAdapter_RefusesPrometheusTriggers_WithTheReason_ButAllowsCpu()
    {
        var owner = Facts with { ExternalMetricsOwner = "datadog" };
        var message = Error(Triton(), "autoscaling.triggers[0].kind", owner);
        Assert.Contains("'datadog' owns the external metrics API", message);
        Assert.Empty(Errors(Triton(trigger: ScalingTriggerKind.Cpu), owner));
    }

    [Fact]
    public void EveryProblem_IsReportedAtOnce()
    {
        var spec = Triton(min: 5, max: 2) with { Name = "Bad", Gpu = new GpuRequest("X1", 1), Rollout = new RolloutSpec(new CanarySpec("4", 120)) };
        var errors = Errors(spec);
        Assert.Superset(new HashSet<string> { "name", "gpu.type", "autoscaling.minReplicas", "rollout.canary.weight" }, errors.Keys.ToHashSet());
    }
}

public sealed class EndpointsServiceCollectionTests
{
    [Fact]
    public void AddPortalEndpoints_ResolvesTheRenderer_WithTheEmbeddedGpuCatalogue()
    {
        using var services = new ServiceCollection().AddPortalEndpoints().BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        Assert.Equal(["A100", "A10G", "H100", "L4", "L40S", "T4", "V100"], services.GetRequiredService<GpuTypes>().All.Select(g => g.Name));
        Assert.NotNull(services.GetRequiredService<Portal.Core.Endpoints.Rendering.EndpointRenderer>());
    }
}
