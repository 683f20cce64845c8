using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
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
        // The team and the caller's role in one round trip: this runs on every team-scoped call, so the query is compiled
        // once instead of EF re-reading its expression tree on each request.
        var found = await FindFor(db, track)(db, teamSlug, actor.UserId, ct);
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

    private sealed record TeamAndRole(Team Team, TeamRole? Role);

    private delegate Task<TeamAndRole?> FindTeamAndRole(PortalDbContext db, string slug, Guid userId, CancellationToken ct);

    // A compiled query belongs to one EF model; a process normally has one, but the tests run both providers side by side.
    private static readonly ConcurrentDictionary<(IModel Model, bool Track), FindTeamAndRole> Compiled = new();

    private static FindTeamAndRole FindFor(PortalDbContext db, bool track) => Compiled.GetOrAdd((db.Model, track), key =>
    {
        var find = key.Track
            ? EF.CompileAsyncQuery((PortalDbContext db, string slug, Guid userId, CancellationToken _) =>
                db.Teams.Where(t => t.Slug == slug).Select(t => new TeamAndRole(t, db.Memberships
                    .Where(m => m.TeamId == t.Id && m.UserId == userId).Select(m => (TeamRole?)m.Role).FirstOrDefault())).FirstOrDefault())
            : EF.CompileAsyncQuery((PortalDbContext db, string slug, Guid userId, CancellationToken _) =>
                db.Teams.AsNoTracking().Where(t => t.Slug == slug).Select(t => new TeamAndRole(t, db.Memberships
                    .Where(m => m.TeamId == t.Id && m.UserId == userId).Select(m => (TeamRole?)m.Role).FirstOrDefault())).FirstOrDefault());
        return new FindTeamAndRole(find);
    });

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
