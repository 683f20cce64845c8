using System.Text.Json.Nodes;
using Portal.Core.Common;

namespace Portal.Core.Clusters.Bootstrap;

/// <summary>One platform component installed through Argo CD: a Helm chart from its upstream repository.</summary>
/// <param name="Name">The Argo CD Application's name.</param>
/// <param name="Namespace">Where the chart's workloads run.</param>
/// <param name="GpuOnly">Installed only while the cluster has a GPU pool (the NVIDIA device plugin).</param>
public sealed record CoreComponent(string Name, string RepoUrl, string Chart, string Version, string Namespace, bool GpuOnly = false);

/// <summary>
/// What a new cluster gets before teams use it (ARCHITECTURE.md, "Clusters"): the platform namespaces, Argo CD's
/// CRDs and the <c>platform</c> project, Argo CD itself (<see cref="ArgoCdInstall"/>), then the core components as Argo CD
/// Applications that Argo CD keeps synced.
/// Everything is built here, in code or from the CRDs shipped inside this assembly, so what the portal applies is
/// what the repository holds.
/// </summary>
public static class BootstrapManifests
{
    public const string ArgoNamespace = "argocd";
    public const string Project = "platform";
    public const string ApplicationApiVersion = "argoproj.io/v1alpha1";
    public const string ApplicationCrdName = "applications.argoproj.io";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "unicron-portal";

    /// <summary>
    /// The core components. Each chart version was read from the chart's own upstream source (recorded in
    /// docs/reconciliation.md, "Core component versions") and supports Kubernetes 1.32–1.34:
    /// cluster-autoscaler 9.59.1 (kubernetes/autoscaler <c>cluster-autoscaler/charts/cluster-autoscaler/Chart.yaml</c>,
    /// appVersion 1.35.0; the image tag is pinned to the cluster's minor, see <see cref="Values"/>),
    /// keda 2.20.2 (shared/specs/SOURCES.md), kube-prometheus-stack 81.4.5 (prometheus-community/helm-charts, kubeVersion
    /// &gt;=1.25), fluent-bit 0.54.0 (fluent/helm-charts, Fluent Bit 4.0.7), nvidia-device-plugin 0.19.0 (NVIDIA's Helm
    /// repository; 0.18.1 was never published there).
    /// </summary>
    public static IReadOnlyList<CoreComponent> Components { get; } =
    [
        new("cluster-autoscaler", "https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.59.1", "kube-system"),
        new("keda", "https://kedacore.github.io/charts", "keda", "2.20.2", "keda"),
        new("kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "81.4.5", "monitoring"),
        new("fluent-bit", "https://fluent.github.io/helm-charts", "fluent-bit", "0.54.0", "logging"),
        new("nvidia-device-plugin", "https://nvidia.github.io/k8s-device-plugin", "nvidia-device-plugin", "0.19.0", "kube-system", GpuOnly: true),
    ];

    public static IReadOnlyList<CoreComponent> ComponentsFor(bool hasGpuPool) => [.. Components.Where(c => hasGpuPool || !c.GpuOnly)];

    /// <summary>Namespaces first, then CRDs (a custom resource cannot be applied before its type exists), then the project.</summary>
    public static IEnumerable<JsonObject> Foundation()
    {
        foreach (var ns in Components.Select(c => c.Namespace).Prepend(ArgoNamespace).Distinct().Where(n => n != "kube-system"))
            yield return Namespace(ns);
        yield return Crd("argoproj.io_applications.yaml");
        yield return Crd("argoproj.io_appprojects.yaml");
        yield return new JsonObject
        {
            ["apiVersion"] = ApplicationApiVersion,
            ["kind"] = "AppProject",
            ["metadata"] = Metadata(Project, ArgoNamespace),
            ["spec"] = new JsonObject
            {
                ["description"] = "Platform components the Unicron portal installs on every cluster.",
                ["sourceRepos"] = new JsonArray(Components.Select(c => (JsonNode?)c.RepoUrl).ToArray()),
                ["destinations"] = new JsonArray(new JsonObject { ["server"] = "https://kubernetes.default.svc", ["namespace"] = "*" }),
                ["clusterResourceWhitelist"] = new JsonArray(new JsonObject { ["group"] = "*", ["kind"] = "*" }),
            },
        };
    }

    /// <summary>The Argo CD Application of one component, with the values that tie it to this cluster.</summary>
    /// <param name="kubernetesVersion">The control plane's "major.minor": the cluster autoscaler's image follows it.</param>
    public static JsonObject Application(CoreComponent component, string eksName, string region, string? kubernetesVersion = null) => new()
    {
        ["apiVersion"] = ApplicationApiVersion,
        ["kind"] = "Application",
        ["metadata"] = Metadata(component.Name, ArgoNamespace),
        ["spec"] = new JsonObject
        {
            ["project"] = Project,
            ["source"] = new JsonObject
            {
                ["repoURL"] = component.RepoUrl,
                ["chart"] = component.Chart,
                ["targetRevision"] = component.Version,
                ["helm"] = new JsonObject { ["releaseName"] = component.Name, ["valuesObject"] = Values(component, eksName, region, kubernetesVersion) },
            },
            ["destination"] = new JsonObject { ["server"] = "https://kubernetes.default.svc", ["namespace"] = component.Namespace },
            ["syncPolicy"] = new JsonObject
            {
                ["automated"] = new JsonObject { ["prune"] = true, ["selfHeal"] = true },
                ["syncOptions"] = new JsonArray("CreateNamespace=true", "ServerSideApply=true"),
            },
        },
    };

    private static JsonObject Values(CoreComponent component, string eksName, string region, string? kubernetesVersion) => component.Name switch
    {
        // Auto-discovery finds the node groups by the tags EKS puts on their Auto Scaling groups. The autoscaler's
        // minor version must match the control plane's (its FAQ), while the chart ships the newest: pin the image,
        // so an upgrade of the cluster re-applies the Application with the next autoscaler.
        "cluster-autoscaler" => kubernetesVersion is null
            ? new JsonObject { ["autoDiscovery"] = new JsonObject { ["clusterName"] = eksName }, ["awsRegion"] = region }
            : new JsonObject
            {
                ["autoDiscovery"] = new JsonObject { ["clusterName"] = eksName },
                ["awsRegion"] = region,
                ["image"] = new JsonObject { ["tag"] = $"v{kubernetesVersion}.0" },
            },
        // The device plugin must run on the tainted GPU nodes it serves.
        "nvidia-device-plugin" => new JsonObject
        {
            ["tolerations"] = new JsonArray(new JsonObject { ["key"] = "nvidia.com/gpu", ["operator"] = "Exists", ["effect"] = "NoSchedule" }),
        },
        _ => [],
    };

    private static JsonObject Namespace(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = Metadata(name, null),
    };

    private static JsonObject Metadata(string name, string? ns)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null) metadata["namespace"] = ns;
        metadata["labels"] = new JsonObject { [ManagedByLabel] = ManagedBy };
        return metadata;
    }

    private static JsonObject Crd(string file)
    {
        var name = $"Portal.Core.Clusters.Bootstrap.{file}";
        using var stream = typeof(BootstrapManifests).Assembly.GetManifestResourceStream(name)
                           ?? throw new InvalidOperationException($"The bootstrap manifest {name} is not embedded in Portal.Core.");
        using var reader = new StreamReader(stream);
        return Yaml.ToJson(reader)!.AsObject();
    }
}
