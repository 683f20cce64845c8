using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Common;
using Portal.Core.Persistence;

namespace Portal.Core.Teams;

/// <summary>IdP groups that grant roles in a team at each sign-in. Owners and platform admins manage them.</summary>
public sealed class GroupMappingService(IDbContextFactory<PortalDbContext> contexts, TimeProvider clock)
{
    public async Task<IReadOnlyList<GroupMapping>> ListAsync(PortalActor actor, string teamSlug, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        return await db.GroupMappings.AsNoTracking().Where(g => g.TeamId == grant.Team.Id).OrderBy(g => g.Group).ToListAsync(ct);
    }

    public async Task<GroupMapping> AddAsync(PortalActor actor, string teamSlug, string group, TeamRole role, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        errors.CheckText("group", group, GroupMapping.GroupMaxLength, required: true);
        MemberService.CheckRole(errors, role);
        errors.ThrowIfAny();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Manage, ct);
        group = group.Trim();
        if (await db.GroupMappings.AnyAsync(g => g.TeamId == grant.Team.Id && g.Group == group, ct))
            throw new ConflictException($"Group '{group}' is already mapped in team '{teamSlug}'.", "group");
        var mapping = new GroupMapping { TeamId = grant.Team.Id, Group = group, Role = role, CreatedAt = clock.GetUtcNow() };
        db.GroupMappings.Add(mapping);
        AuditLog.Record(db, actor, mapping.CreatedAt, "group-mapping.create", "group-mapping", $"{teamSlug}/{group}", grant.Team.Id, null, new { group, role });
        await db.SaveOrConflictAsync($"Group mapping '{group}'", ct);
        return mapping;
    }

    public async Task RemoveAsync(PortalActor actor, string teamSlug, Guid mappingId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Manage, ct);
        var mapping = await db.GroupMappings.FirstOrDefaultAsync(g => g.Id == mappingId && g.TeamId == grant.Team.Id, ct)
                      ?? throw new NotFoundException("Group mapping", mappingId.ToString());
        AuditLog.Record(db, actor, clock.GetUtcNow(), "group-mapping.delete", "group-mapping", $"{teamSlug}/{mapping.Group}", grant.Team.Id,
            new { group = mapping.Group, role = mapping.Role }, null);
        db.GroupMappings.Remove(mapping);
        await db.SaveOrConflictAsync("Group mapping", ct);
    }
}
