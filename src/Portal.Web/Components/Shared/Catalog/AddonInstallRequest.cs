using System.Text.Json.Nodes;
using Portal.Core.Addons.Catalog;
using Portal.Core.Clusters;

namespace Portal.Web.Components.Shared.Catalog;

/// <summary>
/// What the install dialog hands back: where, which version, the values that differ from the defaults, and the
/// dependencies the user agreed to have installed first (in order).
/// </summary>
public sealed record AddonInstallRequest(
    string Team,
    string Cluster,
    string AddonId,
    string Version,
    JsonObject Values,
    IReadOnlyList<AddonPlanStep> Dependencies);

/// <summary>
/// What the cluster already has, for eligibility and dependency checks: add-on id → version installed, and the add-ons
/// a platform admin allowed for the team whatever their maturity.
/// </summary>
public sealed record InstalledAddons(IReadOnlyDictionary<string, string> Versions, IReadOnlySet<string> OverriddenAddonIds)
{
    public static InstalledAddons None { get; } = new(new Dictionary<string, string>(), new HashSet<string>());
}

/// <summary>One of the user's clusters as a place to install on.</summary>
/// <param name="CanInstall">Whether the user may change the cluster (maintainer, owner, platform admin); Core checks again.</param>
public sealed record ClusterTarget(ClusterView View, bool CanInstall, ClusterFacts Facts)
{
    public string Team => View.Team;
    public string Name => View.Cluster.Name;

    /// <summary>"team/cluster": unique across the user's teams.</summary>
    public string Key => $"{View.Team}/{View.Cluster.Name}";
}
