namespace Portal.Core.Endpoints.Spec;

/// <summary>Where an endpoint's objects go: the owning team, the cluster, and the team's namespace on it.</summary>
public sealed record EndpointTarget(string Team, string Cluster, string Namespace);

/// <summary>
/// What the renderer and the rules need to know about the cluster an endpoint runs on. The reconciler fills it from
/// the cluster resource and its add-ons; the defaults are the platform's core bootstrap (kube-prometheus-stack release
/// <c>kube-prometheus-stack</c> in <c>monitoring</c>, KEDA, AWS Load Balancer Controller, EKS managed node groups).
/// </summary>
/// <param name="UsesKarpenter">GPU capacity comes from a Karpenter NodePool instead of a managed node group.</param>
/// <param name="ExternalMetricsOwner">
/// The add-on that owns the cluster's <c>v1beta1.external.metrics.k8s.io</c> APIService, when it is not KEDA (only one
/// adapter can serve it). KEDA's Prometheus-based triggers need that API, so the rules refuse them and say why.
/// </param>
/// <param name="PrometheusAddress">What KEDA queries for Prometheus and GPU triggers.</param>
/// <param name="PrometheusRelease">The kube-prometheus-stack release: its Prometheus selects ServiceMonitors by <c>release</c>.</param>
/// <param name="BaseDomain">Endpoints are served at <c>{endpoint}.{team}.{BaseDomain}</c> (gRPC: <c>{endpoint}-grpc...</c>).</param>
/// <param name="CertificateArn">ACM certificate for the listener; null lets the controller discover one by host name.</param>
/// <param name="InternetFacing">ALB scheme; team endpoints are internal unless the environment says otherwise.</param>
/// <param name="KarpenterNodeClass">The EC2NodeClass a Karpenter NodePool refers to.</param>
/// <param name="DcgmPodLabel">The label carrying the pod name on DCGM exporter series (with honorLabels, <c>pod</c>).</param>
public sealed record ClusterFacts(
    string BaseDomain,
    bool UsesKarpenter = false,
    string? ExternalMetricsOwner = null,
    string PrometheusAddress = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090",
    string PrometheusRelease = "kube-prometheus-stack",
    string? CertificateArn = null,
    bool InternetFacing = false,
    string KarpenterNodeClass = "default",
    string DcgmPodLabel = "pod",
    string DcgmNamespaceLabel = "namespace");
