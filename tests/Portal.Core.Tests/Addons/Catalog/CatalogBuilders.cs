using System.Text.Json.Nodes;
using Portal.Core.Addons.Catalog;
using Portal.Core.Clusters;
using Portal.Core.Environments;

namespace Portal.Core.Tests.Addons.Catalog;

/// <summary>Small in-memory catalogues for the rules' tests.</summary>
internal static class CatalogBuilders
{
    public static AddonVersion Version(
        string version,
        Maturity maturity = Maturity.Stable,
        IReadOnlyList<AddonRequirement>? requires = null,
        string? minK8s = null,
        string? maxK8s = null,
        IReadOnlyList<string>? provides = null,
        IReadOnlyList<string>? conflicts = null,
        JsonObject? schema = null) =>
        new(version, maturity, new AddonSource(new HelmSource("https://charts.example.org", "chart", version), null), "ns", [], null, schema,
            requires ?? [], Parse(minK8s), Parse(maxK8s), provides ?? [], conflicts ?? [], "notes");

    public static AddonEntry Entry(string id, params AddonVersion[] versions) =>
        new(id, Capitalised(id), AddonCategory.DataProcessing, "description", new Uri("https://docs.example.org"), "Bolt",
            [.. versions.OrderByDescending(v => v.Version, Comparer<string>.Create(VersionRange.Compare))]);

    public static AddonRequirement Requires(string id, string range = "*") => new(id, range);

    public static ClusterFacts Facts(EnvironmentName environment = EnvironmentName.Dev, string kubernetes = "1.33",
        IReadOnlyDictionary<string, string>? installed = null, IReadOnlySet<string>? overridden = null) =>
        new(environment, Parse(kubernetes)!.Value, installed ?? new Dictionary<string, string>(), overridden ?? new HashSet<string>());

    public static Dictionary<string, string> Installed(params (string Id, string Version)[] addons) =>
        addons.ToDictionary(a => a.Id, a => a.Version);

    private static KubernetesVersion? Parse(string? text) => text is null ? null : KubernetesVersion.TryParse(text, out var v) ? v : throw new ArgumentException(text);

    private static string Capitalised(string id) => char.ToUpperInvariant(id[0]) + id[1..];
}
