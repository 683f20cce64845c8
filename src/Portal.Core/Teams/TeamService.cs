using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Common;
using Portal.Core.Persistence;
using Portal.Core.Users;

namespace Portal.Core.Teams;

public sealed record NewTeam(string Slug, string DisplayName, string? Description, string? CostCentre, string? OwnerEmail = null);

/// <summary>A partial update: null leaves a field as it is; an empty string clears an optional one.</summary>
public sealed record TeamChanges(string? DisplayName, string? Description, string? CostCentre);

public sealed record TeamQuery(string? Search = null, string? Cursor = null, int? Limit = null);

/// <summary>A team as a caller sees it: with their own role (null for platform admins who are not members).</summary>
public sealed record TeamView(Team Team, TeamRole? MyRole, int MemberCount);

public sealed class TeamOptions
{
    public const string SectionName = "Teams";

    /// <summary>When false, only platform admins create teams.</summary>
    public bool SelfServiceCreation { get; set; } = true;
}

public sealed class TeamService(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<TeamOptions> options,
    TimeProvider clock)
{
    /// <summary>Teams the actor belongs to (all teams for platform admins), by slug, in pages.</summary>
    public async Task<Page<TeamView>> ListTeamsAsync(PortalActor actor, TeamQuery query, CancellationToken ct)
    {
        TeamAccess.RequireScope(actor, Tokens.TokenScopes.Read);
        var limit = Cursor.ClampLimit(query.Limit);
        var after = Cursor.Decode(query.Cursor);
        await using var db = await contexts.CreateDbContextAsync(ct);

        var teams = db.Teams.AsNoTracking();
        if (!actor.IsPlatformAdmin)
            teams = teams.Where(t => db.Memberships.Any(m => m.TeamId == t.Id && m.UserId == actor.UserId));
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var search = query.Search.Trim().ToLowerInvariant();
            teams = teams.Where(t => t.Slug.Contains(search) || t.DisplayName.ToLower().Contains(search));
        }
        if (after is not null) teams = teams.Where(t => string.Compare(t.Slug, after) > 0);

        var rows = await teams.OrderBy(t => t.Slug).Take(limit + 1)
            .Select(t => new
            {
                Team = t,
                MyRole = db.Memberships.Where(m => m.TeamId == t.Id && m.UserId == actor.UserId).Select(m => (TeamRole?)m.Role).FirstOrDefault(),
                MemberCount = db.Memberships.Count(m => m.TeamId == t.Id),
            })
            .ToListAsync(ct);
        return Cursor.ToPage(rows.Select(r => new TeamView(r.Team, r.MyRole, r.MemberCount)).ToList(), limit, v => v.Team.Slug);
    }

    public async Task<TeamView> GetTeamAsync(PortalActor actor, string slug, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, slug, TeamPermission.Read, ct);
        var count = await db.Memberships.CountAsync(m => m.TeamId == grant.Team.Id, ct);
        return new TeamView(grant.Team, grant.Role, count);
    }

    /// <summary>Creates a team; its first owner is <see cref="NewTeam.OwnerEmail"/> (admins only) or the creator.</summary>
    public async Task<TeamView> CreateTeamAsync(PortalActor actor, NewTeam request, CancellationToken ct)
    {
        TeamAccess.RequireScope(actor, Tokens.TokenScopes.Write);
        if (!options.Value.SelfServiceCreation && !actor.IsPlatformAdmin)
            throw new ForbiddenException("Only platform admins may create teams here.");

        var errors = new ValidationErrors();
        if (Slugs.Check(request.Slug, Team.SlugMinLength, Team.SlugMaxLength) is { } slugError) errors.Add("slug", slugError);
        errors.CheckText("displayName", request.DisplayName, Team.DisplayNameMaxLength, required: true);
        errors.CheckText("description", request.Description, Team.DescriptionMaxLength);
        errors.CheckText("costCentre", request.CostCentre, Team.CostCentreMaxLength);
        if (request.OwnerEmail is not null && !actor.IsPlatformAdmin)
            errors.Add("ownerEmail", "only platform admins may create a team for someone else; leave it out to own the team yourself.");
        else if (request.OwnerEmail is not null && UserService.CheckEmail(request.OwnerEmail) is { } emailError)
            errors.Add("ownerEmail", emailError);
        else if (request.OwnerEmail is null && actor.Kind == ActorKind.System)
            errors.Add("ownerEmail", "is required when the portal itself creates a team: it is not a person who could own it.");
        errors.ThrowIfAny();

        await using var db = await contexts.CreateDbContextAsync(ct);
        if (await db.Teams.AnyAsync(t => t.Slug == request.Slug, ct))
            throw new ConflictException($"A team with slug '{request.Slug}' already exists.", "slug");

        var now = clock.GetUtcNow();
        var team = new Team
        {
            Slug = request.Slug,
            DisplayName = request.DisplayName.Trim(),
            Description = EmptyToNull(request.Description),
            CostCentre = EmptyToNull(request.CostCentre),
            CreatedByUserId = actor.UserId,
            CreatedAt = now,
        };
        var owner = request.OwnerEmail is null
            ? await db.Users.FirstAsync(u => u.Id == actor.UserId, ct)
            : await UserService.FindOrInviteAsync(db, request.OwnerEmail, ct);
        var membership = new Membership { Team = team, User = owner, Role = TeamRole.Owner, Source = MembershipSource.Portal, AddedAt = now };
        db.Teams.Add(team);
        db.Memberships.Add(membership);
        // One change, one entry: the first owner is part of the team's creation, recorded in its "after".
        AuditLog.Record(db, actor, now, "team.create", "team", team.Slug, team.Id, null,
            new { slug = team.Slug, displayName = team.DisplayName, description = team.Description, costCentre = team.CostCentre, owner = owner.Email });
        await db.SaveOrConflictAsync($"Team '{request.Slug}'", ct);
        return new TeamView(team, owner.Id == actor.UserId ? TeamRole.Owner : null, 1);
    }

    public async Task<TeamView> UpdateTeamAsync(PortalActor actor, string slug, TeamChanges changes, long? expectedVersion, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (changes.DisplayName is not null) errors.CheckText("displayName", changes.DisplayName, Team.DisplayNameMaxLength, required: true);
        errors.CheckText("description", changes.Description, Team.DescriptionMaxLength);
        errors.CheckText("costCentre", changes.CostCentre, Team.CostCentreMaxLength);
        errors.ThrowIfAny();

        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, slug, TeamPermission.Manage, ct, track: true);
        var team = grant.Team;
        team.RequireVersion("Team", expectedVersion);
        var before = Snapshot(team);

        if (changes.DisplayName is not null) team.DisplayName = changes.DisplayName.Trim();
        if (changes.Description is not null) team.Description = EmptyToNull(changes.Description);
        if (changes.CostCentre is not null) team.CostCentre = EmptyToNull(changes.CostCentre);
        if (!db.ChangeTracker.HasChanges())
            return new TeamView(team, grant.Role, await db.Memberships.CountAsync(m => m.TeamId == team.Id, ct));

        AuditLog.Record(db, actor, clock.GetUtcNow(), "team.update", "team", team.Slug, team.Id, before, Snapshot(team));
        await db.SaveOrConflictAsync($"Team '{slug}'", ct);
        return new TeamView(team, grant.Role, await db.Memberships.CountAsync(m => m.TeamId == team.Id, ct));
    }

    public async Task DeleteTeamAsync(PortalActor actor, string slug, long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, slug, TeamPermission.Manage, ct, track: true);
        grant.Team.RequireVersion("Team", expectedVersion);
        // Its clusters are real AWS resources: deleting the team's rows first would orphan them (and their bill).
        if (await Clusters.ClusterService.TeamHasClustersAsync(db, grant.Team.Id, ct))
            throw new ConflictException($"Team '{slug}' still has clusters; delete them first (deletion finishes once their AWS resources are gone).");
        AuditLog.Record(db, actor, clock.GetUtcNow(), "team.delete", "team", slug, grant.Team.Id, Snapshot(grant.Team), null);
        db.Teams.Remove(grant.Team);
        await db.SaveOrConflictAsync($"Team '{slug}'", ct);
    }

    internal static object Snapshot(Team t) =>
        new { slug = t.Slug, displayName = t.DisplayName, description = t.Description, costCentre = t.CostCentre };

    internal static string? EmptyToNull(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
