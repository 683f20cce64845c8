using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Common;
using Portal.Core.Persistence;
using Portal.Core.Users;

namespace Portal.Core.Teams;

public sealed record MemberView(Membership Membership, User User);

/// <summary>Team membership. Owners manage it; a team always keeps at least one owner.</summary>
public sealed class MemberService(IDbContextFactory<PortalDbContext> contexts, TimeProvider clock)
{
    public async Task<IReadOnlyList<MemberView>> ListMembersAsync(PortalActor actor, string teamSlug, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var rows = await db.Memberships.AsNoTracking().Include(m => m.User)
            .Where(m => m.TeamId == grant.Team.Id)
            .OrderBy(m => m.User!.Email)
            .ToListAsync(ct);
        return rows.Select(m => new MemberView(m, m.User!)).ToList();
    }

    public async Task<MemberView> GetMemberAsync(PortalActor actor, string teamSlug, Guid userId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var m = await db.Memberships.AsNoTracking().Include(x => x.User)
                    .FirstOrDefaultAsync(x => x.TeamId == grant.Team.Id && x.UserId == userId, ct)
                ?? throw new NotFoundException("Member", $"{teamSlug}/{userId}");
        return new MemberView(m, m.User!);
    }

    /// <summary>Adds someone by e-mail; if they never signed in, they are invited and join at their first sign-in.</summary>
    public async Task<MemberView> AddMemberAsync(PortalActor actor, string teamSlug, string email, TeamRole role, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (UserService.CheckEmail(email) is { } emailError) errors.Add("email", emailError);
        CheckRole(errors, role);
        errors.ThrowIfAny();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Manage, ct, track: true);
        var user = await UserService.FindOrInviteAsync(db, email, ct);
        if (db.Entry(user).State != EntityState.Added
            && await db.Memberships.AnyAsync(m => m.TeamId == grant.Team.Id && m.UserId == user.Id, ct))
            throw new ConflictException($"{user.Email} is already a member of team '{teamSlug}'.", "email");

        var now = clock.GetUtcNow();
        var membership = new Membership { TeamId = grant.Team.Id, User = user, Role = role, Source = MembershipSource.Portal, AddedAt = now };
        db.Memberships.Add(membership);
        AuditLog.Record(db, actor, now, "membership.create", "membership", $"{teamSlug}/{user.Email}", grant.Team.Id, null, Snapshot(membership, user));
        await db.SaveOrConflictAsync($"Membership of {user.Email}", ct);
        return new MemberView(membership, user);
    }

    /// <summary>Changes a role. Edited in the portal, the membership stops following IdP groups.</summary>
    public async Task<MemberView> ChangeRoleAsync(PortalActor actor, string teamSlug, Guid userId, TeamRole role, long? expectedVersion, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        CheckRole(errors, role);
        errors.ThrowIfAny();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Manage, ct, track: true);
        var membership = await FindAsync(db, grant.Team, userId, ct);
        membership.RequireVersion("Membership", expectedVersion);
        var before = Snapshot(membership, membership.User!);
        if (membership.Role == role && membership.Source == MembershipSource.Portal) return new MemberView(membership, membership.User!);

        if (membership.Role == TeamRole.Owner && role != TeamRole.Owner) await RequireAnotherOwnerAsync(db, grant.Team, userId, ct);
        membership.Role = role;
        membership.Source = MembershipSource.Portal;
        AuditLog.Record(db, actor, clock.GetUtcNow(), "membership.update", "membership", $"{teamSlug}/{membership.User!.Email}", grant.Team.Id, before, Snapshot(membership, membership.User));
        await db.SaveOrConflictAsync("Membership", ct);
        return new MemberView(membership, membership.User);
    }

    public async Task RemoveMemberAsync(PortalActor actor, string teamSlug, Guid userId, long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Manage, ct, track: true);
        var membership = await FindAsync(db, grant.Team, userId, ct);
        membership.RequireVersion("Membership", expectedVersion);
        if (membership.Role == TeamRole.Owner) await RequireAnotherOwnerAsync(db, grant.Team, userId, ct);
        AuditLog.Record(db, actor, clock.GetUtcNow(), "membership.delete", "membership", $"{teamSlug}/{membership.User!.Email}", grant.Team.Id, Snapshot(membership, membership.User), null);
        db.Memberships.Remove(membership);
        await db.SaveOrConflictAsync("Membership", ct);
    }

    private static async Task<Membership> FindAsync(PortalDbContext db, Team team, Guid userId, CancellationToken ct) =>
        await db.Memberships.Include(m => m.User).FirstOrDefaultAsync(m => m.TeamId == team.Id && m.UserId == userId, ct)
        ?? throw new NotFoundException("Member", $"{team.Slug}/{userId}");

    /// <summary>
    /// Refuses to remove or demote the last owner. The team row is touched so its version bumps: two owners demoting
    /// each other at the same moment conflict on it instead of both succeeding and leaving no owner.
    /// </summary>
    private static async Task RequireAnotherOwnerAsync(PortalDbContext db, Team team, Guid leavingUserId, CancellationToken ct)
    {
        var others = await db.Memberships.CountAsync(m => m.TeamId == team.Id && m.Role == TeamRole.Owner && m.UserId != leavingUserId, ct);
        if (others == 0)
            throw new ConflictException($"Team '{team.Slug}' must keep at least one owner: make someone else owner first.", "role");
        db.Entry(team).State = EntityState.Modified;
    }

    /// <summary>Enums arrive from JSON and forms as numbers too: an undefined one would be stored as a role nobody has.</summary>
    internal static void CheckRole(ValidationErrors errors, TeamRole role)
    {
        if (!Enum.IsDefined(role)) errors.Add("role", "must be one of owner, maintainer, viewer.");
    }

    private static object Snapshot(Membership m, User u) => new { user = u.Email, role = m.Role, source = m.Source };
}
