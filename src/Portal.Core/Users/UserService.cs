using System.Net.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Common;
using Portal.Core.Persistence;
using Portal.Core.Teams;

namespace Portal.Core.Users;

/// <summary>What the identity provider (or the development sign-in) says about a person at sign-in.</summary>
public sealed record SignInIdentity(string Subject, string Email, string DisplayName, IReadOnlyCollection<string> Groups);

public sealed class UserService(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<IdentityOptions> options,
    TimeProvider clock)
{
    /// <summary>
    /// Records a sign-in: finds the user by subject (or claims an invitation by e-mail), refreshes their profile,
    /// the platform-admin flag from admin groups, and team roles from group mappings. Memberships an owner set in
    /// the portal are never overridden by groups; memberships that came from a group the user left are removed.
    /// </summary>
    public async Task<User> SignInAsync(SignInIdentity identity, CancellationToken ct)
    {
        // Sign-ins of one person can overlap (two tabs, a retried callback): the first inserts the user, the others
        // lose on the unique subject or the row version. Each retry starts afresh and finds the winner's row, so a
        // sign-in never fails because of another sign-in.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SignInOnceAsync(identity, ct);
            }
            catch (Exception e) when (e is ConflictException or PreconditionFailedException && attempt < MaxSignInAttempts)
            {
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), ct);
            }
        }
    }

    private const int MaxSignInAttempts = 6;

    private async Task<User> SignInOnceAsync(SignInIdentity identity, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var email = identity.Email.Trim().ToLowerInvariant();
        var user = await db.Users.FirstOrDefaultAsync(u => u.Subject == identity.Subject, ct)
                   ?? await db.Users.FirstOrDefaultAsync(u => u.Subject == null && u.Email == email, ct);
        // The IdP decides names, not us: a blank one falls back to the e-mail, a long one is cut to the column
        // (PostgreSQL would refuse it and the sign-in would fail).
        var displayName = string.IsNullOrWhiteSpace(identity.DisplayName) ? null : FitDisplayName(identity.DisplayName.Trim());
        if (user is null)
        {
            user = new User { Subject = identity.Subject, Email = email, DisplayName = displayName ?? FitDisplayName(email), FirstSeenAt = now };
            db.Users.Add(user);
        }
        user.Subject = identity.Subject;
        user.FirstSeenAt ??= now;
        user.LastSeenAt = now;
        if (displayName is not null) user.DisplayName = displayName;
        if (user.Email != email && !await db.Users.AnyAsync(u => u.Email == email && u.Id != user.Id, ct)) user.Email = email;

        var groups = identity.Groups.ToHashSet(StringComparer.Ordinal);
        user.IsPlatformAdmin = options.Value.AdminGroups.Any(groups.Contains);
        await SyncGroupMembershipsAsync(db, user, groups, now, ct);
        await db.SaveOrConflictAsync($"User '{email}'", ct);
        return user;
    }

    private async Task SyncGroupMembershipsAsync(PortalDbContext db, User user, HashSet<string> groups, DateTimeOffset now, CancellationToken ct)
    {
        // The strongest role each group grants, per team: stored mappings plus configured ones.
        var stored = await db.GroupMappings.AsNoTracking().Where(g => groups.Contains(g.Group))
            .Select(g => new { g.TeamId, g.Role }).ToListAsync(ct);
        var configuredSlugs = options.Value.GroupMappings.Where(m => groups.Contains(m.Group)).ToList();
        var slugs = configuredSlugs.Select(m => m.Team).Distinct().ToList();
        var teamIds = await db.Teams.AsNoTracking().Where(t => slugs.Contains(t.Slug)).ToDictionaryAsync(t => t.Slug, t => t.Id, ct);
        var granted = stored.Select(s => (s.TeamId, s.Role))
            .Concat(configuredSlugs.Where(m => teamIds.ContainsKey(m.Team)).Select(m => (TeamId: teamIds[m.Team], m.Role)))
            .GroupBy(g => g.TeamId)
            .ToDictionary(g => g.Key, g => g.Max(x => x.Role));

        var memberships = user.Id == Guid.Empty ? [] : await db.Memberships.Where(m => m.UserId == user.Id).ToListAsync(ct);
        var actor = new PortalActor(user.Id, $"sign-in sync ({user.Email})", false, PortalActor.AllScopes);
        foreach (var (teamId, role) in granted)
        {
            var existing = memberships.FirstOrDefault(m => m.TeamId == teamId);
            if (existing is null)
            {
                db.Memberships.Add(new Membership { TeamId = teamId, User = user, Role = role, Source = MembershipSource.IdentityProviderGroup, AddedAt = now });
                AuditLog.Record(db, actor, now, "membership.sync", "membership", $"{teamId}/{user.Email}", teamId, null, new { user = user.Email, role, source = "group" });
            }
            else if (existing.Source == MembershipSource.IdentityProviderGroup && existing.Role != role)
            {
                if (existing.Role == TeamRole.Owner && !await KeepsAnotherOwnerAsync(db, teamId, user.Id, ct)) continue;
                AuditLog.Record(db, actor, now, "membership.sync", "membership", $"{teamId}/{user.Email}", teamId,
                    new { user = user.Email, role = existing.Role }, new { user = user.Email, role, source = "group" });
                existing.Role = role;
            }
        }
        foreach (var stale in memberships.Where(m => m.Source == MembershipSource.IdentityProviderGroup && !granted.ContainsKey(m.TeamId)))
        {
            // Never leave a team without an owner because an IdP group changed.
            if (stale.Role == TeamRole.Owner && !await KeepsAnotherOwnerAsync(db, stale.TeamId, user.Id, ct)) continue;
            AuditLog.Record(db, actor, now, "membership.sync", "membership", $"{stale.TeamId}/{user.Email}", stale.TeamId,
                new { user = user.Email, role = stale.Role, source = "group" }, null);
            db.Memberships.Remove(stale);
        }
    }

    /// <summary>
    /// Whether the team has an owner besides this user. If so the team row is touched, as the portal does when it
    /// demotes an owner, so a demotion racing this sync conflicts on the team's version instead of both succeeding.
    /// </summary>
    private static async Task<bool> KeepsAnotherOwnerAsync(PortalDbContext db, Guid teamId, Guid userId, CancellationToken ct)
    {
        // The version is read before the owners are counted: read after, it could already include a demotion
        // committed after our count, and the guard would pass with an outdated count.
        var team = await db.Teams.FirstAsync(t => t.Id == teamId, ct);
        if (!await db.Memberships.AnyAsync(m => m.TeamId == teamId && m.Role == TeamRole.Owner && m.UserId != userId, ct)) return false;
        db.Entry(team).State = EntityState.Modified;
        return true;
    }

    public async Task<User> GetUserAsync(Guid userId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct)
               ?? throw new NotFoundException("User", userId.ToString());
    }

    /// <summary>The actor's memberships, for "My teams" and <c>/me</c>.</summary>
    public async Task<IReadOnlyList<(string Slug, string DisplayName, TeamRole Role)>> GetMembershipsAsync(Guid userId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Memberships.AsNoTracking().Where(m => m.UserId == userId)
            .OrderBy(m => m.Team!.Slug)
            .Select(m => new { m.Team!.Slug, m.Team.DisplayName, m.Role }).ToListAsync(ct);
        return rows.Select(r => (r.Slug, r.DisplayName, r.Role)).ToList();
    }

    /// <summary>The user with this e-mail, or a new invited user who becomes "them" at their first sign-in.</summary>
    internal static async Task<User> FindOrInviteAsync(PortalDbContext db, string email, CancellationToken ct)
    {
        var normalized = email.Trim().ToLowerInvariant();
        var user = await db.Users.FirstOrDefaultAsync(u => u.Email == normalized, ct);
        if (user is not null) return user;
        user = new User { Email = normalized, DisplayName = FitDisplayName(normalized) };
        db.Users.Add(user);
        return user;
    }

    private static string FitDisplayName(string name) =>
        name.Length <= User.DisplayNameMaxLength ? name : name[..User.DisplayNameMaxLength];

    /// <summary>The problem with an e-mail address, or null.</summary>
    public static string? CheckEmail(string? email)
    {
        if (string.IsNullOrWhiteSpace(email)) return "is required.";
        if (email.Length > 320) return "must be at most 320 characters.";
        return MailAddress.TryCreate(email.Trim(), out var parsed) && parsed.Address == email.Trim()
            ? null
            : "is not a valid e-mail address.";
    }
}
