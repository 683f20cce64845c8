using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Core.Clusters;
using Portal.Core.Endpoints.Spec;

namespace Portal.Core.Endpoints.Rendering;

/// <summary>
/// Renders an endpoint spec into the Kubernetes objects that run it, in apply order (a ScaledObject after its
/// Deployment, a TriggerAuthentication before the ScaledObject naming it). Pure: the same spec, target and facts give
/// the same objects, so the reconciler can apply them every time and the API can show them.
/// <para>
/// A canary is a second variant: its own Deployment, Services (target groups) and ScaledObject. The ALB splits
/// requests between the variants' target groups by weight (an <c>actions.*</c> forward annotation); each variant
/// scales on its share of the endpoint's load, so both can sit at zero and wake independently.
/// </para>
/// </summary>
public sealed class EndpointRenderer(GpuTypes gpus)
{
    public const string ManagedBy = "unicron-portal";
    public const string EndpointLabel = "unicron.io/endpoint";
    public const string VariantLabel = "unicron.io/variant";
    public const string TeamLabel = "unicron.io/team";
    public const string RoleLabel = "unicron.io/role";
    public const string GpuResource = "nvidia.com/gpu";

    /// <summary>Set by the kubelet on every node, managed node group or Karpenter alike: the one label both GPU paths share.</summary>
    public const string InstanceTypeLabel = "node.kubernetes.io/instance-type";

    public const string ModelFetchImage = "amazon/aws-cli:2.32.8";
    public const int DrainSeconds = 30;
    public const int TerminationGraceSeconds = 75;
    private const string Alb = "alb.ingress.kubernetes.io/";

    /// <summary>One Deployment's worth of an endpoint: the stable version or the canary, with its share of requests.</summary>
    public sealed record Variant(string Role, string DeploymentName, string ModelVersion, int TrafficPercent)
    {
        public string ServiceName(string protocol) => $"{DeploymentName}-{protocol}";
    }

    public static IReadOnlyList<Variant> Variants(EndpointSpec spec)
    {
        if (spec.Rollout?.Canary is not { } canary) return [new Variant("stable", spec.Name, spec.Model.Version, 100)];
        return
        [
            new Variant("stable", spec.Name, spec.Model.Version, 100 - canary.Weight),
            new Variant("canary", $"{spec.Name}-canary", canary.ModelVersion, canary.Weight),
        ];
    }

    /// <summary>The host names clients use: HTTP at <c>{endpoint}.{team}.{domain}</c>, gRPC at <c>{endpoint}-grpc.{team}.{domain}</c>.</summary>
    public static (string? Http, string? Grpc) Hosts(EndpointSpec spec, EndpointTarget target, ClusterFacts facts) => (
        spec.Protocol is EndpointProtocol.Http or EndpointProtocol.Both ? $"{spec.Name}.{target.Team}.{facts.BaseDomain}" : null,
        spec.Protocol is EndpointProtocol.Grpc or EndpointProtocol.Both ? $"{spec.Name}-grpc.{target.Team}.{facts.BaseDomain}" : null);

