using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Common;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tests.Infrastructure;
using Portal.Core.Tokens;
using Portal.Testing;

namespace Portal.Core.Tests.Audit;

public abstract class AuditTests(PortalDatabaseFixture database) : ServiceTests(database)
{
    private readonly FailCommitInterceptor _failCommit = new();

    protected override void Configure(IServiceCollection services) =>
        services.ConfigureDbContext<PortalDbContext>(b => b.AddInterceptors(_failCommit));

    private const string Arn = "arn:aws:iam::123456789012:role/p";

    [Fact]
    public async Task EveryServiceChange_WritesExactlyOneAuditEntry_WithActorTimeAndAddress()
    {
        var (_, owner) = await SignInAsync("owner");
        var (bob, _) = await SignInAsync("bob");
        var slug = Unique("audited");
        Team? team = null;
        Guid tokenId = default;
        Guid mappingId = default;

        var steps = new (string Action, Func<Task> Run)[]
        {
            ("team.create", async () => team = (await Teams.CreateTeamAsync(owner, new NewTeam(slug, "A", null, null), Ct)).Team),
            ("team.update", () => Teams.UpdateTeamAsync(owner, slug, new TeamChanges("B", "d", null), null, Ct)),
            ("membership.create", () => Members.AddMemberAsync(owner, slug, bob.Email, TeamRole.Viewer, Ct)),
            ("membership.update", () => Members.ChangeRoleAsync(owner, slug, bob.Id, TeamRole.Owner, null, Ct)),
            ("membership.update", () => Members.ChangeRoleAsync(owner, slug, bob.Id, TeamRole.Viewer, null, Ct)),
            ("membership.delete", () => Members.RemoveMemberAsync(owner, slug, bob.Id, null, Ct)),
            ("group-mapping.create", async () => mappingId = (await GroupMappings.AddAsync(owner, slug, Unique("g"), TeamRole.Viewer, Ct)).Id),
            ("group-mapping.delete", () => GroupMappings.RemoveAsync(owner, slug, mappingId, Ct)),
            ("environment.create", () => Environments.RegisterAsync(owner, slug, new NewEnvironment(EnvironmentName.Dev, "123456789012", "eu-west-1", Arn, null), Ct)),
            ("environment.update", () => Environments.UpdateAsync(owner, slug, EnvironmentName.Dev, new EnvironmentChanges("us-east-1", null, null), null, Ct)),
            ("environment.delete", () => Environments.DeleteAsync(owner, slug, EnvironmentName.Dev, null, Ct)),
            ("token.create", async () => tokenId = (await Tokens.CreateAsync(owner, new NewToken("t", TokenScopes.Read, null), Ct)).Token.Id),
            ("token.revoke", () => Tokens.RevokeAsync(owner, tokenId, Ct)),
            ("team.delete", () => Teams.DeleteTeamAsync(owner, slug, null, Ct)),
        };

        foreach (var (action, run) in steps)
        {
            Clock.Advance(TimeSpan.FromMinutes(1));
            var last = await LastAuditIdAsync();
            await run();
            var entries = await AuditEntriesAfterAsync(last);
            var entry = Assert.Single(entries);
            Assert.Equal(action, entry.Action);
            Assert.Equal((ActorKind.User, owner.UserId, owner.Name, "127.0.0.1", AuditOutcome.Succeeded),
                (entry.ActorKind, entry.ActorUserId, entry.ActorName, entry.ClientAddress, entry.Outcome));
            Assert.Equal(Clock.GetUtcNow(), entry.At);
            if (!action.StartsWith("token.", StringComparison.Ordinal)) Assert.Equal(team!.Id, entry.TeamId);
            Assert.True(entry.BeforeJson is not null || entry.AfterJson is not null, action);
        }
    }

    [Fact]
    public async Task TeamUpdate_RecordsBeforeAndAfter()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var last = await LastAuditIdAsync();

        await Teams.UpdateTeamAsync(owner, team.Slug, new TeamChanges("After Name", null, "CC-9"), null, Ct);

