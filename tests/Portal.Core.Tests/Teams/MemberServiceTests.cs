using Microsoft.EntityFrameworkCore;
using Portal.Core.Common;
using Portal.Core.Teams;
using Portal.Core.Tests.Infrastructure;
using Portal.Core.Users;
using Portal.Testing;

namespace Portal.Core.Tests.Teams;

public abstract class MemberServiceTests(PortalDatabaseFixture database) : ServiceTests(database)
{
    [Fact]
    public async Task AddMember_ByEmailOfKnownUser_AddsThemWithTheRole()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var (bob, bobActor) = await SignInAsync("bob");

        var view = await Members.AddMemberAsync(owner, team.Slug, bob.Email.ToUpperInvariant(), TeamRole.Maintainer, Ct);

        Assert.Equal((bob.Id, TeamRole.Maintainer, MembershipSource.Portal, 1L),
            (view.User.Id, view.Membership.Role, view.Membership.Source, view.Membership.Version));
        Assert.Equal(TeamRole.Maintainer, (await Teams.GetTeamAsync(bobActor, team.Slug, Ct)).MyRole);
    }

    [Fact]
    public async Task AddMember_UnknownEmail_InvitesThem_AndTheyClaimTheMembershipAtFirstSignIn()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var email = UniqueEmail("newcomer");

        var view = await Members.AddMemberAsync(owner, team.Slug, email, TeamRole.Viewer, Ct);
        Assert.Null(view.User.Subject);

        var user = await Users.SignInAsync(new SignInIdentity("sub-" + Guid.NewGuid(), email.ToUpperInvariant(), "New Comer", []), Ct);

        Assert.Equal(view.User.Id, user.Id);
        Assert.Equal("New Comer", user.DisplayName);
        Assert.NotNull(user.Subject);
        Assert.Equal(Clock.GetUtcNow(), user.FirstSeenAt);
        var members = await Members.ListMembersAsync(PortalActors.For(user), team.Slug, Ct);
        Assert.Contains(members, m => m.User.Id == user.Id && m.Membership.Role == TeamRole.Viewer);
        await using var db = Database.CreateContext();
        Assert.Equal(1, await db.Users.CountAsync(u => u.Email == email));
    }

    [Fact]
    public async Task AddMember_WithLongestAllowedEmail_IsStoredAndAudited()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        // A valid address near the 320-character limit: longer than the audit's target column on its own.
        var email = $"{Guid.NewGuid():N}{new string('a', 32)}@{new string('b', 63)}.{new string('c', 63)}.{new string('d', 63)}.{new string('e', 50)}.com";
        Assert.Null(UserService.CheckEmail(email));
        var last = await LastAuditIdAsync();

        var view = await Members.AddMemberAsync(owner, team.Slug, email, TeamRole.Viewer, Ct);

        Assert.Equal(email, view.User.Email);
        var entry = Assert.Single(await AuditEntriesAfterAsync(last));
        Assert.Contains(email, entry.AfterJson);
    }

    [Fact]
    public async Task AddMember_Twice_ThrowsConflict()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var (bob, _) = await AddMemberAsync(owner, team, TeamRole.Viewer, "bob");

        var e = await Assert.ThrowsAsync<ConflictException>(() => Members.AddMemberAsync(owner, team.Slug, bob.Email, TeamRole.Owner, Ct));

        Assert.Equal("email", e.Field);
    }

    [Theory]
    [InlineData("not-an-email")]
    [InlineData("")]
    [InlineData("a@b@c")]
    public async Task AddMember_WithBadEmail_ThrowsValidation_AndInvitesNobody(string email)
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        await using var db = Database.CreateContext();
        var users = await db.Users.CountAsync();

        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Members.AddMemberAsync(owner, team.Slug, email, TeamRole.Viewer, Ct));

        Assert.Equal(["email"], e.Errors.Keys);
        Assert.Equal(users, await db.Users.CountAsync());
    }

    [Fact]
    public async Task AddMember_WithUndefinedRole_ThrowsValidation_AndWritesNothing()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var email = UniqueEmail("odd");

        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Members.AddMemberAsync(owner, team.Slug, email, (TeamRole)7, Ct));

        Assert.Equal(["role"], e.Errors.Keys);
        await using var db = Database.CreateContext();
        Assert.False(await db.Users.AnyAsync(u => u.Email == email));
    }

    [Fact]
    public async Task ChangeRole_DemotingTheLastOwner_ThrowsConflict()
    {
        var (owner, ownerActor) = await SignInAsync("owner");
        var team = await CreateTeamAsync(ownerActor);

        var e = await Assert.ThrowsAsync<ConflictException>(() => Members.ChangeRoleAsync(ownerActor, team.Slug, owner.Id, TeamRole.Maintainer, null, Ct));

        Assert.Equal("role", e.Field);
        await using var db = Database.CreateContext();
        Assert.Equal(TeamRole.Owner, (await db.Memberships.SingleAsync(m => m.TeamId == team.Id)).Role);
    }

    [Fact]
    public async Task RemoveMember_TheLastOwner_ThrowsConflict()
    {
        var (owner, ownerActor) = await SignInAsync("owner");
        var team = await CreateTeamAsync(ownerActor);
        var (_, admin) = await SignInAdminAsync();

        await Assert.ThrowsAsync<ConflictException>(() => Members.RemoveMemberAsync(admin, team.Slug, owner.Id, null, Ct));

        await using var db = Database.CreateContext();
        Assert.True(await db.Memberships.AnyAsync(m => m.TeamId == team.Id && m.UserId == owner.Id));
    }

    [Fact]
    public async Task ChangeRole_WithAnotherOwner_DemotesAndBumpsVersion()
    {
        var (owner, ownerActor) = await SignInAsync("owner");
        var team = await CreateTeamAsync(ownerActor);
        await AddMemberAsync(ownerActor, team, TeamRole.Owner, "second");

        var view = await Members.ChangeRoleAsync(ownerActor, team.Slug, owner.Id, TeamRole.Viewer, 1, Ct);

        Assert.Equal((TeamRole.Viewer, 2L), (view.Membership.Role, view.Membership.Version));
    }

    [Fact]
    public async Task ChangeRole_WithStaleVersion_ThrowsPreconditionFailed()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var (bob, _) = await AddMemberAsync(owner, team, TeamRole.Viewer, "bob");
        await Members.ChangeRoleAsync(owner, team.Slug, bob.Id, TeamRole.Maintainer, 1, Ct);

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Members.ChangeRoleAsync(owner, team.Slug, bob.Id, TeamRole.Owner, 1, Ct));

        await using var db = Database.CreateContext();
        Assert.Equal(TeamRole.Maintainer, (await db.Memberships.SingleAsync(m => m.TeamId == team.Id && m.UserId == bob.Id)).Role);
    }

    [Fact]
    public async Task ChangeRole_ConcurrentlyWithTheSameVersion_ExactlyOneSucceeds()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var (bob, _) = await AddMemberAsync(owner, team, TeamRole.Viewer, "bob");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Try(() => Members.ChangeRoleAsync(owner, team.Slug, bob.Id, i % 2 == 0 ? TeamRole.Maintainer : TeamRole.Owner, 1, Ct))));

        Assert.Single(outcomes, o => o is null);
        Assert.All(outcomes.Where(o => o is not null), o => Assert.IsType<PreconditionFailedException>(o));
        await using var db = Database.CreateContext();
        Assert.Equal(2, (await db.Memberships.SingleAsync(m => m.TeamId == team.Id && m.UserId == bob.Id)).Version);
    }

    [Fact]
    public async Task TwoOwners_DemotingEachOtherConcurrently_NeverLeaveTheTeamWithoutAnOwner()
    {
        for (var round = 0; round < 5; round++)
        {
            var (alice, aliceActor) = await SignInAsync("alice");
            var team = await CreateTeamAsync(aliceActor);
            var (bob, bobActor) = await AddMemberAsync(aliceActor, team, TeamRole.Owner, "bob");

            var outcomes = await Task.WhenAll(
                Try(() => Members.ChangeRoleAsync(aliceActor, team.Slug, bob.Id, TeamRole.Viewer, null, Ct)),
                Try(() => Members.ChangeRoleAsync(bobActor, team.Slug, alice.Id, TeamRole.Viewer, null, Ct)));

            // The loser either raced (412), found no other owner left (409), or had already been demoted (403).
            Assert.Single(outcomes, o => o is null);
            Assert.All(outcomes.Where(o => o is not null),
                o => Assert.True(o is ConflictException or PreconditionFailedException or ForbiddenException, o!.ToString()));
            await using var db = Database.CreateContext();
            Assert.Equal(1, await db.Memberships.CountAsync(m => m.TeamId == team.Id && m.Role == TeamRole.Owner));
        }
    }

    [Fact]
    public async Task TwoOwners_RemovingEachOtherConcurrently_NeverLeaveTheTeamWithoutAnOwner()
    {
        for (var round = 0; round < 5; round++)
        {
            var (alice, aliceActor) = await SignInAsync("alice");
            var team = await CreateTeamAsync(aliceActor);
            var (bob, bobActor) = await AddMemberAsync(aliceActor, team, TeamRole.Owner, "bob");

            await Task.WhenAll(
                Try(() => Members.RemoveMemberAsync(aliceActor, team.Slug, bob.Id, null, Ct)),
                Try(() => Members.RemoveMemberAsync(bobActor, team.Slug, alice.Id, null, Ct)));

            await using var db = Database.CreateContext();
            Assert.Equal(1, await db.Memberships.CountAsync(m => m.TeamId == team.Id && m.Role == TeamRole.Owner));
        }
    }

    [Fact]
    public async Task Maintainer_ManagingMembers_IsForbidden()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var (_, maintainer) = await AddMemberAsync(owner, team, TeamRole.Maintainer, "maint");

        await Assert.ThrowsAsync<ForbiddenException>(() => Members.AddMemberAsync(maintainer, team.Slug, UniqueEmail("x"), TeamRole.Viewer, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Members.ChangeRoleAsync(maintainer, team.Slug, maintainer.UserId, TeamRole.Owner, null, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Members.RemoveMemberAsync(maintainer, team.Slug, owner.UserId, null, Ct));
    }

    [Fact]
    public async Task ListMembers_ForNonMember_ThrowsNotFound()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var (_, stranger) = await SignInAsync("stranger");

        await Assert.ThrowsAsync<NotFoundException>(() => Members.ListMembersAsync(stranger, team.Slug, Ct));
    }

    [Fact]
    public async Task RemoveMember_RemovesTheMembershipButKeepsTheUser()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var (bob, bobActor) = await AddMemberAsync(owner, team, TeamRole.Maintainer, "bob");

        await Members.RemoveMemberAsync(owner, team.Slug, bob.Id, 1, Ct);

        await Assert.ThrowsAsync<NotFoundException>(() => Teams.GetTeamAsync(bobActor, team.Slug, Ct));
        await using var db = Database.CreateContext();
        Assert.True(await db.Users.AnyAsync(u => u.Id == bob.Id));
    }

    private static async Task<Exception?> Try(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}

public sealed class MemberServiceTestsOnPostgres(PostgresDatabaseFixture database)
    : MemberServiceTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class MemberServiceTestsOnSqlite(SqliteDatabaseFixture database)
    : MemberServiceTests(database), IClassFixture<SqliteDatabaseFixture>;
