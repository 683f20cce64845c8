using System.Text.Json.Nodes;
using Portal.Core.Addons.Catalog;
using Portal.Core.Clusters;

namespace Portal.Web.Tests.Components.Catalog;

/// <summary>A small in-memory catalogue: one entry per case the pages draw differently.</summary>
internal static class TestCatalog
{
    public static AddonVersion Version(string version, Maturity maturity, AddonSource? source = null, JsonObject? schema = null,
        JsonObject? defaults = null, IReadOnlyList<AddonRequirement>? requires = null, string? minKubernetes = null,
        IReadOnlyList<string>? provides = null, IReadOnlyList<string>? conflicts = null, string notes = "Upstream release.") =>
        new(version, maturity, source ?? new AddonSource(new HelmSource("https://charts.example.test", "chart", version), null), "addons",
            defaults ?? [], null, schema, requires ?? [],
            minKubernetes is null ? null : KubernetesVersion.TryParse(minKubernetes, out var min) ? min : throw new ArgumentException(minKubernetes),
            null, provides ?? [], conflicts ?? [], notes);

    public static AddonEntry Spark { get; } = new("spark-operator", "Spark operator", AddonCategory.DataProcessing,
        "Runs Apache Spark applications as Kubernetes resources. Submits, monitors and retries jobs.",
        new Uri("https://www.kubeflow.org/docs/components/spark-operator/"), "Bolt",
        [
            Version("2.6.0", Maturity.Alpha, new AddonSource(new HelmSource("https://kubeflow.github.io/spark-operator", "spark-operator", "2.6.0"), null), notes: "Preview of 2.6."),
            Version("2.5.2", Maturity.Stable, new AddonSource(new HelmSource("https://kubeflow.github.io/spark-operator", "spark-operator", "2.5.2"), null),
                minKubernetes: "1.29", notes: "Fixes webhook certificates."),
        ]);

    public static AddonEntry Mlflow { get; } = new("mlflow", "MLflow", AddonCategory.MlLifecycle,
        "Experiment tracking and a model registry.", new Uri("https://mlflow.org/docs/latest/"), "ModelTraining",
        [
            Version("1.11.5", Maturity.Beta, schema: SchemaFormTests.Schema(), defaults: SchemaFormTests.Defaults()),
            Version("1.10.0", Maturity.Stable, schema: SchemaFormTests.Schema(), defaults: SchemaFormTests.Defaults()),
        ]);

    public static AddonEntry Luigi { get; } = new("luigi", "Luigi", AddonCategory.Orchestration,
        "Spotify's Python pipelines of batch jobs.", new Uri("https://luigi.readthedocs.io/"), "NoSuchMaterialIcon",
        [Version("3.6.0", Maturity.Alpha, new AddonSource(null, new GitSource("https://git.example.test/platform/luigi", "deploy/overlays/portal", "v3.6.0")))],
        Delivery: "No maintained chart exists: the platform ships kustomize manifests of the central scheduler.");

    public static AddonEntry Keda { get; } = new("keda", "KEDA", AddonCategory.Monitoring,
        "Event-driven autoscaling.", new Uri("https://keda.sh/docs/"), "Speed",
        [Version("2.20.2", Maturity.Stable, provides: ["external-metrics-adapter"])]);

    public static AddonCatalog Catalog { get; } = new([Spark, Mlflow, Luigi, Keda]);
}