        var entry = Assert.Single(await AuditEntriesAfterAsync(last));
        Assert.Contains($"\"displayName\":\"{team.DisplayName}\"", entry.BeforeJson);
        Assert.Contains("\"costCentre\":null", entry.BeforeJson);
        Assert.Contains("\"displayName\":\"After Name\"", entry.AfterJson);
        Assert.Contains("\"costCentre\":\"CC-9\"", entry.AfterJson);
    }

    [Fact]
    public async Task AuditEntries_NeverContainTheExternalIdOrTokenSecretOrHash()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var last = await LastAuditIdAsync();

        var env = await Environments.RegisterAsync(owner, team.Slug, new NewEnvironment(EnvironmentName.Prod, "123456789012", "eu-west-1", Arn, null), Ct);
        await Environments.UpdateAsync(owner, team.Slug, EnvironmentName.Prod, new EnvironmentChanges("us-east-1", null, null), null, Ct);
        var token = await Tokens.CreateAsync(owner, new NewToken("t", TokenScopes.Read, null), Ct);
        await Tokens.RevokeAsync(owner, token.Token.Id, Ct);
        await Environments.DeleteAsync(owner, team.Slug, EnvironmentName.Prod, null, Ct);

        var entries = await AuditEntriesAfterAsync(last);
        Assert.Equal(5, entries.Count);
        var secretPart = token.Secret[(TokenService.SecretPrefix.Length + 4)..];
        foreach (var json in entries.SelectMany(e => new[] { e.BeforeJson, e.AfterJson }).OfType<string>())
        {
            Assert.DoesNotContain(env.ExternalId, json);
            Assert.DoesNotContain(env.ExternalId[8..], json);
            Assert.DoesNotContain(secretPart, json);
            Assert.DoesNotContain(token.Token.SecretHash, json);
        }
        Assert.Contains($"\"externalId\":\"{AuditLog.Redacted}\"", entries[0].AfterJson);
    }

    [Fact]
    public void Serialize_RedactsSecretNamesAtAnyDepth()
    {
        var json = AuditLog.Serialize(new { name = "n", nested = new { Password = "p4ss", items = new[] { new { apiKey = "k3y" } } }, secretHash = "h4sh" })!;
        Assert.DoesNotContain("p4ss", json);
        Assert.DoesNotContain("k3y", json);
        Assert.DoesNotContain("h4sh", json);
        Assert.Contains("\"name\":\"n\"", json);
    }

    [Fact]
    public async Task FailedChange_AfterTheAuditEntryWasAdded_PersistsNeitherTheChangeNorTheEntry()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var last = await LastAuditIdAsync();
        var slug = Unique("doomed");

        _failCommit.Armed = true;
        await Assert.ThrowsAsync<InvalidOperationException>(() => Teams.CreateTeamAsync(owner, new NewTeam(slug, "Doomed", null, null), Ct));
        _failCommit.Armed = true;
        await Assert.ThrowsAsync<InvalidOperationException>(() => Teams.UpdateTeamAsync(owner, team.Slug, new TeamChanges("Doomed", null, null), null, Ct));
        _failCommit.Armed = true;
        await Assert.ThrowsAsync<InvalidOperationException>(() => Environments.RegisterAsync(owner, team.Slug, new NewEnvironment(EnvironmentName.Dev, "123456789012", "eu-west-1", Arn, null), Ct));

        Assert.Equal(3, _failCommit.Failures);
        Assert.Empty(await AuditEntriesAfterAsync(last));
        await using var db = Database.CreateContext();
        Assert.False(await db.Teams.AnyAsync(t => t.Slug == slug));
        Assert.Equal(team.DisplayName, (await db.Teams.SingleAsync(t => t.Id == team.Id)).DisplayName);
        Assert.False(await db.Environments.AnyAsync(e => e.TeamId == team.Id));
    }

    [Fact]
    public async Task RefusedChange_WritesNoAuditEntry()
    {
        var (owner, ownerActor) = await SignInAsync("owner");
        var team = await CreateTeamAsync(ownerActor);
        var (_, viewer) = await AddMemberAsync(ownerActor, team, TeamRole.Viewer);
        var last = await LastAuditIdAsync();

        await Assert.ThrowsAsync<ConflictException>(() => Members.ChangeRoleAsync(ownerActor, team.Slug, owner.Id, TeamRole.Viewer, null, Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Teams.UpdateTeamAsync(viewer, team.Slug, new TeamChanges("x", null, null), null, Ct));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Teams.UpdateTeamAsync(ownerActor, team.Slug, new TeamChanges("x", null, null), 99, Ct));

        Assert.Empty(await AuditEntriesAfterAsync(last));
    }

    [Fact]
    public async Task Owner_ReadsOnlyTheirTeamsLog_AndAdminReadsAll()
    {
        var (_, alice) = await SignInAsync("alice");
        var (_, bob) = await SignInAsync("bob");
        var (_, admin) = await SignInAdminAsync();
        var aliceTeam = await CreateTeamAsync(alice);
        var bobTeam = await CreateTeamAsync(bob);
        var (_, viewer) = await AddMemberAsync(alice, aliceTeam, TeamRole.Viewer);
        await Teams.UpdateTeamAsync(bob, bobTeam.Slug, new TeamChanges("Bob's", null, null), null, Ct);

        var alicesView = await Audit.ListAsync(alice, new AuditQuery(Limit: 200), Ct);
        Assert.NotEmpty(alicesView.Items);
        Assert.All(alicesView.Items, e => Assert.Equal(aliceTeam.Id, e.TeamId));

        var aliceTeamLog = await Audit.ListAsync(alice, new AuditQuery(Team: aliceTeam.Slug), Ct);
        Assert.Equal(["membership.create", "team.create"], aliceTeamLog.Items.Select(e => e.Action));
        await Assert.ThrowsAsync<NotFoundException>(() => Audit.ListAsync(alice, new AuditQuery(Team: bobTeam.Slug), Ct));
        await Assert.ThrowsAsync<ForbiddenException>(() => Audit.ListAsync(viewer, new AuditQuery(Team: aliceTeam.Slug), Ct));
        Assert.Empty((await Audit.ListAsync(viewer, new AuditQuery(), Ct)).Items);

        var all = await Audit.ListAsync(admin, new AuditQuery(Limit: 200), Ct);
        Assert.Contains(all.Items, e => e.TeamId == aliceTeam.Id);
        Assert.Contains(all.Items, e => e.TeamId == bobTeam.Id);
        Assert.Equal(2, (await Audit.ListAsync(admin, new AuditQuery(Team: bobTeam.Slug), Ct)).Items.Count);
    }

    [Fact]
    public async Task List_PagesNewestFirst_ByCursor_WithoutGapsOrRepeats()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        for (var i = 0; i < 6; i++) await Teams.UpdateTeamAsync(owner, team.Slug, new TeamChanges($"Name {i}", null, null), null, Ct);
        await using var db = Database.CreateContext();
        var expected = await db.AuditEntries.Where(e => e.TeamId == team.Id).OrderByDescending(e => e.Id).Select(e => e.Id).ToListAsync();
        Assert.Equal(7, expected.Count);

        var seen = new List<long>();
        string? cursor = null;
        var first = true;
        do
        {
            var page = await Audit.ListAsync(owner, new AuditQuery(Team: team.Slug, Cursor: cursor, Limit: 3), Ct);
            seen.AddRange(page.Items.Select(e => e.Id));
            cursor = page.NextCursor;
            if (first)
            {
                // Newer entries arriving meanwhile must not shift older pages.
                await Teams.UpdateTeamAsync(owner, team.Slug, new TeamChanges("Later", null, null), null, Ct);
                first = false;
            }
        } while (cursor is not null);

        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task OwnersReadOnlyToken_CanReadTheTeamsLog()
    {
        var (owner, ownerActor) = await SignInAsync("owner");
        var team = await CreateTeamAsync(ownerActor);

        var page = await Audit.ListAsync(PortalActors.ForToken(owner, TokenScopes.Read), new AuditQuery(Team: team.Slug), Ct);

        Assert.Equal("team.create", Assert.Single(page.Items).Action);
    }

    [Fact]
    public async Task List_FiltersByAction()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        await Teams.UpdateTeamAsync(owner, team.Slug, new TeamChanges("x", null, null), null, Ct);

        var page = await Audit.ListAsync(owner, new AuditQuery(Team: team.Slug, Action: "team.update"), Ct);

        Assert.Equal("team.update", Assert.Single(page.Items).Action);
    }

    [Fact]
    public async Task TokenActor_IsRecordedAsToken()
    {
        var (owner, _) = await SignInAsync("owner");
        var tokenActor = PortalActors.ForToken(owner, TokenScopes.Write);
        var last = await LastAuditIdAsync();

        await Teams.CreateTeamAsync(tokenActor, new NewTeam(Unique("bytoken"), "T", null, null), Ct);

        var entry = Assert.Single(await AuditEntriesAfterAsync(last));
        Assert.Equal((ActorKind.Token, owner.Id, tokenActor.TokenId), (entry.ActorKind, entry.ActorUserId, entry.ActorTokenId));
    }

    /// <summary>Fails a commit after every statement (the change and its audit entry) has run: the transaction must roll back.</summary>
    private sealed class FailCommitInterceptor : DbTransactionInterceptor
    {
        public volatile bool Armed;
        public int Failures;

        public override ValueTask<InterceptionResult> TransactionCommittingAsync(
            DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        {
            if (!Armed) return ValueTask.FromResult(result);
            Armed = false;
            Interlocked.Increment(ref Failures);
            throw new InvalidOperationException("Injected failure before commit.");
        }
    }
}

public sealed class AuditTestsOnPostgres(PostgresDatabaseFixture database)
    : AuditTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class AuditTestsOnSqlite(SqliteDatabaseFixture database)
    : AuditTests(database), IClassFixture<SqliteDatabaseFixture>;
