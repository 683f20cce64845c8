using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Common;
using Portal.Core.Teams;
using Portal.Core.Tests.Infrastructure;
using Portal.Core.Tokens;
using Portal.Testing;

namespace Portal.Core.Tests.Teams;

public abstract class TeamServiceTests(PortalDatabaseFixture database) : ServiceTests(database)
{
    [Fact]
    public async Task CreateTeam_MakesCreatorTheOnlyOwner()
    {
        var (user, actor) = await SignInAsync("creator");
        var slug = Unique("data");

        var view = await Teams.CreateTeamAsync(actor, new NewTeam(slug, "  Data Science  ", "Models", "CC-42"), Ct);

        Assert.Equal(TeamRole.Owner, view.MyRole);
        Assert.Equal(1, view.MemberCount);
        await using var db = Database.CreateContext();
        var team = await db.Teams.SingleAsync(t => t.Slug == slug);
        Assert.Equal("Data Science", team.DisplayName);
        Assert.Equal("CC-42", team.CostCentre);
        Assert.Equal(user.Id, team.CreatedByUserId);
        Assert.Equal(Clock.GetUtcNow(), team.CreatedAt);
        Assert.Equal(1, team.Version);
        var membership = await db.Memberships.SingleAsync(m => m.TeamId == team.Id);
        Assert.Equal((user.Id, TeamRole.Owner, MembershipSource.Portal), (membership.UserId, membership.Role, membership.Source));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("a234567890123456789012345678901")]
    [InlineData("Data-Team")]
    [InlineData("-data")]
    [InlineData("data-")]
    [InlineData("data_team")]
    [InlineData("data.team")]
    [InlineData("data team")]
    [InlineData("")]
    [InlineData("dätä")]
    public async Task CreateTeam_WithSlugThatIsNotAShortDnsLabel_ThrowsValidationOnSlug_AndWritesNothing(string slug)
    {
        var (_, actor) = await SignInAsync("creator");
        var lastAudit = await LastAuditIdAsync();

        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Teams.CreateTeamAsync(actor, new NewTeam(slug, "Name", null, null), Ct));