    /// <summary>Every object of the endpoint, in apply order. The spec must have passed <see cref="EndpointSpecRules"/>.</summary>
    public IReadOnlyList<JsonObject> Render(EndpointSpec spec, EndpointTarget target, ClusterFacts facts)
    {
        var profile = RuntimeProfile.For(spec);
        var gpuType = gpus.Find(spec.Gpu.Type) ?? throw new ArgumentException($"Unknown GPU type '{spec.Gpu.Type}': validate the spec first.", nameof(spec));
        var variants = Variants(spec);
        var objects = new List<JsonObject> { ServiceAccount(spec, target) };
        if (spec.Runtime == EndpointRuntime.TensorflowServing) objects.Add(TensorflowConfig(spec, target));
        foreach (var variant in variants) objects.Add(Deployment(spec, target, profile, gpuType, variant));
        foreach (var variant in variants)
        {
            if (spec.Protocol is EndpointProtocol.Grpc or EndpointProtocol.Both) objects.Add(Service(spec, target, profile, variant, grpc: true));
            if (spec.Protocol is EndpointProtocol.Http or EndpointProtocol.Both) objects.Add(Service(spec, target, profile, variant, grpc: false));
        }
        if (profile.MetricsPort is not null) objects.Add(MetricsService(spec, target, profile));
        objects.Add(Ingress(spec, target, facts, variants));
        objects.AddRange(TriggerAuthentications(spec, target));
        foreach (var variant in variants.Where(v => v.TrafficPercent > 0)) objects.Add(ScaledObject(spec, target, facts, variant));
        objects.Add(DisruptionBudget(spec, target));
        if (profile.MetricsPort is not null) objects.Add(ServiceMonitor(spec, target, facts, profile));
        objects.Add(EndpointDashboard.ConfigMap(spec, target, facts, profile, Metadata(spec, target, $"{spec.Name}-dashboard")));
        return objects;
    }

    // ---- metadata ----

    private static JsonObject Labels(EndpointSpec spec, EndpointTarget target, Variant? variant = null)
    {
        var labels = new JsonObject
        {
            ["app.kubernetes.io/name"] = spec.Name,
            ["app.kubernetes.io/managed-by"] = ManagedBy,
            [TeamLabel] = target.Team,
            [EndpointLabel] = spec.Name,
        };
        if (variant is not null) labels[VariantLabel] = variant.Role;
        return labels;
    }

