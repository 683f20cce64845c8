using Microsoft.EntityFrameworkCore;
using Portal.Core.Common;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tokens;

namespace Portal.Core.Access;

/// <summary>What an actor wants to do with a team's things.</summary>
public enum TeamPermission
{
    /// <summary>See the team and its resources: any member.</summary>
    Read,
    /// <summary>Change resources (clusters, add-ons, endpoints): maintainers and owners.</summary>
    Write,
    /// <summary>Change the team itself, its members and environments: owners.</summary>
    Manage,
}

/// <summary>The team an actor may act on, and the role that allowed it (null for platform admins who are not members).</summary>
public sealed record TeamGrant(Team Team, TeamRole? Role);

/// <summary>
/// The one place tenant isolation is decided. A team a caller is not a member of does not exist for them (404,
/// never 403, so slugs do not leak); a member without the role, or a token without the scope, gets 403.
/// Every team-scoped service call goes through <see cref="RequireAsync"/>.
/// </summary>
public static class TeamAccess
{
    public static TeamRole MinimumRole(TeamPermission permission) => permission switch
    {
        TeamPermission.Read => TeamRole.Viewer,
        TeamPermission.Write => TeamRole.Maintainer,
        _ => TeamRole.Owner,
    };

    public static TokenScopes RequiredScope(TeamPermission permission) =>
        permission == TeamPermission.Read ? TokenScopes.Read : TokenScopes.Write;

    public static async Task<TeamGrant> RequireAsync(
        PortalDbContext db, PortalActor actor, string teamSlug, TeamPermission permission, CancellationToken ct,
        bool track = false, TokenScopes? requiredScope = null)
    {
        var query = track ? db.Teams : db.Teams.AsNoTracking();
        // The team and the caller's role in one round trip: this runs on every team-scoped call.
        var found = await query.Where(t => t.Slug == teamSlug)
            .Select(t => new
            {
                Team = t,
                Role = db.Memberships.Where(m => m.TeamId == t.Id && m.UserId == actor.UserId).Select(m => (TeamRole?)m.Role).FirstOrDefault(),
            })
            .FirstOrDefaultAsync(ct);
        if (found is null) throw new NotFoundException("Team", teamSlug);
        var (team, role) = (found.Team, found.Role);

        if (role is null && !actor.IsPlatformAdmin) throw new NotFoundException("Team", teamSlug);

        // Reading something only owners may read (the team's audit log) needs the owner role but only the read scope.
        RequireScope(actor, requiredScope ?? RequiredScope(permission));
        if (!actor.IsPlatformAdmin && role < MinimumRole(permission))
            throw new ForbiddenException(
                $"Your role in team '{teamSlug}' is {role.ToString()!.ToLowerInvariant()}; this needs {MinimumRole(permission).ToString().ToLowerInvariant()} or higher.");
        return new TeamGrant(team, role);
    }

    public static void RequireScope(PortalActor actor, TokenScopes scope)
    {
        if (!actor.HasScope(scope))
            throw new ForbiddenException($"This access token lacks the '{scope.ToString().ToLowerInvariant()}' scope.");
    }

    /// <summary>Platform-wide operations (all teams, everyone's audit log): platform admins with the admin scope.</summary>
    public static void RequirePlatformAdmin(PortalActor actor)
    {
        if (!actor.IsPlatformAdmin)
            throw new ForbiddenException("Only platform admins may do this (with a token, it needs the 'admin' scope).");
    }
}
