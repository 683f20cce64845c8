using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Common;
using Portal.Core.Persistence;
using Portal.Core.Teams;

namespace Portal.Core.Audit;

public sealed record AuditQuery(string? Team = null, string? Action = null, string? Cursor = null, int? Limit = null);

/// <summary>Reading the audit log: platform admins read all of it, team owners their team's entries.</summary>
public sealed class AuditService(IDbContextFactory<PortalDbContext> contexts)
{
    /// <summary>Newest first, by the entry's monotonic id.</summary>
    public async Task<Page<AuditEntry>> ListAsync(PortalActor actor, AuditQuery query, CancellationToken ct)
    {
        var limit = Cursor.ClampLimit(query.Limit);
        long? before = Cursor.Decode(query.Cursor) is { } key
            ? long.TryParse(key, out var id) ? id : throw new DomainValidationException("cursor", "is not a cursor this API issued.")
            : null;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var entries = db.AuditEntries.AsNoTracking();

        if (query.Team is not null)
        {
            var grant = await TeamAccess.RequireAsync(db, actor, query.Team, TeamPermission.Manage, ct, requiredScope: Tokens.TokenScopes.Read);
            entries = entries.Where(e => e.TeamId == grant.Team.Id);
        }
        else if (!actor.IsPlatformAdmin)
        {
            TeamAccess.RequireScope(actor, Tokens.TokenScopes.Read);
            var owned = db.Memberships.Where(m => m.UserId == actor.UserId && m.Role == TeamRole.Owner).Select(m => m.TeamId);
            entries = entries.Where(e => e.TeamId != null && owned.Contains(e.TeamId.Value));
        }
        if (!string.IsNullOrWhiteSpace(query.Action)) entries = entries.Where(e => e.Action == query.Action);
        if (before is not null) entries = entries.Where(e => e.Id < before);

        var rows = await entries.OrderByDescending(e => e.Id).Take(limit + 1).ToListAsync(ct);
        return Cursor.ToPage(rows, limit, e => e.Id.ToString());
    }
}
