using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Teams;
using Portal.Core.Tests.Infrastructure;
using Portal.Core.Users;
using Portal.Testing;

namespace Portal.Core.Tests.Users;

public abstract class SignInTests(PortalDatabaseFixture database) : ServiceTests(database)
{
    /// <summary>A team that configuration maps a group to: created by each test class, named here so options can refer to it.</summary>
    private static readonly string ConfiguredTeam = $"cfg-{Guid.NewGuid():N}"[..12];
    private const string ConfiguredGroup = "idp-configured-maintainers";

    protected override void Configure(IServiceCollection services) =>
        services.Configure<IdentityOptions>(o => o.GroupMappings =
        [
            new ConfiguredGroupMapping { Group = ConfiguredGroup, Team = ConfiguredTeam, Role = TeamRole.Maintainer },
            new ConfiguredGroupMapping { Group = "idp-missing-team", Team = "no-such-team", Role = TeamRole.Owner },
        ]);

    [Fact]
    public async Task SignIn_FirstTime_CreatesUserWithSubjectAndTimes()
    {
        var email = UniqueEmail("Ada.Lovelace");
        var subject = "sub-" + Guid.NewGuid();

        var user = await Users.SignInAsync(new SignInIdentity(subject, $"  {email.ToUpperInvariant()} ", "Ada", []), Ct);

        await using var db = Database.CreateContext();
        var stored = await db.Users.SingleAsync(u => u.Subject == subject);
        Assert.Equal(user.Id, stored.Id);
        Assert.Equal(email.ToLowerInvariant(), stored.Email);
        Assert.Equal("Ada", stored.DisplayName);
        Assert.False(stored.IsPlatformAdmin);
        Assert.Equal(Clock.GetUtcNow(), stored.FirstSeenAt);
        Assert.Equal(Clock.GetUtcNow(), stored.LastSeenAt);
    }

    [Fact]
    public async Task SignIn_Again_UpsertsBySubject_UpdatesProfileAndLastSeen_KeepsFirstSeen()
    {
        var subject = "sub-" + Guid.NewGuid();
        var first = await Users.SignInAsync(new SignInIdentity(subject, UniqueEmail("old"), "Old Name", []), Ct);
        var firstSeen = Clock.GetUtcNow();
        Clock.Advance(TimeSpan.FromHours(5));
        var newEmail = UniqueEmail("new");

        var again = await Users.SignInAsync(new SignInIdentity(subject, newEmail, "New Name", []), Ct);

        Assert.Equal(first.Id, again.Id);
        await using var db = Database.CreateContext();
        var stored = await db.Users.SingleAsync(u => u.Subject == subject);
        Assert.Equal((newEmail, "New Name"), (stored.Email, stored.DisplayName));
        Assert.Equal(firstSeen, stored.FirstSeenAt);
        Assert.Equal(Clock.GetUtcNow(), stored.LastSeenAt);
        Assert.Equal(2, stored.Version);
    }

    [Fact]
    public async Task SignIn_WithOverlongDisplayName_StoresItShortened()
    {
        var subject = "sub-" + Guid.NewGuid();
        var name = new string('N', 500);

        var user = await Users.SignInAsync(new SignInIdentity(subject, UniqueEmail("long"), name, []), Ct);

        await using var db = Database.CreateContext();
        var stored = await db.Users.SingleAsync(u => u.Subject == subject);
        Assert.Equal(user.Id, stored.Id);
        Assert.Equal(200, stored.DisplayName.Length);
        Assert.StartsWith("NNN", stored.DisplayName);
    }

    [Fact]
    public async Task SignIn_WithoutDisplayName_UsesTheEmail()
    {
        var email = UniqueEmail("nameless");

        var user = await Users.SignInAsync(new SignInIdentity("sub-" + Guid.NewGuid(), email, " ", []), Ct);

        Assert.Equal(email, user.DisplayName);
    }

