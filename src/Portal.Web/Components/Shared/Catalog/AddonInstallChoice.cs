using System.Text.Json.Nodes;
using Portal.Core.Addons.Catalog;
using Portal.Core.Clusters;

namespace Portal.Web.Components.Shared.Catalog;

/// <summary>
/// (Named apart from Core's AddonInstallRequest, the service's input: this is the dialog's whole choice, which maps onto it.)
/// What the install dialog hands back: where, which version, the values that differ from the defaults, and the
/// dependencies the user agreed to have installed first (in order).
/// </summary>
public sealed record AddonInstallChoice(
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
    /// <summary>Why nothing can be installed on the cluster right now (not ready yet), whatever the add-on; null when it can.</summary>
    public string? NotReady => View.Cluster.Phase is ClusterPhase.Ready or ClusterPhase.Attached
        ? null
        : $"Cluster {View.Cluster.Name} is {View.Cluster.Phase.ToString().ToLowerInvariant()}; add-ons can be installed once it is ready.";

    public string Team => View.Team;
    public string Name => View.Cluster.Name;

    /// <summary>"team/cluster": unique across the user's teams.</summary>
    public string Key => $"{View.Team}/{View.Cluster.Name}";
}