    internal static JsonObject Metadata(EndpointSpec spec, EndpointTarget target, string name, Variant? variant = null, JsonObject? annotations = null)
    {
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = target.Namespace, ["labels"] = Labels(spec, target, variant) };
        if (annotations is { Count: > 0 }) metadata["annotations"] = annotations;
        return metadata;
    }

    private static JsonObject Selector(EndpointSpec spec, Variant? variant)
    {
        var labels = new JsonObject { [EndpointLabel] = spec.Name };
        if (variant is not null) labels[VariantLabel] = variant.Role;
        return labels;
    }

    private static JsonArray Array(params IEnumerable<JsonNode?> items) => new([.. items]);

    private static JsonArray Strings(IEnumerable<string> items) => new([.. items.Select(i => (JsonNode?)JsonValue.Create(i))]);

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    // ---- workload ----

    private static JsonObject ServiceAccount(EndpointSpec spec, EndpointTarget target)
    {
        // IRSA: the EKS pod identity webhook gives pods of this account the role's web identity credentials.
        var annotations = spec.Model.IamRoleArn is { } role ? new JsonObject { ["eks.amazonaws.com/role-arn"] = role } : null;
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = Metadata(spec, target, spec.Name, annotations: annotations),
        };
    }

    private static JsonObject TensorflowConfig(EndpointSpec spec, EndpointTarget target) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = Metadata(spec, target, $"{spec.Name}-tfserving"),
        ["data"] = new JsonObject { ["monitoring.config"] = RuntimeProfile.TensorflowMonitoringConfig },
    };

    private static JsonObject Deployment(EndpointSpec spec, EndpointTarget target, RuntimeProfile profile, GpuType gpuType, Variant variant)
    {
        var modelDir = $"{profile.ModelRoot.TrimEnd('/')}/{spec.Model.Name}";
        var gpuCount = spec.Gpu.Count.ToString(CultureInfo.InvariantCulture);

        var ports = new JsonArray();
        if (profile.HttpPort is { } http) ports.Add(Port(RuntimeProfile.HttpPortName, http));
        if (profile.GrpcPort is { } grpc) ports.Add(Port(RuntimeProfile.GrpcPortName, grpc));
        if (profile.MetricsPort is { } metrics && profile.MetricsPortName != RuntimeProfile.HttpPortName) ports.Add(Port(profile.MetricsPortName, metrics));

        var mounts = new JsonArray(new JsonObject { ["name"] = "models", ["mountPath"] = profile.ModelRoot, ["readOnly"] = true });
        var volumes = new JsonArray(new JsonObject { ["name"] = "models", ["emptyDir"] = new JsonObject() });
        if (spec.Runtime == EndpointRuntime.Triton)
        {
            // Triton's Python backend and DALI share tensors through /dev/shm; the container default (64 MiB) is too small.
            mounts.Add(new JsonObject { ["name"] = "shm", ["mountPath"] = "/dev/shm" });
            volumes.Add(new JsonObject { ["name"] = "shm", ["emptyDir"] = new JsonObject { ["medium"] = "Memory", ["sizeLimit"] = "1Gi" } });
        }
        if (spec.Runtime == EndpointRuntime.TensorflowServing)
        {
            mounts.Add(new JsonObject { ["name"] = "tfserving-config", ["mountPath"] = "/etc/tfserving", ["readOnly"] = true });
            volumes.Add(new JsonObject { ["name"] = "tfserving-config", ["configMap"] = new JsonObject { ["name"] = $"{spec.Name}-tfserving" } });
        }

        var server = new JsonObject
        {
            ["name"] = "server",
            ["image"] = profile.Image,
        };
        if (spec.Runtime == EndpointRuntime.TensorflowServing) server["command"] = Strings(["tensorflow_model_server"]);
        var args = profile.Args(spec, variant.ModelVersion);
        if (args.Count > 0) server["args"] = Strings(args);
        server["ports"] = ports;
        server["resources"] = new JsonObject
        {
            ["requests"] = new JsonObject { ["cpu"] = spec.Resources.Cpu, ["memory"] = spec.Resources.Memory, [GpuResource] = gpuCount },
            // GPUs are requested through limits (extended resources cannot overcommit); memory too, so a leak kills the pod, not the node.
            ["limits"] = new JsonObject { ["memory"] = spec.Resources.Memory, [GpuResource] = gpuCount },
        };
        var readiness = profile.Readiness(spec.Model, variant.ModelVersion);
        // Loading a large model can take minutes: the startup probe holds off liveness until it is in.
        server["startupProbe"] = HttpProbe(readiness, periodSeconds: 10, failureThreshold: 90);
        server["readinessProbe"] = HttpProbe(readiness, periodSeconds: 5, failureThreshold: 3);
        server["livenessProbe"] = HttpProbe(profile.Liveness(spec.Model, variant.ModelVersion), periodSeconds: 10, failureThreshold: 3);
        // Keep serving while the load balancer deregisters the pod (its deregistration delay matches), then stop.
        server["lifecycle"] = new JsonObject { ["preStop"] = new JsonObject { ["sleep"] = new JsonObject { ["seconds"] = DrainSeconds } } };
        server["volumeMounts"] = mounts;

        var fetch = new JsonObject
        {
            ["name"] = "fetch-model",
            ["image"] = ModelFetchImage,
            // Only the served version (and Triton's config.pbtxt beside it): one version on disk is what the server loads.
            ["command"] = Strings(["aws", "s3", "sync", spec.Model.Uri.TrimEnd('/'), modelDir, "--only-show-errors",
                "--exclude", "*", "--include", "config.pbtxt", "--include", $"{variant.ModelVersion}/*"]),
            ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "500m", ["memory"] = "512Mi" }, ["limits"] = new JsonObject { ["memory"] = "1Gi" } },
            ["volumeMounts"] = Array(new JsonObject { ["name"] = "models", ["mountPath"] = profile.ModelRoot }),
        };

        var podSpec = new JsonObject
        {
            ["serviceAccountName"] = spec.Name,
            ["enableServiceLinks"] = false,
            ["terminationGracePeriodSeconds"] = TerminationGraceSeconds,
            ["initContainers"] = Array(fetch),
            ["containers"] = Array(server),
            ["volumes"] = volumes,
            ["affinity"] = new JsonObject
            {
                ["nodeAffinity"] = new JsonObject
                {
                    ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonObject
                    {
                        ["nodeSelectorTerms"] = Array(new JsonObject
                        {
                            ["matchExpressions"] = Array(new JsonObject
                            {
                                ["key"] = InstanceTypeLabel,
                                ["operator"] = "In",
                                ["values"] = Strings(GpuTypes.Candidates(gpuType, spec.Gpu.Count).Select(t => t.Name)),
                            }),
                        }),
                    },
                },
            },
            ["tolerations"] = Array(new JsonObject { ["key"] = NodePool.GpuTaint.Key, ["operator"] = "Exists", ["effect"] = "NoSchedule" }),
        };

        var deploymentSpec = new JsonObject();
        // KEDA's HPA owns the replica count; a variant with no traffic share is parked at zero (flipping the weight scales it, no re-create).
        if (variant.TrafficPercent == 0) deploymentSpec["replicas"] = 0;
        deploymentSpec["revisionHistoryLimit"] = 3;
        deploymentSpec["progressDeadlineSeconds"] = 1200;
        deploymentSpec["selector"] = new JsonObject { ["matchLabels"] = Selector(spec, variant) };
        // Surge one, never fewer: GPU capacity is scarce, and dropping a replica before its successor is ready drops requests.
        deploymentSpec["strategy"] = new JsonObject
        {
            ["type"] = "RollingUpdate",
            ["rollingUpdate"] = new JsonObject { ["maxSurge"] = 1, ["maxUnavailable"] = 0 },
        };
        deploymentSpec["template"] = new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = Labels(spec, target, variant) },
            ["spec"] = podSpec,
        };

        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = Metadata(spec, target, variant.DeploymentName, variant),
            ["spec"] = deploymentSpec,
        };
    }

    private static JsonObject Port(string name, int port) => new() { ["name"] = name, ["containerPort"] = port, ["protocol"] = "TCP" };

    private static JsonObject HttpProbe(string path, int periodSeconds, int failureThreshold) => new()
    {
        ["httpGet"] = new JsonObject { ["path"] = path, ["port"] = RuntimeProfile.HttpPortName },
        ["periodSeconds"] = periodSeconds,
        ["failureThreshold"] = failureThreshold,
        ["timeoutSeconds"] = 2,
    };

    // ---- traffic ----

    /// <summary>
    /// One Service per variant and protocol: each becomes an ALB target group, and the target-group settings (HTTP/2 +
    /// gRPC, health check, deregistration delay) ride on the Service so HTTP and gRPC groups of one Ingress differ.
    /// </summary>
    private static JsonObject Service(EndpointSpec spec, EndpointTarget target, RuntimeProfile profile, Variant variant, bool grpc)
    {
        var annotations = new JsonObject
        {
            [Alb + "backend-protocol"] = "HTTP",
            [Alb + "backend-protocol-version"] = grpc ? "GRPC" : "HTTP1",
            [Alb + "healthcheck-path"] = grpc ? profile.GrpcHealthCheckPath : profile.Readiness(spec.Model, variant.ModelVersion),
            [Alb + "success-codes"] = grpc ? profile.GrpcHealthCheckCodes : "200",
            [Alb + "target-group-attributes"] = $"deregistration_delay.timeout_seconds={DrainSeconds}",
        };
        var port = new JsonObject
        {
            ["name"] = grpc ? RuntimeProfile.GrpcPortName : RuntimeProfile.HttpPortName,
            ["port"] = grpc ? profile.GrpcPort : profile.HttpPort,
            ["targetPort"] = grpc ? RuntimeProfile.GrpcPortName : RuntimeProfile.HttpPortName,
            ["protocol"] = "TCP",
        };
        // Tells meshes and the Gateway API that this port speaks HTTP/2 without TLS (what gRPC servers do in-cluster).
        if (grpc) port["appProtocol"] = "kubernetes.io/h2c";
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = Metadata(spec, target, variant.ServiceName(grpc ? "grpc" : "http"), variant, annotations),
            ["spec"] = new JsonObject
            {
                ["type"] = "ClusterIP",
                ["selector"] = Selector(spec, variant),
                ["ports"] = Array(port),
            },
        };
    }

    private static JsonObject MetricsService(EndpointSpec spec, EndpointTarget target, RuntimeProfile profile)
    {
        var metadata = Metadata(spec, target, $"{spec.Name}-metrics");
        metadata["labels"]![RoleLabel] = "metrics";
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["type"] = "ClusterIP",
                // Both variants: the dashboard and the scaling queries see the whole endpoint, split by the variant label.
                ["selector"] = Selector(spec, null),
                ["ports"] = Array(new JsonObject
                {
                    ["name"] = "metrics",
                    ["port"] = profile.MetricsPort,
                    ["targetPort"] = profile.MetricsPortName,
                    ["protocol"] = "TCP",
                }),
            },
        };
    }

    /// <summary>
    /// One Ingress for the AWS Load Balancer Controller, HTTPS only, in the team's ALB group. With a canary taking
    /// traffic, each host forwards through a weighted action across the two variants' target groups.
    /// </summary>
    private static JsonObject Ingress(EndpointSpec spec, EndpointTarget target, ClusterFacts facts, IReadOnlyList<Variant> variants)
    {
        var annotations = new JsonObject
        {
            [Alb + "scheme"] = facts.InternetFacing ? "internet-facing" : "internal",
            [Alb + "target-type"] = "ip",
            [Alb + "group.name"] = $"unicron-{target.Team}",
            // No plain-HTTP listener at all; should another Ingress of the group open port 80, it only redirects.
            [Alb + "listen-ports"] = """[{"HTTPS":443}]""",
            [Alb + "ssl-redirect"] = "443",
            [Alb + "ssl-policy"] = "ELBSecurityPolicy-TLS13-1-2-2021-06",
        };
        if (facts.CertificateArn is { } certificate) annotations[Alb + "certificate-arn"] = certificate;

        var (httpHost, grpcHost) = Hosts(spec, target, facts);
        var split = variants.Count > 1 && variants.All(v => v.TrafficPercent > 0);
        var rules = new JsonArray();
        foreach (var (host, protocol) in new[] { (grpcHost, "grpc"), (httpHost, "http") })
        {
            if (host is null) continue;
            JsonObject backend;
            if (split)
            {
                var action = $"{spec.Name}-{protocol}-split";
                annotations[Alb + "actions." + action] = JsonSerializer.Serialize(new
                {
                    type = "forward",
                    forwardConfig = new
                    {
                        targetGroups = variants.Select(v => new { serviceName = v.ServiceName(protocol), servicePort = protocol, weight = v.TrafficPercent }).ToArray(),
                    },
                });
                backend = new JsonObject { ["name"] = action, ["port"] = new JsonObject { ["name"] = "use-annotation" } };
            }
            else
            {
                var serving = variants.First(v => v.TrafficPercent > 0);
                backend = new JsonObject { ["name"] = serving.ServiceName(protocol), ["port"] = new JsonObject { ["name"] = protocol } };
            }
            rules.Add(new JsonObject
            {
                ["host"] = host,
                ["http"] = new JsonObject
                {
                    ["paths"] = Array(new JsonObject { ["path"] = "/", ["pathType"] = "Prefix", ["backend"] = new JsonObject { ["service"] = backend } }),
                },
            });
        }
        return new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "Ingress",
            ["metadata"] = Metadata(spec, target, spec.Name, annotations: annotations),
            ["spec"] = new JsonObject
            {
                ["ingressClassName"] = "alb",
                // Hosts under tls let the controller find the ACM certificate by name when none is given.
                ["tls"] = Array(new JsonObject { ["hosts"] = Strings(new[] { grpcHost, httpHost }.OfType<string>()) }),
                ["rules"] = rules,
            },
        };
    }

    // ---- scaling ----

    private static string TriggerAuthenticationName(EndpointSpec spec, int index) => $"{spec.Name}-prometheus-{index}";

    private static IEnumerable<JsonObject> TriggerAuthentications(EndpointSpec spec, EndpointTarget target)
    {
        var triggers = spec.Autoscaling.Triggers;
        for (var i = 0; i < triggers.Count; i++)
        {
            if (triggers[i] is not { Kind: ScalingTriggerKind.Prometheus, AuthSecretName: { } secret }) continue;
            yield return new JsonObject
            {
                ["apiVersion"] = "keda.sh/v1alpha1",
                ["kind"] = "TriggerAuthentication",
                ["metadata"] = Metadata(spec, target, TriggerAuthenticationName(spec, i)),
                ["spec"] = new JsonObject
                {
                    ["secretTargetRef"] = Array(new JsonObject { ["parameter"] = "bearerToken", ["name"] = secret, ["key"] = "token" }),
                },
            };
        }
    }

    private static JsonObject ScaledObject(EndpointSpec spec, EndpointTarget target, ClusterFacts facts, Variant variant)
    {
        var scaling = spec.Autoscaling;
        var share = variant.TrafficPercent / 100.0;
        var triggers = new JsonArray();
        for (var i = 0; i < scaling.Triggers.Count; i++)
        {
            var trigger = scaling.Triggers[i];
            switch (trigger.Kind)
            {
                case ScalingTriggerKind.Prometheus:
                {
                    // The query measures the whole endpoint; this variant receives its traffic share of it, so one of
                    // its replicas carries the threshold when the whole is threshold / share per replica.
                    var metadata = new JsonObject
                    {
                        ["serverAddress"] = trigger.ServerAddress ?? facts.PrometheusAddress,
                        ["query"] = trigger.Query,
                        ["threshold"] = Number(trigger.Threshold / share),
                        ["activationThreshold"] = Number(trigger.ActivationThreshold ?? 0),
                    };
                    var item = new JsonObject { ["type"] = "prometheus", ["name"] = $"prometheus-{i}", ["metadata"] = metadata };
                    if (trigger.AuthSecretName is not null)
                    {
                        metadata["authModes"] = "bearer";
                        item["authenticationRef"] = new JsonObject { ["name"] = TriggerAuthenticationName(spec, i) };
                    }
                    triggers.Add(item);
                    break;
                }
                case ScalingTriggerKind.Cpu:
                    triggers.Add(new JsonObject
                    {
                        ["type"] = "cpu",
                        ["name"] = "cpu",
                        ["metricType"] = "Utilization",
                        ["metadata"] = new JsonObject { ["value"] = Number(trigger.Threshold) },
                    });
                    break;
                case ScalingTriggerKind.GpuUtilization:
                    // DCGM reports per GPU; the sum over this variant's pods divided by the per-replica target (percent × GPUs) gives replicas.
                    triggers.Add(new JsonObject
                    {
                        ["type"] = "prometheus",
                        ["name"] = "gpu-utilization",
                        ["metadata"] = new JsonObject
                        {
                            ["serverAddress"] = facts.PrometheusAddress,
                            ["query"] = GpuUtilizationQuery(target, facts, variant),
                            ["threshold"] = Number(trigger.Threshold * spec.Gpu.Count),
                        },
                    });
                    break;
            }
        }

        var up = scaling.ScaleUp ?? ScalingBehavior.DefaultUp;
        var down = scaling.ScaleDown ?? ScalingBehavior.DefaultDown;
        var min = variant.Role == "canary" ? Math.Min(scaling.MinReplicas, 1) : scaling.MinReplicas;
        var max = MaxReplicas(spec, variant);
        return new JsonObject
        {
            ["apiVersion"] = "keda.sh/v1alpha1",
            ["kind"] = "ScaledObject",
            ["metadata"] = Metadata(spec, target, variant.DeploymentName, variant),
            ["spec"] = new JsonObject
            {
                ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = variant.DeploymentName },
                ["pollingInterval"] = scaling.PollingIntervalSeconds,
                ["cooldownPeriod"] = scaling.CooldownSeconds,
                ["minReplicaCount"] = Math.Min(min, max),
                ["maxReplicaCount"] = max,
                ["advanced"] = new JsonObject
                {
                    ["horizontalPodAutoscalerConfig"] = new JsonObject
                    {
                        ["behavior"] = new JsonObject { ["scaleUp"] = Behavior(up, "Max"), ["scaleDown"] = Behavior(down, "Min") },
                    },
                },
                ["triggers"] = triggers,
            },
        };
    }

    /// <summary>A variant's replica ceiling: its traffic share of the endpoint's maximum, rounded up, at least 1.</summary>
    public static int MaxReplicas(EndpointSpec spec, Variant variant) =>
        Math.Max(1, (spec.Autoscaling.MaxReplicas * variant.TrafficPercent + 99) / 100);

    /// <summary>Sum of GPU utilisation (percent per GPU) over the variant's pods, as the DCGM exporter labels them.</summary>
    public static string GpuUtilizationQuery(EndpointTarget target, ClusterFacts facts, Variant variant) =>
        $"sum(DCGM_FI_DEV_GPU_UTIL{{{facts.DcgmNamespaceLabel}=\"{target.Namespace}\",{facts.DcgmPodLabel}=~\"{variant.DeploymentName}-[a-z0-9]+-[a-z0-9]+\"}})";

    /// <summary>An HPA scaling rule: up picks the most permissive policy (Max), down the most careful (Min).</summary>
    private static JsonObject Behavior(ScalingBehavior behavior, string select)
    {
        var policies = new JsonArray();
        if (behavior.MaxPodsPerPeriod is { } pods) policies.Add(new JsonObject { ["type"] = "Pods", ["value"] = pods, ["periodSeconds"] = behavior.PeriodSeconds });
        if (behavior.MaxPercentPerPeriod is { } percent) policies.Add(new JsonObject { ["type"] = "Percent", ["value"] = percent, ["periodSeconds"] = behavior.PeriodSeconds });
        return new JsonObject
        {
            ["stabilizationWindowSeconds"] = behavior.StabilizationWindowSeconds,
            ["selectPolicy"] = select,
            ["policies"] = policies,
        };
    }

    // ---- availability and observability ----

    private static JsonObject DisruptionBudget(EndpointSpec spec, EndpointTarget target) => new()
    {
        ["apiVersion"] = "policy/v1",
        ["kind"] = "PodDisruptionBudget",
        ["metadata"] = Metadata(spec, target, spec.Name),
        ["spec"] = new JsonObject
        {
            // maxUnavailable, not minAvailable: a budget of "at least 1" would block every drain of a one-replica endpoint
            // and means nothing at zero replicas.
            ["maxUnavailable"] = 1,
            ["selector"] = new JsonObject { ["matchLabels"] = Selector(spec, null) },
            // A pod that never became ready (model failed to load) must not hold a node drain hostage.
            ["unhealthyPodEvictionPolicy"] = "AlwaysAllow",
        },
    };

    private static JsonObject ServiceMonitor(EndpointSpec spec, EndpointTarget target, ClusterFacts facts, RuntimeProfile profile)
    {
        var metadata = Metadata(spec, target, spec.Name);
        // kube-prometheus-stack's Prometheus selects ServiceMonitors by its release label.
        metadata["labels"]!["release"] = facts.PrometheusRelease;
        return new JsonObject
        {
            ["apiVersion"] = "monitoring.coreos.com/v1",
            ["kind"] = "ServiceMonitor",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { [EndpointLabel] = spec.Name, [RoleLabel] = "metrics" } },
                ["namespaceSelector"] = new JsonObject { ["matchNames"] = Strings([target.Namespace]) },
                // The variant label of each pod on its series, so dashboards and queries can tell stable from canary.
                ["podTargetLabels"] = Strings([VariantLabel]),
                ["endpoints"] = Array(new JsonObject
                {
                    ["port"] = "metrics",
                    ["path"] = profile.MetricsPath,
                    ["interval"] = "15s",
                }),
            },
        };
    }
}
