using System.Text.Json.Nodes;
using Portal.Core.Clusters;
using Portal.Core.Environments;

namespace Portal.Core.Addons.Catalog;

/// <summary>The shelves of the app store.</summary>
public enum AddonCategory
{
    DataProcessing = 0,
    Orchestration = 1,
    Notebooks = 2,
    MlLifecycle = 3,
    Serving = 4,
    Monitoring = 5,
}

/// <summary>How far the platform team trusts a version; decides which environments may run it (see <see cref="MaturityPolicy"/>).</summary>
public enum Maturity
{
    Alpha = 0,
    Beta = 1,
    Stable = 2,
}

/// <summary>A Helm chart in its upstream repository.</summary>
public sealed record HelmSource(string RepoUrl, string Chart, string Version);

/// <summary>Kustomize (or plain) manifests at a path of a Git repository, pinned to a tag or commit.</summary>
public sealed record GitSource(string RepoUrl, string Path, string Revision);

/// <summary>Where Argo CD fetches a version from: exactly one of <see cref="Helm"/> and <see cref="Git"/>.</summary>
public sealed record AddonSource(HelmSource? Helm, GitSource? Git)
{
    public string RepoUrl => Helm?.RepoUrl ?? Git!.RepoUrl;
    public string Revision => Helm?.Version ?? Git!.Revision;
}

/// <summary>Another add-on that must be installed (at a version in <paramref name="VersionRange"/>) on the same cluster.</summary>
/// <param name="VersionRange">Space-separated comparators, all of which must hold: "&gt;=2.0.0 &lt;3.0.0"; "*" for any.</param>
public sealed record AddonRequirement(string AddonId, string VersionRange);

/// <summary>One installable version of an add-on, as its catalogue file describes it.</summary>
/// <param name="DefaultValues">Values the platform sets on top of the chart's own defaults (the install's starting point).</param>
/// <param name="ChartDefaults">
/// The chart's own values.yaml, shipped when <paramref name="ValuesSchema"/> validates merged values (upstream chart
/// schemas do, as Helm does: chart defaults + overrides); null when the schema describes the overrides alone.
/// </param>
/// <param name="ValuesSchema">A JSON Schema for the values, or null when upstream ships none.</param>
/// <param name="Provides">
/// Exclusive cluster capabilities this version brings (for example "external-metrics-adapter"): two installations that
/// provide the same capability conflict, whatever their ids.
/// </param>
/// <param name="Conflicts">Add-on ids that cannot share a cluster with this version.</param>
public sealed record AddonVersion(
    string Version,
    Maturity Maturity,
    AddonSource Source,
    string Namespace,
    JsonObject DefaultValues,
    JsonObject? ChartDefaults,
    JsonObject? ValuesSchema,
    IReadOnlyList<AddonRequirement> Requires,
    KubernetesVersion? MinKubernetesVersion,
    KubernetesVersion? MaxKubernetesVersion,
    IReadOnlyList<string> Provides,
    IReadOnlyList<string> Conflicts,
    string ReleaseNotes);

/// <summary>One add-on of the catalogue (one <c>catalog/&lt;id&gt;.yaml</c> file). Versions are newest first.</summary>
/// <param name="Icon">A Material icon name (for example "Bolt"), drawn by the UI.</param>
/// <param name="Delivery">Free text for add-ons without a maintained chart: how the platform delivers it.</param>
public sealed record AddonEntry(
    string Id,
    string Name,
    AddonCategory Category,
    string Description,
    Uri DocumentationUrl,
    string Icon,
    IReadOnlyList<AddonVersion> Versions,
    string? Delivery = null)
{
    public AddonVersion? FindVersion(string version) => Versions.FirstOrDefault(v => v.Version == version);
}

/// <summary>What an eligibility check needs to know about the target cluster.</summary>
/// <param name="Installed">Add-ons already on the cluster (id → version), not counting the one being checked.</param>
/// <param name="OverriddenAddonIds">Add-ons a platform admin allowed on this team regardless of maturity.</param>
public sealed record ClusterFacts(
    EnvironmentName Environment,
    KubernetesVersion KubernetesVersion,
    IReadOnlyDictionary<string, string> Installed,
    IReadOnlySet<string> OverriddenAddonIds);

/// <summary>Why a version may or may not go on a cluster: every reason in plain words, empty when allowed.</summary>
public sealed record Eligibility(IReadOnlyList<string> Reasons)
{
    public bool Allowed => Reasons.Count == 0;
    public static Eligibility Yes { get; } = new([]);
}

/// <summary>One value the schema refused, at its JSON path ("$.tracking.replicas").</summary>
public sealed record ValuesProblem(string Path, string Message);
