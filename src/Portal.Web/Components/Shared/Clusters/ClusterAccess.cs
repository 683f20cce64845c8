using Portal.Core.Access;
using Portal.Core.Teams;

namespace Portal.Web.Components.Shared.Clusters;

/// <summary>
/// Whether to render cluster controls at all. The rule is Core's (maintainers and owners write, platform admins do
/// everything); this only avoids offering what ClusterService would refuse.
/// </summary>
public static class ClusterAccess
{
    public static bool CanWrite(PortalActor actor, TeamView team) =>
        actor.IsPlatformAdmin || team.MyRole >= TeamAccess.MinimumRole(TeamPermission.Write);
}
