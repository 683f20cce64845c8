using System.ComponentModel.DataAnnotations;

namespace Portal.Emulator.Kubernetes;

/// <summary>
/// How the emulated Kubernetes API behaves. Every controller delay may be zero, which makes a test run as fast as
/// the HTTP round trips; the defaults are short but visible so a human watching the portal sees the transitions.
/// </summary>
public sealed class KubernetesEmulatorOptions
{
    public const string SectionName = "Emulator:Kubernetes";

    /// <summary>Where the specs folder lives; null finds it next to the binaries or by walking up to <c>shared/specs</c>.</summary>
    public string? SpecsDirectory { get; set; }

    /// <summary>Reported by <c>/version</c> when the cluster does not name its own version.</summary>
    public string DefaultKubernetesVersion { get; set; } = "1.34";

    /// <summary>Namespaces every cluster starts with.</summary>
    public List<string> DefaultNamespaces { get; set; } = ["default", "kube-system", "kube-public", "kube-node-lease"];

    /// <summary>How long a Deployment's or a StatefulSet's replicas take to become ready and available.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan DeploymentReadyDelay { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan JobCompletionDelay { get; set; } = TimeSpan.FromSeconds(3);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan NamespaceDeletionDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ApplicationSyncDelay { get; set; } = TimeSpan.FromSeconds(3);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ScaledObjectReadyDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest a watch request stays open; clients re-list and re-watch after it, as with a real apiserver.</summary>
    public TimeSpan MaxWatchDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Helm charts the simulated Argo CD can "resolve", as <c>repoURL|chart</c> (version-independent) or
    /// <c>repoURL|chart|version</c>. An Application whose Helm source is not listed becomes Degraded, as a real
    /// Argo CD does when the repository has no such chart.
    /// </summary>
    public List<string> KnownHelmCharts { get; set; } =
    [
        "https://argoproj.github.io/argo-helm|argo-cd",
        "https://argoproj.github.io/argo-helm|argo-workflows",
        "https://kedacore.github.io/charts|keda",
        "oci://public.ecr.aws/karpenter|karpenter",
        "https://kubernetes.github.io/autoscaler|cluster-autoscaler",
        "https://prometheus-community.github.io/helm-charts|kube-prometheus-stack",
        "https://fluent.github.io/helm-charts|fluent-bit",
        "https://nvidia.github.io/k8s-device-plugin|nvidia-device-plugin",
        "https://kubernetes-sigs.github.io/metrics-server|metrics-server",
        "https://kubeflow.github.io/spark-operator|spark-operator",
        "https://community-charts.github.io/helm-charts|mlflow",
        "oci://registry-1.docker.io/bitnamicharts|mlflow",
        "https://airflow.apache.org|airflow",
        "https://helm.datadoghq.com|datadog",
        "https://helm.dask.org/|dask",
        "https://helm.dask.org/|daskhub",
        "https://hub.jupyter.org/helm-chart/|jupyterhub",
        "https://charts.jetstack.io|cert-manager",
    ];

    /// <summary>Git repositories Argo CD can resolve; empty means every Git source resolves.</summary>
    public List<string> KnownGitRepositories { get; set; } = [];
}