    [Fact]
    public async Task SignIn_ConcurrentFirstSignInsOfOnePerson_BothSucceedWithOneUser()
    {
        var email = UniqueEmail("double");
        var identity = new SignInIdentity("sub-" + Guid.NewGuid(), email, "Double", []);

        var users = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Users.SignInAsync(identity, Ct)));

        Assert.Single(users.Select(u => u.Id).Distinct());
        await using var db = Database.CreateContext();
        Assert.Equal(1, await db.Users.CountAsync(u => u.Email == email));
    }

    [Fact]
    public async Task SignIn_InAdminGroup_MakesPlatformAdmin_AndLeavingTheGroupRevokesIt()
    {
        var identity = new SignInIdentity("sub-" + Guid.NewGuid(), UniqueEmail("boss"), "Boss", ["other", AdminGroup]);

        Assert.True((await Users.SignInAsync(identity, Ct)).IsPlatformAdmin);
        Assert.False((await Users.SignInAsync(identity with { Groups = ["other"] }, Ct)).IsPlatformAdmin);
    }

    [Fact]
    public async Task SignIn_WithStoredGroupMapping_AddsGroupMembership_FollowsRoleChanges_AndRemovesItWhenGroupIsGone()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var group = Unique("idp-data");
        var mapping = await GroupMappings.AddAsync(owner, team.Slug, group, TeamRole.Viewer, Ct);
        var identity = new SignInIdentity("sub-" + Guid.NewGuid(), UniqueEmail("grouped"), "Grouped", [group]);

        var user = await Users.SignInAsync(identity, Ct);
        Assert.Equal((TeamRole.Viewer, MembershipSource.IdentityProviderGroup), await MembershipAsync(team, user));

        // The owner now maps the group to maintainer: the next sign-in follows.
        await GroupMappings.RemoveAsync(owner, team.Slug, mapping.Id, Ct);
        await GroupMappings.AddAsync(owner, team.Slug, group, TeamRole.Maintainer, Ct);
        await Users.SignInAsync(identity, Ct);
        Assert.Equal((TeamRole.Maintainer, MembershipSource.IdentityProviderGroup), await MembershipAsync(team, user));

        // The person left the group.
        await Users.SignInAsync(identity with { Groups = [] }, Ct);
        Assert.Null(await MembershipAsync(team, user));
    }

    [Fact]
    public async Task SignIn_AfterTheGroupMappingIsDeleted_RemovesTheGroupMembership()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var group = Unique("idp-gone");
        var mapping = await GroupMappings.AddAsync(owner, team.Slug, group, TeamRole.Maintainer, Ct);
        var identity = new SignInIdentity("sub-" + Guid.NewGuid(), UniqueEmail("follower"), "Follower", [group]);
        var user = await Users.SignInAsync(identity, Ct);
        Assert.NotNull(await MembershipAsync(team, user));

        await GroupMappings.RemoveAsync(owner, team.Slug, mapping.Id, Ct);
        await Users.SignInAsync(identity, Ct);

        Assert.Null(await MembershipAsync(team, user));
    }

    [Fact]
    public async Task SignIn_WithConfiguredGroupMapping_GrantsTheConfiguredRole_AndIgnoresMappingsToMissingTeams()
    {
        var (_, admin) = await SignInAdminAsync();
        await using (var db = Database.CreateContext())
        {
            if (!await db.Teams.AnyAsync(t => t.Slug == ConfiguredTeam))
                await Teams.CreateTeamAsync(admin, new NewTeam(ConfiguredTeam, "Configured", null, null, UniqueEmail("cfg-owner")), Ct);
        }

        var user = await Users.SignInAsync(new SignInIdentity("sub-" + Guid.NewGuid(), UniqueEmail("cfg"), "Cfg", [ConfiguredGroup, "idp-missing-team"]), Ct);

        await using var check = Database.CreateContext();
        var memberships = await check.Memberships.Where(m => m.UserId == user.Id).Include(m => m.Team).ToListAsync();
        var membership = Assert.Single(memberships);
        Assert.Equal((ConfiguredTeam, TeamRole.Maintainer, MembershipSource.IdentityProviderGroup),
            (membership.Team!.Slug, membership.Role, membership.Source));
    }

    [Fact]
    public async Task SignIn_WithTwoGroupsForOneTeam_GetsTheStrongerRole()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var viewers = Unique("idp-viewers");
        var owners = Unique("idp-owners");
        await GroupMappings.AddAsync(owner, team.Slug, viewers, TeamRole.Viewer, Ct);
        await GroupMappings.AddAsync(owner, team.Slug, owners, TeamRole.Owner, Ct);

        var user = await Users.SignInAsync(new SignInIdentity("sub-" + Guid.NewGuid(), UniqueEmail("both"), "Both", [viewers, owners]), Ct);

        Assert.Equal((TeamRole.Owner, MembershipSource.IdentityProviderGroup), await MembershipAsync(team, user));
    }

    [Fact]
    public async Task SignIn_MembershipEditedInThePortal_SurvivesGroupSync()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var group = Unique("idp-grp");
        await GroupMappings.AddAsync(owner, team.Slug, group, TeamRole.Viewer, Ct);
        var identity = new SignInIdentity("sub-" + Guid.NewGuid(), UniqueEmail("edited"), "Edited", [group]);
        var user = await Users.SignInAsync(identity, Ct);

        await Members.ChangeRoleAsync(owner, team.Slug, user.Id, TeamRole.Maintainer, null, Ct);
        await Users.SignInAsync(identity, Ct);
        Assert.Equal((TeamRole.Maintainer, MembershipSource.Portal), await MembershipAsync(team, user));

        await Users.SignInAsync(identity with { Groups = [] }, Ct);
        Assert.Equal((TeamRole.Maintainer, MembershipSource.Portal), await MembershipAsync(team, user));
    }

    [Fact]
    public async Task SignIn_PortalAddedMember_IsNotDowngradedByAWeakerGroup()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var group = Unique("idp-grp");
        await GroupMappings.AddAsync(owner, team.Slug, group, TeamRole.Viewer, Ct);
        var (bob, _) = await AddMemberAsync(owner, team, TeamRole.Maintainer, "bob");

        await Users.SignInAsync(new SignInIdentity(bob.Subject!, bob.Email, "Bob", [group]), Ct);

        Assert.Equal((TeamRole.Maintainer, MembershipSource.Portal), await MembershipAsync(team, bob));
    }

    [Fact]
    public async Task SignIn_GroupSourcedLastOwner_LeavingTheGroup_StaysOwner()
    {
        var (_, admin) = await SignInAdminAsync();
        var team = await CreateTeamAsync(admin);
        var group = Unique("idp-own");
        await GroupMappings.AddAsync(admin, team.Slug, group, TeamRole.Owner, Ct);
        var identity = new SignInIdentity("sub-" + Guid.NewGuid(), UniqueEmail("gowner"), "G Owner", [group]);
        var user = await Users.SignInAsync(identity, Ct);
        // The admin who created the team leaves; the group-sourced owner is now the only one.
        await Members.RemoveMemberAsync(admin, team.Slug, admin.UserId, null, Ct);

        await Users.SignInAsync(identity with { Groups = [] }, Ct);

        Assert.Equal(TeamRole.Owner, (await MembershipAsync(team, user))?.Role);
    }

    [Fact]
    public async Task SignIn_GroupSourcedLastOwner_WhoseGroupNowGrantsLess_StaysOwner()
    {
        var (_, admin) = await SignInAdminAsync();
        var team = await CreateTeamAsync(admin);
        var group = Unique("idp-own");
        var mapping = await GroupMappings.AddAsync(admin, team.Slug, group, TeamRole.Owner, Ct);
        var identity = new SignInIdentity("sub-" + Guid.NewGuid(), UniqueEmail("gowner"), "G Owner", [group]);
        var user = await Users.SignInAsync(identity, Ct);
        await Members.RemoveMemberAsync(admin, team.Slug, admin.UserId, null, Ct);
        await GroupMappings.RemoveAsync(admin, team.Slug, mapping.Id, Ct);
        await GroupMappings.AddAsync(admin, team.Slug, group, TeamRole.Viewer, Ct);

        await Users.SignInAsync(identity, Ct);

        Assert.Equal(TeamRole.Owner, (await MembershipAsync(team, user))?.Role);
    }

    [Fact]
    public async Task SignIn_GroupSyncRemovingAnOwner_WhileThePortalDemotesTheOther_NeverLeavesTheTeamWithoutAnOwner()
    {
        for (var round = 0; round < 6; round++)
        {
            var (alice, aliceActor) = await SignInAsync("alice");
            var team = await CreateTeamAsync(aliceActor);
            var group = Unique("idp-own");
            await GroupMappings.AddAsync(aliceActor, team.Slug, group, TeamRole.Owner, Ct);
            var identity = new SignInIdentity("sub-" + Guid.NewGuid(), UniqueEmail("gowner"), "G Owner", [group]);
            var bob = await Users.SignInAsync(identity, Ct);

            await Task.WhenAll(
                Swallow(() => Users.SignInAsync(identity with { Groups = [] }, Ct)),
                Swallow(() => Members.ChangeRoleAsync(aliceActor, team.Slug, alice.Id, TeamRole.Viewer, null, Ct)));

            await using var db = Database.CreateContext();
            Assert.True(await db.Memberships.AnyAsync(m => m.TeamId == team.Id && m.Role == TeamRole.Owner),
                $"Round {round}: team {team.Slug} was left without an owner (bob {bob.Id}).");
        }
    }

    private static async Task Swallow(Func<Task> action)
    {
        try { await action(); }
        catch (Common.PortalException) { /* the losing side of the race may be refused; the invariant is what counts */ }
    }

    [Fact]
    public async Task SignIn_GroupSync_WritesOneAuditEntryPerMembershipChange()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var group = Unique("idp-aud");
        await GroupMappings.AddAsync(owner, team.Slug, group, TeamRole.Viewer, Ct);
        var identity = new SignInIdentity("sub-" + Guid.NewGuid(), UniqueEmail("aud"), "Aud", [group]);
        var last = await LastAuditIdAsync();

        await Users.SignInAsync(identity, Ct);
        await Users.SignInAsync(identity, Ct);

        var entry = Assert.Single(await AuditEntriesAfterAsync(last));
        Assert.Equal(("membership.sync", team.Id), (entry.Action, entry.TeamId));
    }

    private async Task<(TeamRole Role, MembershipSource Source)?> MembershipAsync(Team team, User user)
    {
        await using var db = Database.CreateContext();
        var m = await db.Memberships.SingleOrDefaultAsync(m => m.TeamId == team.Id && m.UserId == user.Id);
        return m is null ? null : (m.Role, m.Source);
    }
}

public sealed class SignInTestsOnPostgres(PostgresDatabaseFixture database)
    : SignInTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class SignInTestsOnSqlite(SqliteDatabaseFixture database)
    : SignInTests(database), IClassFixture<SqliteDatabaseFixture>;
