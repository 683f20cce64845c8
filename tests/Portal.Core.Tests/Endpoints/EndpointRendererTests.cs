using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Core.Catalog;
using Portal.Core.Clusters;
using Portal.Core.Endpoints.Promql;
using Portal.Core.Endpoints.Rendering;
using Portal.Core.Endpoints.Spec;
using static Portal.Core.Tests.Endpoints.EndpointSamples;

namespace Portal.Core.Tests.Endpoints;

public sealed class EndpointRendererTests
{
    private static readonly EndpointRenderer Renderer = new(Gpus);

    private static IReadOnlyList<JsonObject> Render(EndpointSpec spec, ClusterFacts? facts = null) => Renderer.Render(spec, Target, facts ?? Facts);

    private static JsonObject One(IReadOnlyList<JsonObject> objects, string kind, string name) =>
        Assert.Single(objects, o => (string?)o["kind"] == kind && (string?)o["metadata"]!["name"] == name);

    private static IEnumerable<JsonObject> All(IReadOnlyList<JsonObject> objects, string kind) => objects.Where(o => (string?)o["kind"] == kind);

    private static string? Annotation(JsonObject o, string key) => (string?)o["metadata"]!["annotations"]?[key];

    [Fact]
    public void TritonGrpc_ScaledToZeroOnAQueueQuery_RendersTheGoldenPath()
    {
        var objects = Render(Triton());

        Assert.Equal(
            ["ServiceAccount", "Deployment", "Service", "Service", "Ingress", "ScaledObject", "PodDisruptionBudget", "ServiceMonitor", "ConfigMap"],
            objects.Select(o => (string)o["kind"]!));
        var deployment = One(objects, "Deployment", "resnet");
        Assert.Null(deployment["spec"]!["replicas"]); // KEDA's HPA owns it
        var pod = deployment["spec"]!["template"]!["spec"]!;
        var server = pod["containers"]![0]!;
        Assert.Equal("nvcr.io/nvidia/tritonserver:25.03-py3", (string?)server["image"]);
        Assert.Equal("1", (string?)server["resources"]!["requests"]!["nvidia.com/gpu"]);
        Assert.Equal("1", (string?)server["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Equal("/v2/models/resnet/versions/3/ready", (string?)server["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal(EndpointRenderer.DrainSeconds, (int)server["lifecycle"]!["preStop"]!["sleep"]!["seconds"]!);
        Assert.True((int)pod["terminationGracePeriodSeconds"]! > EndpointRenderer.DrainSeconds + 30, "grace must cover the drain sleep and Triton's exit timeout");
        Assert.Equal([8000, 8001, 8002], server["ports"]!.AsArray().Select(p => (int)p!["containerPort"]!));
        var affinity = pod["affinity"]!["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]![0]!["matchExpressions"]![0]!;
        Assert.Equal("node.kubernetes.io/instance-type", (string?)affinity["key"]);
        Assert.Contains("g6.xlarge", affinity["values"]!.AsArray().Select(v => (string?)v));
        Assert.All(affinity["values"]!.AsArray(), v => Assert.StartsWith("g6.", (string?)v));
        Assert.Equal("nvidia.com/gpu", (string?)pod["tolerations"]![0]!["key"]);
        Assert.Equal("resnet", (string?)pod["serviceAccountName"]);
        Assert.Contains("3/*", pod["initContainers"]![0]!["command"]!.AsArray().Select(a => (string?)a));

        var grpc = One(objects, "Service", "resnet-grpc");
        Assert.Equal("kubernetes.io/h2c", (string?)grpc["spec"]!["ports"]![0]!["appProtocol"]);
        Assert.Equal("GRPC", Annotation(grpc, "alb.ingress.kubernetes.io/backend-protocol-version"));
        Assert.Equal("0", Annotation(grpc, "alb.ingress.kubernetes.io/success-codes"));

        var ingress = One(objects, "Ingress", "resnet");
        Assert.Equal("""[{"HTTPS":443}]""", Annotation(ingress, "alb.ingress.kubernetes.io/listen-ports"));
        Assert.Equal("443", Annotation(ingress, "alb.ingress.kubernetes.io/ssl-redirect"));
        Assert.Equal(Facts.CertificateArn, Annotation(ingress, "alb.ingress.kubernetes.io/certificate-arn"));
        var rule = Assert.Single(ingress["spec"]!["rules"]!.AsArray())!;
        Assert.Equal("resnet-grpc.ml.inference.example.com", (string?)rule["host"]);
        Assert.Equal("resnet-grpc", (string?)rule["http"]!["paths"]![0]!["backend"]!["service"]!["name"]);

        var scaled = One(objects, "ScaledObject", "resnet")["spec"]!;
        Assert.Equal(0, (int)scaled["minReplicaCount"]!);
        Assert.Equal(8, (int)scaled["maxReplicaCount"]!);
        var trigger = scaled["triggers"]![0]!;
        Assert.Equal(("prometheus", QueueQuery, "10", "1"), ((string?)trigger["type"], (string?)trigger["metadata"]!["query"], (string?)trigger["metadata"]!["threshold"], (string?)trigger["metadata"]!["activationThreshold"]));
        Assert.Equal(Facts.PrometheusAddress, (string?)trigger["metadata"]!["serverAddress"]);
        Assert.Equal("Max", (string?)scaled["advanced"]!["horizontalPodAutoscalerConfig"]!["behavior"]!["scaleUp"]!["selectPolicy"]);

        Assert.Equal("kube-prometheus-stack", (string?)One(objects, "ServiceMonitor", "resnet")["metadata"]!["labels"]!["release"]);
        Assert.Equal("1", (string?)One(objects, "ConfigMap", "resnet-dashboard")["metadata"]!["labels"]!["grafana_dashboard"]);
        Assert.Equal("arn:aws:iam::222222222222:role/model-reader", Annotation(One(objects, "ServiceAccount", "resnet"), "eks.amazonaws.com/role-arn"));
    }

    [Fact]
    public void CanaryWithScaleToZero_SplitsTrafficByWeight_AndScalesEachVariantOnItsShareFromZero()
    {
        var spec = Triton(EndpointProtocol.Both) with { Rollout = new RolloutSpec(new CanarySpec("4", 10)) };

        var objects = Render(spec);

        Assert.Equal(["resnet", "resnet-canary"], All(objects, "Deployment").Select(d => (string)d["metadata"]!["name"]!));
        var canaryServer = One(objects, "Deployment", "resnet-canary")["spec"]!["template"]!["spec"]!;
        Assert.Contains("4/*", canaryServer["initContainers"]![0]!["command"]!.AsArray().Select(a => (string?)a));
        Assert.Equal("/v2/models/resnet/versions/4/ready", (string?)canaryServer["containers"]![0]!["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal(["resnet-grpc", "resnet-http", "resnet-canary-grpc", "resnet-canary-http", "resnet-metrics"], All(objects, "Service").Select(s => (string)s["metadata"]!["name"]!));

        var stable = One(objects, "ScaledObject", "resnet")["spec"]!;
        var canary = One(objects, "ScaledObject", "resnet-canary")["spec"]!;
        Assert.Equal((0, 0), ((int)stable["minReplicaCount"]!, (int)canary["minReplicaCount"]!));
        Assert.Equal((8, 1), ((int)stable["maxReplicaCount"]!, (int)canary["maxReplicaCount"]!));
        // 90 % of the load reaches stable: 10 per replica of the whole is 11.11 of the whole per stable replica; canary 100.
        Assert.Equal("11.1111", (string?)stable["triggers"]![0]!["metadata"]!["threshold"]);
        Assert.Equal("100", (string?)canary["triggers"]![0]!["metadata"]!["threshold"]);
        Assert.Equal("1", (string?)canary["triggers"]![0]!["metadata"]!["activationThreshold"]);

        var ingress = One(objects, "Ingress", "resnet");
        var action = JsonNode.Parse(Annotation(ingress, "alb.ingress.kubernetes.io/actions.resnet-grpc-split")!)!;
        Assert.Equal("forward", (string?)action["type"]);
        Assert.Equal([("resnet-grpc", 90), ("resnet-canary-grpc", 10)],
            action["forwardConfig"]!["targetGroups"]!.AsArray().Select(t => ((string)t!["serviceName"]!, (int)t["weight"]!)));
        Assert.NotNull(Annotation(ingress, "alb.ingress.kubernetes.io/actions.resnet-http-split"));
        var backends = ingress["spec"]!["rules"]!.AsArray().Select(r => r!["http"]!["paths"]![0]!["backend"]!["service"]!).ToList();
        Assert.Equal(["resnet-grpc-split", "resnet-http-split"], backends.Select(b => (string)b["name"]!));
        Assert.All(backends, b => Assert.Equal("use-annotation", (string?)b["port"]!["name"]));
    }

    [Fact]
    public void CanaryAtWeightZero_IsParkedAtZeroReplicas_WithoutAScaledObjectOrTraffic()
    {
        var objects = Render(Triton() with { Rollout = new RolloutSpec(new CanarySpec("4", 0)) });

        Assert.Equal(0, (int)One(objects, "Deployment", "resnet-canary")["spec"]!["replicas"]!);
        Assert.Equal(["resnet"], All(objects, "ScaledObject").Select(s => (string)s["metadata"]!["name"]!));
        var ingress = One(objects, "Ingress", "resnet");
        Assert.Null(ingress["metadata"]!["annotations"]!["alb.ingress.kubernetes.io/actions.resnet-grpc-split"]);
        Assert.Equal("resnet-grpc", (string?)ingress["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["backend"]!["service"]!["name"]);
    }

    [Fact]
    public void TensorflowServingHttp_GetsItsMonitoringConfig_AndIsScrapedOnItsRestPort()
    {
        var spec = For(EndpointRuntime.TensorflowServing, EndpointProtocol.Http, ScalingTriggerKind.Cpu);

        var objects = Render(spec);

        var config = One(objects, "ConfigMap", $"{spec.Name}-tfserving");
        Assert.Contains("path: \"/monitoring/prometheus/metrics\"", (string?)config["data"]!["monitoring.config"]);
        var server = One(objects, "Deployment", spec.Name)["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("tensorflow/serving:2.18.0-gpu", (string?)server["image"]);
        Assert.Equal(["tensorflow_model_server"], server["command"]!.AsArray().Select(c => (string)c!));
        Assert.Contains("--monitoring_config_file=/etc/tfserving/monitoring.config", server["args"]!.AsArray().Select(a => (string?)a));
        Assert.Contains("--model_base_path=/models/bert", server["args"]!.AsArray().Select(a => (string?)a));
        Assert.Equal("http", (string?)One(objects, "Service", $"{spec.Name}-metrics")["spec"]!["ports"]![0]!["targetPort"]);
        Assert.Equal("/monitoring/prometheus/metrics", (string?)One(objects, "ServiceMonitor", spec.Name)["spec"]!["endpoints"]![0]!["path"]);
        var http = One(objects, "Service", $"{spec.Name}-http");
        Assert.Equal("HTTP1", Annotation(http, "alb.ingress.kubernetes.io/backend-protocol-version"));
        Assert.Equal("/v1/models/bert/versions/3", Annotation(http, "alb.ingress.kubernetes.io/healthcheck-path"));
        var cpu = One(objects, "ScaledObject", spec.Name)["spec"]!["triggers"]![0]!;
        Assert.Equal(("cpu", "Utilization", "70"), ((string?)cpu["type"], (string?)cpu["metricType"], (string?)cpu["metadata"]!["value"]));
    }

    [Fact]
    public void GpuUtilizationTrigger_SumsDcgmOverTheVariantsPods_PerGpuOfAReplica()
    {
        var spec = Triton(trigger: ScalingTriggerKind.GpuUtilization) with { Gpu = new GpuRequest("L4", 4), Resources = new ComputeRequest("16", "64Gi") };

        var trigger = One(Render(spec), "ScaledObject", "resnet")["spec"]!["triggers"]![0]!["metadata"]!;

        Assert.Equal("sum(DCGM_FI_DEV_GPU_UTIL{namespace=\"team-ml\",pod=~\"resnet-[a-z0-9]+-[a-z0-9]+\"})", (string?)trigger["query"]);
        Assert.Equal("320", (string?)trigger["threshold"]);
        Assert.Null(PromqlSyntax.Check((string)trigger["query"]!));
    }

    [Fact]
    public void PrometheusTriggerWithCredentials_GetsATriggerAuthentication()
    {
        var spec = Triton() with { Autoscaling = new AutoscalingSpec(0, 4, [Trigger(ScalingTriggerKind.Prometheus) with { ServerAddress = "https://amp.example.com/workspaces/ws-1", AuthSecretName = "amp-token" }]) };

        var objects = Render(spec);

        var auth = One(objects, "TriggerAuthentication", "resnet-prometheus-0");
        Assert.Equal(("bearerToken", "amp-token", "token"), ((string?)auth["spec"]!["secretTargetRef"]![0]!["parameter"], (string?)auth["spec"]!["secretTargetRef"]![0]!["name"], (string?)auth["spec"]!["secretTargetRef"]![0]!["key"]));
        var trigger = One(objects, "ScaledObject", "resnet")["spec"]!["triggers"]![0]!;
        Assert.Equal("resnet-prometheus-0", (string?)trigger["authenticationRef"]!["name"]);
        Assert.Equal("bearer", (string?)trigger["metadata"]!["authModes"]);
        Assert.True(objects.ToList().IndexOf(auth) < objects.ToList().FindIndex(o => (string?)o["kind"] == "ScaledObject"), "the authentication must exist before the ScaledObject naming it");
    }

    [Theory]
    [MemberData(nameof(EndpointSamples.Matrix), MemberType = typeof(EndpointSamples))]
    public void Dashboard_HasTheFivePanels_AndEveryQueryIsValidPromql(EndpointRuntime runtime, EndpointProtocol protocol, ScalingTriggerKind trigger)
    {
        var spec = For(runtime, protocol, trigger);
        var dashboard = EndpointDashboard.Build(spec, Target, Facts, RuntimeProfile.For(spec));

        var titles = dashboard["panels"]!.AsArray().Select(p => (string)p!["title"]!).ToList();
        Assert.Contains("GPU utilisation", titles);
        Assert.Contains("Replicas", titles);
        if (runtime != EndpointRuntime.Custom) Assert.Equal(["Request rate", "Mean latency", "Batch size", "GPU utilisation", "Replicas"], titles);
        Assert.All(EndpointDashboard.Queries(dashboard), q => Assert.True(PromqlSyntax.Check(q) is null, $"{q}: {PromqlSyntax.Check(q)}"));
        var configMap = One(Render(spec), "ConfigMap", $"{spec.Name}-dashboard");
        Assert.Equal(dashboard.ToJsonString(), (string?)configMap["data"]!.AsObject().Single().Value);
    }

    [Fact]
    public void RuntimeMetrics_NameTheRuntimesRealSeries()
    {
        Assert.Equal("nv_inference_request_success", RuntimeProfile.Triton.Metrics!.RequestSuccess);
        Assert.Contains("nv_inference_exec_count", RuntimeProfile.Triton.Metrics.BatchSizeExpression);
        Assert.Contains("nv_inference_request_duration_us", RuntimeProfile.Triton.Metrics.LatencyExpression);
        Assert.Equal(":tensorflow:serving:request_count", RuntimeProfile.TensorflowServing.Metrics!.RequestSuccess);
        Assert.Contains(":tensorflow:serving:request_latency_sum", RuntimeProfile.TensorflowServing.Metrics.LatencyExpression);
        foreach (var m in new[] { RuntimeProfile.Triton.Metrics, RuntimeProfile.TensorflowServing.Metrics })
        foreach (var expression in new[] { m.LatencyExpression, m.BatchSizeExpression, m.QueueExpression })
            Assert.Null(PromqlSyntax.Check(expression.Replace("$sel", "namespace=\"x\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void Render_IsDeterministic() =>
        Assert.Equal(Json(Render(Triton(EndpointProtocol.Both))), Json(Render(Triton(EndpointProtocol.Both))));

    // ---- GPU capacity ----

    [Fact]
    public void NodeGroupFor_PicksTheCheapestFittingInstance_MinZero_MaxForEveryReplica_AndPassesTheClusterRules()
    {
        var capacity = new GpuCapacity(Gpus);
        var l4 = Gpus.Find("L4")!;
        var small = Triton();                                                                    // 3 CPU, 12Gi, max 8
        var canary = Triton() with { Name = "big", Resources = new ComputeRequest("6", "24Gi"), Rollout = new RolloutSpec(new CanarySpec("4", 50)) };

        Assert.Equal("g6.xlarge", capacity.NeedOf(small)!.InstanceType.Name);
        Assert.Equal("g6.2xlarge", capacity.NeedOf(canary)!.InstanceType.Name);
        var pool = capacity.NodeGroupFor(l4, [small, canary])!;

        // small: 8 replicas; big: 50 % of 8 on each variant.
        Assert.Equal(("gpu-l4", "g6.2xlarge", 0, 0, 8 + 4 + 4), (pool.Name, pool.InstanceTypes!.Single(), pool.MinSize, pool.DesiredSize, pool.MaxSize));
        Assert.Contains(pool.Taints!, t => t.Key == "nvidia.com/gpu" && t.Effect == TaintEffect.NoSchedule);
        var catalog = new InstanceTypeCatalog();
        var rules = new ClusterSpecRules(new ClusterOptions { KubernetesVersions = ["1.34"] }, catalog);
        var errors = new Portal.Core.Common.ValidationErrors();
        rules.CheckNodePools(errors, [pool]);
        Assert.False(errors.Any);
        var row = new NodePool { Name = pool.Name, AmiType = "" };
        rules.Apply(row, pool);
        Assert.Equal((GpuCapacity.AmiType, true), (row.AmiType, row.IsGpu));
        Assert.Null(capacity.NodeGroupFor(Gpus.Find("A10G")!, [small]));
    }

    [Fact]
    public void TwoEndpointsOnDifferentGpuTypes_GetOnePoolEach_BesideTheSystemPool()
    {
        var capacity = new GpuCapacity(Gpus);
        var endpoints = new[] { Triton(), For(EndpointRuntime.TensorflowServing, EndpointProtocol.Grpc, ScalingTriggerKind.Prometheus) };

        var pools = endpoints.Select(e => capacity.NeedOf(e)!.GpuType).DistinctBy(t => t.Label)
            .Select(t => capacity.NodeGroupFor(t, endpoints)!).ToList();

        Assert.Equal([("gpu-l4", "g6.xlarge"), ("gpu-a10g", "g5.xlarge")], pools.Select(p => (p.Name, p.InstanceTypes!.Single())));
        var rules = new ClusterSpecRules(new ClusterOptions { KubernetesVersions = ["1.34"] }, new InstanceTypeCatalog());
        var errors = new Portal.Core.Common.ValidationErrors();
        rules.CheckNodePools(errors, [new NodePoolSpec("system", ["m6i.large"], CapacityType.OnDemand, 1, 2, 3), .. pools]);
        Assert.False(errors.Any);
    }

    [Fact]
    public void KarpenterNodePool_AsksForTheGpuByKarpentersLabel_AndIsCappedInGpus()
    {
        var pool = GpuCapacity.KarpenterNodePool(Gpus.Find("A10G")!, 12, Facts);

        Assert.Equal(("karpenter.sh/v1", "NodePool", "gpu-a10g"), ((string?)pool["apiVersion"], (string?)pool["kind"], (string?)pool["metadata"]!["name"]));
        var requirements = pool["spec"]!["template"]!["spec"]!["requirements"]!.AsArray();
        Assert.Contains(requirements, r => (string?)r!["key"] == "karpenter.k8s.aws/instance-gpu-name" && (string?)r["values"]![0] == "a10g");
        Assert.Equal("12", (string?)pool["spec"]!["limits"]!["nvidia.com/gpu"]);
    }

    // ---- golden file ----

    [Fact]
    public void Golden_TritonBothProtocols_WithACanary_AndScaleToZero()
    {
        var spec = Triton(EndpointProtocol.Both) with { Rollout = new RolloutSpec(new CanarySpec("4", 20)) };
        var actual = Json(Render(spec));
        var path = GoldenPath("triton-both-canary.json");

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1") File.WriteAllText(path, actual);

        Assert.True(File.Exists(path), $"{path} is missing: run once with UPDATE_GOLDEN=1 and review the file.");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual);
    }

    private static string Json(IReadOnlyList<JsonObject> objects) =>
        new JsonArray([.. objects.Select(o => (JsonNode)o.DeepClone())]).ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";

    private static string GoldenPath(string file, [CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Golden", file);
}
