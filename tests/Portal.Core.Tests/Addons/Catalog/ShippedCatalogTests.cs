using Portal.Core.Addons.Catalog;
using Portal.Core.Clusters;
using Portal.Core.Environments;
using Portal.Emulator.Kubernetes;

namespace Portal.Core.Tests.Addons.Catalog;

/// <summary>The catalogue that ships in catalog/ at the repository root, as the host loads it from the output folder.</summary>
public sealed class ShippedCatalogTests
{
    private static readonly AddonCatalog Catalog = AddonCatalog.Load(AddonCatalog.DefaultDirectory);

    public static TheoryData<string> ShippedIds() =>
    [
        "spark-operator", "airflow", "luigi", "argo-workflows", "kubeflow-notebooks", "kubeflow-pipelines", "katib",
        "kubeflow-training-operator", "mlflow", "dask", "jupyterhub", "datadog", "keda", "cert-manager",
    ];

    [Fact]
    public void EveryShippedFile_Loads_OneEntryPerFile_SortedByName()
    {
        var files = Directory.GetFiles(AddonCatalog.DefaultDirectory, "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)!).Order().ToList();
        Assert.Equal(files, Catalog.Entries.Select(e => e.Id).Order().ToList());
        Assert.Equal(Catalog.Entries.Select(e => e.Name).Order(StringComparer.OrdinalIgnoreCase), Catalog.Entries.Select(e => e.Name));
    }

    [Theory]
    [MemberData(nameof(ShippedIds))]
    public void TheIssuesAddons_AreAllShipped_WithAtLeastOneVersion(string id)
    {
        var entry = Catalog.Find(id);
        Assert.NotNull(entry);
        Assert.NotEmpty(entry.Versions);
        Assert.All(entry.Versions, v => Assert.False(string.IsNullOrWhiteSpace(v.ReleaseNotes)));
    }

    [Fact]
    public void EveryVersionsDefaultValues_ValidateAgainstItsSchema()
    {
        foreach (var entry in Catalog.Entries)
        foreach (var version in entry.Versions)
        {
            Assert.True(version.ValuesSchema is not null, $"{entry.Id} {version.Version} has no values schema");
            var problems = AddonValues.Validate(version, []);
            Assert.True(problems.Count == 0, $"{entry.Id} {version.Version}: {string.Join("; ", problems)}");
        }
    }

    [Fact]
    public void EveryHelmSource_IsOneTheEmulatorsArgoCdResolves()
    {
        var known = new KubernetesEmulatorOptions().KnownHelmCharts.Select(k => k.Split('|')).Select(k => (k[0].TrimEnd('/'), k[1])).ToHashSet();
        foreach (var entry in Catalog.Entries)
        foreach (var helm in entry.Versions.Select(v => v.Source.Helm).OfType<HelmSource>())
            Assert.Contains((helm.RepoUrl.TrimEnd('/'), helm.Chart), known);
    }

    [Fact]
    public void VersionsAreNewestFirst_AndSeveralAddonsMixMaturities_IncludingAlpha()
    {
        foreach (var entry in Catalog.Entries)
            Assert.Equal(entry.Versions.Select(v => v.Version).OrderDescending(Comparer<string>.Create(VersionRange.Compare)), entry.Versions.Select(v => v.Version));
        Assert.True(Catalog.Entries.Count(e => e.Versions.Select(v => v.Maturity).Distinct().Count() > 1) >= 2);
        Assert.Contains(Catalog.Entries.SelectMany(e => e.Versions), v => v.Maturity == Maturity.Alpha);
    }

    [Fact]
    public void KedaAndDatadog_BothProvideTheExternalMetricsAdapter_SoTheyConflict()
    {
        var keda = Catalog.Find("keda")!;
        var datadog = Catalog.Find("datadog")!;
        Assert.Contains("external-metrics-adapter", keda.Versions[0].Provides);
        Assert.Contains("external-metrics-adapter", datadog.Versions[0].Provides);
        var facts = new ClusterFacts(EnvironmentName.Prod, new KubernetesVersion(1, 33),
            new Dictionary<string, string> { ["keda"] = keda.Versions[0].Version }, new HashSet<string>());
        var eligibility = AddonEligibility.Check(Catalog, datadog, datadog.Versions[0], facts);
        Assert.False(eligibility.Allowed);
        Assert.Contains(eligibility.Reasons, r => r.Contains("external-metrics-adapter") && r.Contains("KEDA"));
    }

    [Fact]
    public void Luigi_SaysHowItIsDelivered_FromGit()
    {
        var luigi = Catalog.Find("luigi")!;
        Assert.False(string.IsNullOrWhiteSpace(luigi.Delivery));
        Assert.All(luigi.Versions, v => Assert.NotNull(v.Source.Git));
    }

    [Fact]
    public void Mlflow_UsesTheUpstreamSchema_WithTheChartDefaults()
    {
        var version = Catalog.Find("mlflow")!.Versions[0];
        Assert.NotNull(version.ChartDefaults);
        Assert.False(version.ValuesSchema!["additionalProperties"]!.GetValue<bool>());
        Assert.Equal(1, version.ChartDefaults["replicaCount"]!.GetValue<long>());
    }
}
