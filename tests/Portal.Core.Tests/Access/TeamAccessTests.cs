using System.Security.Claims;
using Portal.Core.Access;
using Portal.Core.Common;
using Portal.Core.Teams;
using Portal.Core.Tests.Infrastructure;
using Portal.Core.Tokens;
using Portal.Testing;

namespace Portal.Core.Tests.Access;

public abstract class TeamAccessTests(PortalDatabaseFixture database) : ServiceTests(database)
{
    [Fact]
    public async Task NonMember_GetsNotFound_NeverForbidden_ForEveryPermission()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var (_, stranger) = await SignInAsync("stranger");
        await using var db = Database.CreateContext();

        foreach (var permission in Enum.GetValues<TeamPermission>())
        {
            var e = await Assert.ThrowsAsync<NotFoundException>(() => TeamAccess.RequireAsync(db, stranger, team.Slug, permission, Ct));
            // The same answer as for a team that does not exist, so slugs do not leak.
            var missing = await Assert.ThrowsAsync<NotFoundException>(() => TeamAccess.RequireAsync(db, stranger, Unique("nope"), permission, Ct));
            Assert.Equal(missing.What, e.What);
        }
        // Even a token without the needed scope learns nothing about a team it is not in.
        await Assert.ThrowsAsync<NotFoundException>(() => TeamAccess.RequireAsync(db, stranger with { Scopes = TokenScopes.Read, TokenId = Guid.NewGuid() }, team.Slug, TeamPermission.Write, Ct));
    }

    [Theory]
    [InlineData(TeamRole.Viewer, TeamPermission.Read, true)]
    [InlineData(TeamRole.Viewer, TeamPermission.Write, false)]
    [InlineData(TeamRole.Viewer, TeamPermission.Manage, false)]
    [InlineData(TeamRole.Maintainer, TeamPermission.Read, true)]
    [InlineData(TeamRole.Maintainer, TeamPermission.Write, true)]
    [InlineData(TeamRole.Maintainer, TeamPermission.Manage, false)]
    [InlineData(TeamRole.Owner, TeamPermission.Read, true)]
    [InlineData(TeamRole.Owner, TeamPermission.Write, true)]
    [InlineData(TeamRole.Owner, TeamPermission.Manage, true)]
    public async Task Member_IsAllowedExactlyWhatTheirRoleGrants_ElseForbidden(TeamRole role, TeamPermission permission, bool allowed)
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var actor = role == TeamRole.Owner ? owner : (await AddMemberAsync(owner, team, role)).Actor;
        await using var db = Database.CreateContext();

        if (allowed)
        {
            var grant = await TeamAccess.RequireAsync(db, actor, team.Slug, permission, Ct);
            Assert.Equal((team.Id, role), (grant.Team.Id, grant.Role));
        }
        else
        {
            await Assert.ThrowsAsync<ForbiddenException>(() => TeamAccess.RequireAsync(db, actor, team.Slug, permission, Ct));
        }
    }

    [Fact]
    public async Task PlatformAdmin_MayDoAnythingInAnyTeam_WithoutBeingAMember()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var (_, admin) = await SignInAdminAsync();
        await using var db = Database.CreateContext();

        foreach (var permission in Enum.GetValues<TeamPermission>())
        {
            var grant = await TeamAccess.RequireAsync(db, admin, team.Slug, permission, Ct);
            Assert.Null(grant.Role);
        }
        await Teams.UpdateTeamAsync(admin, team.Slug, new TeamChanges("Renamed by admin", null, null), null, Ct);
    }

    [Fact]
    public async Task OwnersReadToken_CanRead_ButNotWrite()
    {
        var (owner, ownerActor) = await SignInAsync("owner");
        var team = await CreateTeamAsync(ownerActor);
        var readToken = PortalActors.ForToken(owner, TokenScopes.Read);
        await using var db = Database.CreateContext();

        await TeamAccess.RequireAsync(db, readToken, team.Slug, TeamPermission.Read, Ct);
        await Assert.ThrowsAsync<ForbiddenException>(() => TeamAccess.RequireAsync(db, readToken, team.Slug, TeamPermission.Write, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Teams.UpdateTeamAsync(readToken, team.Slug, new TeamChanges("x", null, null), null, Ct));
    }

    [Fact]
    public async Task AdminsTokenWithoutAdminScope_ActsAsTheirOwnMembershipOnly()
    {
        var (admin, _) = await SignInAdminAsync();
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var plainToken = PortalActors.ForToken(admin, TokenScopes.Read | TokenScopes.Write);
        var adminToken = PortalActors.ForToken(admin, TokenScopes.Admin);
        await using var db = Database.CreateContext();

        await Assert.ThrowsAsync<NotFoundException>(() => TeamAccess.RequireAsync(db, plainToken, team.Slug, TeamPermission.Read, Ct));
        Assert.Null((await TeamAccess.RequireAsync(db, adminToken, team.Slug, TeamPermission.Manage, Ct)).Role);
    }

    [Fact]
    public void FromPrincipal_GrantsAdminOnlyWithAdminClaimAndAdminScope()
    {
        static ClaimsPrincipal Principal(bool admin, string? scopes, Guid? tokenId = null)
        {
            var claims = new List<Claim> { new(PortalActor.ClaimTypes.UserId, Guid.NewGuid().ToString()), new(PortalActor.ClaimTypes.Name, "n") };
            if (admin) claims.Add(new Claim(PortalActor.ClaimTypes.PlatformAdmin, "true"));
            if (scopes is not null) claims.Add(new Claim(PortalActor.ClaimTypes.Scopes, scopes));
            if (tokenId is not null) claims.Add(new Claim(PortalActor.ClaimTypes.TokenId, tokenId.ToString()!));
            return new ClaimsPrincipal(new ClaimsIdentity(claims, "test"));
        }

        Assert.True(PortalActor.FromPrincipal(Principal(admin: true, scopes: null), null)!.IsPlatformAdmin);
        Assert.False(PortalActor.FromPrincipal(Principal(admin: true, scopes: "Read, Write", Guid.NewGuid()), null)!.IsPlatformAdmin);
        Assert.True(PortalActor.FromPrincipal(Principal(admin: true, scopes: "Admin", Guid.NewGuid()), null)!.IsPlatformAdmin);
        Assert.False(PortalActor.FromPrincipal(Principal(admin: false, scopes: "Admin", Guid.NewGuid()), null)!.IsPlatformAdmin);
        Assert.Equal(Core.Audit.ActorKind.Token, PortalActor.FromPrincipal(Principal(false, "Read", Guid.NewGuid()), null)!.Kind);
        Assert.Null(PortalActor.FromPrincipal(new ClaimsPrincipal(new ClaimsIdentity()), null));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("everything")]
    [InlineData("64")]
    public void FromPrincipal_TokenWithMissingOrUnreadableScopes_GetsNoScopes(string? scopes)
    {
        var claims = new List<Claim>
        {
            new(PortalActor.ClaimTypes.UserId, Guid.NewGuid().ToString()),
            new(PortalActor.ClaimTypes.TokenId, Guid.NewGuid().ToString()),
            new(PortalActor.ClaimTypes.PlatformAdmin, "true"),
        };
        if (scopes is not null) claims.Add(new Claim(PortalActor.ClaimTypes.Scopes, scopes));

        var actor = PortalActor.FromPrincipal(new ClaimsPrincipal(new ClaimsIdentity(claims, "token")), null)!;

        Assert.Equal(TokenScopes.None, actor.Scopes);
        Assert.False(actor.IsPlatformAdmin);
        Assert.False(actor.HasScope(TokenScopes.Read));
    }

    [Theory]
    [InlineData("Read", TokenScopes.Read)]
    [InlineData("read, write", TokenScopes.Read | TokenScopes.Write)]
    [InlineData("Read, Write, Admin", PortalActor.AllScopes)]
    public void FromPrincipal_ReadsTokenScopes(string claim, TokenScopes expected)
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(PortalActor.ClaimTypes.UserId, Guid.NewGuid().ToString()),
            new Claim(PortalActor.ClaimTypes.TokenId, Guid.NewGuid().ToString()),
            new Claim(PortalActor.ClaimTypes.Scopes, claim),
        ], "token"));

        Assert.Equal(expected, PortalActor.FromPrincipal(principal, null)!.Scopes);
    }

    [Theory]
    [InlineData(TokenScopes.Read, TokenScopes.Read, true)]
    [InlineData(TokenScopes.Read, TokenScopes.Write, false)]
    [InlineData(TokenScopes.Read, TokenScopes.Admin, false)]
    [InlineData(TokenScopes.Write, TokenScopes.Read, true)]
    [InlineData(TokenScopes.Write, TokenScopes.Admin, false)]
    [InlineData(TokenScopes.Admin, TokenScopes.Read, true)]
    [InlineData(TokenScopes.Admin, TokenScopes.Write, true)]
    public void HasScope_WriteImpliesRead_AdminImpliesBoth(TokenScopes held, TokenScopes needed, bool expected) =>
        Assert.Equal(expected, new PortalActor(Guid.NewGuid(), "x", false, held, Guid.NewGuid()).HasScope(needed));
}

public sealed class TeamAccessTestsOnPostgres(PostgresDatabaseFixture database)
    : TeamAccessTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class TeamAccessTestsOnSqlite(SqliteDatabaseFixture database)
    : TeamAccessTests(database), IClassFixture<SqliteDatabaseFixture>;
