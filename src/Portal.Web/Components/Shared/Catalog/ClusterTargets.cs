using Portal.Core.Access;
using Portal.Core.Addons.Catalog;
using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Teams;
using Portal.Web.Components.Shared.Clusters;

namespace Portal.Web.Components.Shared.Catalog;

/// <summary>The clusters of the user's teams (every team for platform admins, as on /clusters), with the facts eligibility needs.</summary>
public static class ClusterTargets
{
    /// <summary>Teams read at most, as the all-clusters page does: the catalogue is not the place to page through teams.</summary>
    public const int MaxTeams = 20;

    /// <param name="installedOn">
    /// What is installed on a cluster. Until the installation resource (AddonService) lands this is
    /// <see cref="NothingInstalled"/>; then it reads the cluster's installations.
    /// </param>
    public static async Task<IReadOnlyList<ClusterTarget>> LoadAsync(
        TeamService teams, ClusterService clusters, PortalActor actor,
        Func<ClusterView, CancellationToken, Task<InstalledAddons>> installedOn, CancellationToken ct)
    {
        var targets = new List<ClusterTarget>();
        var page = await teams.ListTeamsAsync(actor, new TeamQuery(Limit: MaxTeams), ct);
        foreach (var team in page.Items)
        {
            string? cursor = null;
            do
            {
                var views = await clusters.ListAsync(actor, team.Team.Slug, new ClusterQuery(cursor), ct);
                foreach (var view in views.Items.Where(v => v.Cluster.DeletionRequestedAt is null))
                {
                    // The running version decides what fits; a cluster still being created is judged by the one requested.
                    KubernetesVersion.TryParse(view.Cluster.CurrentVersion ?? view.Cluster.KubernetesVersion, out var kubernetes);
                    var installed = await installedOn(view, ct);
                    targets.Add(new ClusterTarget(view, ClusterAccess.CanWrite(actor, team),
                        new ClusterFacts(view.Environment, kubernetes, installed.Versions, installed.OverriddenAddonIds)));
                }
                cursor = views.NextCursor;
            } while (cursor is not null);
        }
        return targets;
    }

    /// <summary>The stand-in until the installation resource exists: no cluster has add-ons, no team has overrides.</summary>
    public static Task<InstalledAddons> NothingInstalled(ClusterView cluster, CancellationToken ct) => Task.FromResult(InstalledAddons.None);
}