        Assert.Equal(["slug"], e.Errors.Keys);
        await using var db = Database.CreateContext();
        Assert.False(await db.Teams.AnyAsync(t => t.Slug == slug));
        Assert.Empty(await AuditEntriesAfterAsync(lastAudit));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("a23456789012345678901234567890")]
    [InlineData("0ml")]
    [InlineData("ml-ops-2")]
    public async Task CreateTeam_WithValidSlugAtTheLimits_Succeeds(string baseSlug)
    {
        var (_, actor) = await SignInAsync("creator");
        // The class's database is shared by its tests: keep the length, randomise the tail of the longer ones.
        var slug = baseSlug.Length <= 4 ? baseSlug : baseSlug[..^4] + Guid.NewGuid().ToString("N")[..4];

        var view = await Teams.CreateTeamAsync(actor, new NewTeam(slug, "Name", null, null), Ct);

        Assert.Equal(slug, view.Team.Slug);
    }

    [Fact]
    public async Task CreateTeam_WithEveryFieldWrong_ReportsEachField_AndWritesNothing()
    {
        var (_, actor) = await SignInAsync("creator");
        var before = await CountTeamsAsync();

        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Teams.CreateTeamAsync(actor,
            new NewTeam("X", "", new string('d', Team.DescriptionMaxLength + 1), "cc\u0001", "boss@example.com"), Ct));

        Assert.Equal(["costCentre", "description", "displayName", "ownerEmail", "slug"], e.Errors.Keys.Order());
        Assert.Equal(before, await CountTeamsAsync());
    }

    [Fact]
    public async Task CreateTeam_WithDuplicateSlug_ThrowsConflict()
    {
        var (_, actor) = await SignInAsync("creator");
        var (_, other) = await SignInAsync("other");
        var team = await CreateTeamAsync(actor);
        var lastAudit = await LastAuditIdAsync();

        var e = await Assert.ThrowsAsync<ConflictException>(() => Teams.CreateTeamAsync(other, new NewTeam(team.Slug, "Again", null, null), Ct));

        Assert.Equal("slug", e.Field);
        Assert.Empty(await AuditEntriesAfterAsync(lastAudit));
        await using var db = Database.CreateContext();
        Assert.Equal(1, await db.Memberships.CountAsync(m => m.TeamId == team.Id));
    }

    [Fact]
    public async Task CreateTeam_SameSlugConcurrently_ExactlyOneWinsAndTheOthersGetConflict()
    {
        var actors = new List<PortalActor>();
        for (var i = 0; i < 6; i++) actors.Add((await SignInAsync($"racer{i}")).Actor);
        var slug = Unique("race");

        var results = await Task.WhenAll(actors.Select(async actor =>
        {
            try
            {
                await Teams.CreateTeamAsync(actor, new NewTeam(slug, "Race", null, null), Ct);
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }));

        Assert.Single(results, r => r is null);
        Assert.All(results.Where(r => r is not null), r => Assert.IsType<ConflictException>(r));
        await using var db = Database.CreateContext();
        var team = await db.Teams.SingleAsync(t => t.Slug == slug);
        Assert.Equal(1, await db.Memberships.CountAsync(m => m.TeamId == team.Id));
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.TeamId == team.Id));
    }

    [Fact]
    public async Task CreateTeam_ByAdminForOwnerEmail_InvitesThatPersonAsOwner_WhoClaimsItAtFirstSignIn()
    {
        var (admin, adminActor) = await SignInAdminAsync();
        var ownerEmail = UniqueEmail("Future.Owner");
        var slug = Unique("ordered");

        var view = await Teams.CreateTeamAsync(adminActor, new NewTeam(slug, "Ordered", null, null, ownerEmail.ToUpperInvariant()), Ct);

        Assert.Null(view.MyRole);
        await using (var db = Database.CreateContext())
        {
            var invited = await db.Users.SingleAsync(u => u.Email == ownerEmail.ToLowerInvariant());
            Assert.Null(invited.Subject);
            Assert.Null(invited.FirstSeenAt);
            var membership = await db.Memberships.SingleAsync(m => m.Team!.Slug == slug);
            Assert.Equal((invited.Id, TeamRole.Owner), (membership.UserId, membership.Role));
            Assert.False(await db.Memberships.AnyAsync(m => m.Team!.Slug == slug && m.UserId == admin.Id));
        }

        var owner = await Users.SignInAsync(new Core.Users.SignInIdentity("sub-" + Guid.NewGuid(), ownerEmail, "Future Owner", []), Ct);
        var mine = await Teams.GetTeamAsync(PortalActors.For(owner), slug, Ct);
        Assert.Equal(TeamRole.Owner, mine.MyRole);
    }

    [Fact]
    public async Task CreateTeam_ForOwnerEmail_ByNonAdmin_IsRefused()
    {
        var (_, actor) = await SignInAsync("creator");
        var slug = Unique("sneaky");

        var e = await Assert.ThrowsAsync<DomainValidationException>(() =>
            Teams.CreateTeamAsync(actor, new NewTeam(slug, "Sneaky", null, null, UniqueEmail("victim")), Ct));

        Assert.Contains("ownerEmail", e.Errors.Keys);
        await using var db = Database.CreateContext();
        Assert.False(await db.Teams.AnyAsync(t => t.Slug == slug));
    }

    [Fact]
    public async Task CreateTeam_WithReadOnlyToken_IsForbidden()
    {
        var (user, _) = await SignInAsync("script");
        await Assert.ThrowsAsync<ForbiddenException>(() =>
            Teams.CreateTeamAsync(PortalActors.ForToken(user, TokenScopes.Read), new NewTeam(Unique("ro"), "RO", null, null), Ct));
    }

    [Fact]
    public async Task CreateTeam_ByThePortalItself_WithoutOwnerEmail_IsAValidationError()
    {
        var e = await Assert.ThrowsAsync<DomainValidationException>(() =>
            Teams.CreateTeamAsync(PortalActor.System, new NewTeam(Unique("sys"), "System", null, null), Ct));
        Assert.Contains("ownerEmail", e.Errors.Keys);
    }

    [Fact]
    public async Task CreateTeam_WithSelfServiceOff_IsOnlyForAdmins()
    {
        using var services = PortalServices.Create(Database.Options, settings: new Dictionary<string, string?> { ["Teams:SelfServiceCreation"] = "false" });
        var teams = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<TeamService>(services);
        var (_, person) = await SignInAsync("person");
        var (_, admin) = await SignInAdminAsync();

        await Assert.ThrowsAsync<ForbiddenException>(() => teams.CreateTeamAsync(person, new NewTeam(Unique("self"), "Self", null, null), Ct));
        Assert.Equal(TeamRole.Owner, (await teams.CreateTeamAsync(admin, new NewTeam(Unique("byadmin"), "Admin's", null, null), Ct)).MyRole);
    }

    [Fact]
    public async Task UpdateTeam_ChangesFields_BumpsVersion_AndClearsWithEmptyString()
    {
        var (_, owner) = await SignInAsync("owner");
        var slug = Unique("upd");
        await Teams.CreateTeamAsync(owner, new NewTeam(slug, "Old", "Desc", "CC-1"), Ct);

        var view = await Teams.UpdateTeamAsync(owner, slug, new TeamChanges("New", "", null), expectedVersion: 1, Ct);

        Assert.Equal(2, view.Team.Version);
        await using var db = Database.CreateContext();
        var team = await db.Teams.SingleAsync(t => t.Slug == slug);
        Assert.Equal(("New", null, "CC-1", 2L), (team.DisplayName, team.Description, team.CostCentre, team.Version));
    }

    [Fact]
    public async Task UpdateTeam_WithStaleVersion_ThrowsPreconditionFailed_AndKeepsTheOtherChange()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        await Teams.UpdateTeamAsync(owner, team.Slug, new TeamChanges("First", null, null), 1, Ct);

        var e = await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            Teams.UpdateTeamAsync(owner, team.Slug, new TeamChanges("Second", null, null), 1, Ct));

        Assert.Equal(2, e.CurrentVersion);
        await using var db = Database.CreateContext();
        Assert.Equal("First", (await db.Teams.SingleAsync(t => t.Id == team.Id)).DisplayName);
    }

    [Fact]
    public async Task UpdateTeam_ConcurrentlyWithTheSameVersion_ExactlyOneSucceeds()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await Teams.UpdateTeamAsync(owner, team.Slug, new TeamChanges($"Writer {i}", null, null), 1, Ct);
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }));

        Assert.Single(results, r => r is null);
        Assert.All(results.Where(r => r is not null), r => Assert.IsType<PreconditionFailedException>(r));
        await using var db = Database.CreateContext();
        Assert.Equal(2, (await db.Teams.SingleAsync(t => t.Id == team.Id)).Version);
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.TeamId == team.Id && a.Action == "team.update"));
    }

    [Fact]
    public async Task UpdateTeam_WithNothingChanged_KeepsVersionAndWritesNoAudit()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var lastAudit = await LastAuditIdAsync();

        var view = await Teams.UpdateTeamAsync(owner, team.Slug, new TeamChanges(team.DisplayName, null, null), 1, Ct);

        Assert.Equal(1, view.Team.Version);
        Assert.Empty(await AuditEntriesAfterAsync(lastAudit));
    }

    [Fact]
    public async Task UpdateTeam_WithInvalidInput_WritesNothing()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);

        await Assert.ThrowsAsync<DomainValidationException>(() =>
            Teams.UpdateTeamAsync(owner, team.Slug, new TeamChanges("Fine", new string('x', Team.DescriptionMaxLength + 1), null), null, Ct));

        await using var db = Database.CreateContext();
        var stored = await db.Teams.SingleAsync(t => t.Id == team.Id);
        Assert.Equal((team.DisplayName, 1L), (stored.DisplayName, stored.Version));
    }

    [Fact]
    public async Task DeleteTeam_RemovesTeamWithMembersAndEnvironments()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        await AddMemberAsync(owner, team, TeamRole.Viewer);
        await Environments.RegisterAsync(owner, team.Slug,
            new Core.Environments.NewEnvironment(Core.Environments.EnvironmentName.Dev, "123456789012", "eu-west-1", "arn:aws:iam::123456789012:role/p", null), Ct);

        await Teams.DeleteTeamAsync(owner, team.Slug, 1, Ct);

        await using var db = Database.CreateContext();
        Assert.False(await db.Teams.AnyAsync(t => t.Id == team.Id));
        Assert.False(await db.Memberships.AnyAsync(m => m.TeamId == team.Id));
        Assert.False(await db.Environments.AnyAsync(e => e.TeamId == team.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => Teams.GetTeamAsync(owner, team.Slug, Ct));
    }

    [Fact]
    public async Task ListTeams_ShowsOnlyTheCallersTeams_WithTheirRole()
    {
        var (_, alice) = await SignInAsync("alice");
        var (_, bob) = await SignInAsync("bob");
        var mine = await CreateTeamAsync(alice, "mine");
        var theirs = await CreateTeamAsync(bob, "theirs");
        var shared = await CreateTeamAsync(bob, "shared");
        await Members.AddMemberAsync(bob, shared.Slug, (await GetEmailAsync(alice)), TeamRole.Viewer, Ct);

        var page = await Teams.ListTeamsAsync(alice, new TeamQuery(Limit: 200), Ct);

        Assert.Equal([mine.Slug, shared.Slug], page.Items.Select(v => v.Team.Slug).Order());
        Assert.DoesNotContain(page.Items, v => v.Team.Slug == theirs.Slug);
        Assert.Equal(TeamRole.Viewer, page.Items.Single(v => v.Team.Slug == shared.Slug).MyRole);
        Assert.Equal(2, page.Items.Single(v => v.Team.Slug == shared.Slug).MemberCount);
    }

    [Fact]
    public async Task ListTeams_ForAdmin_ShowsEveryTeam()
    {
        var (_, alice) = await SignInAsync("alice");
        var (_, admin) = await SignInAdminAsync();
        var team = await CreateTeamAsync(alice, "admin-sees");

        var page = await Teams.ListTeamsAsync(admin, new TeamQuery(Search: team.Slug), Ct);

        var view = Assert.Single(page.Items);
        Assert.Null(view.MyRole);
    }

    [Fact]
    public async Task ListTeams_PagesByCursor_InSlugOrder_WithoutGapsOrRepeats_EvenWhenTeamsAreAddedBetweenPages()
    {
        var (_, actor) = await SignInAsync("pager");
        var prefix = Unique("pg");
        var slugs = new List<string>();
        foreach (var n in new[] { "e", "b", "g", "a", "d", "c", "f" })
        {
            var slug = $"{prefix}-{n}";
            await Teams.CreateTeamAsync(actor, new NewTeam(slug, n, null, null), Ct);
            slugs.Add(slug);
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Teams.ListTeamsAsync(actor, new TeamQuery(Cursor: cursor, Limit: 3), Ct);
            seen.AddRange(page.Items.Select(v => v.Team.Slug));
            cursor = page.NextCursor;
            if (pages++ == 0)
            {
                // Added behind the cursor: must not shift later pages.
                await Teams.CreateTeamAsync(actor, new NewTeam($"{prefix}-0", "zero", null, null), Ct);
            }
        } while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(slugs.Order(StringComparer.Ordinal), seen);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(201)]
    public async Task ListTeams_WithLimitOutOfRange_ThrowsValidationOnLimit(int limit)
    {
        var (_, actor) = await SignInAsync("pager");
        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Teams.ListTeamsAsync(actor, new TeamQuery(Limit: limit), Ct));
        Assert.Equal(["limit"], e.Errors.Keys);
    }

    [Fact]
    public async Task ListTeams_WithForeignCursor_ThrowsValidationOnCursor()
    {
        var (_, actor) = await SignInAsync("pager");
        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Teams.ListTeamsAsync(actor, new TeamQuery(Cursor: "%%%"), Ct));
        Assert.Equal(["cursor"], e.Errors.Keys);
    }

    [Fact]
    public async Task ListTeams_Search_MatchesSlugOrDisplayNameIgnoringCase()
    {
        var (_, actor) = await SignInAsync("searcher");
        var word = Guid.NewGuid().ToString("N")[..10];
        var bySlug = Unique(word[..6]);
        var byName = Unique("other");
        await Teams.CreateTeamAsync(actor, new NewTeam(bySlug, "Plain", null, null), Ct);
        await Teams.CreateTeamAsync(actor, new NewTeam(byName, $"The {word[..6].ToUpperInvariant()} Team", null, null), Ct);
        await CreateTeamAsync(actor, "unrelated");

        var page = await Teams.ListTeamsAsync(actor, new TeamQuery(Search: $"  {word[..6].ToUpperInvariant()} "), Ct);

        Assert.Equal(new[] { bySlug, byName }.Order(), page.Items.Select(v => v.Team.Slug).Order());
    }

    [Fact]
    public async Task ListTeams_SearchWithLikeWildcards_MatchesThemLiterally()
    {
        var (_, actor) = await SignInAsync("searcher");
        await CreateTeamAsync(actor, "wild");

        var page = await Teams.ListTeamsAsync(actor, new TeamQuery(Search: "%"), Ct);

        Assert.Empty(page.Items);
    }

    private async Task<int> CountTeamsAsync()
    {
        await using var db = Database.CreateContext();
        return await db.Teams.CountAsync();
    }

    private async Task<string> GetEmailAsync(PortalActor actor) => (await Users.GetUserAsync(actor.UserId, Ct)).Email;
}

public sealed class TeamServiceTestsOnPostgres(PostgresDatabaseFixture database)
    : TeamServiceTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class TeamServiceTestsOnSqlite(SqliteDatabaseFixture database)
    : TeamServiceTests(database), IClassFixture<SqliteDatabaseFixture>;
