using Microsoft.EntityFrameworkCore;
using Portal.Core.Common;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tokens;
using Portal.Core.Users;
using Portal.Testing;

namespace Portal.Core.Tests.Persistence;

/// <summary>
/// Every mutable row carries a version the context bumps on update; a writer holding an older version loses with
/// <see cref="DbUpdateConcurrencyException"/> instead of silently overwriting the other's change.
/// </summary>
public abstract class ConcurrencyTests(PortalDatabaseFixture database)
{
    public enum Row { User, Team, Membership, Environment, Token, GroupMapping }

    public static TheoryData<Row> Rows => new(Enum.GetValues<Row>());

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Update_FromTwoContexts_SecondWriterGetsConcurrencyException(Row row)
    {
        var keys = await SeedAsync();

        await using var first = database.CreateContext();
        await using var second = database.CreateContext();
        var a = await LoadAsync(first, row, keys);
        var b = await LoadAsync(second, row, keys);
        Assert.Equal(a.Version, b.Version);

        Mutate(a, "first");
        await first.SaveChangesAsync();
        Mutate(b, "second");
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => second.SaveChangesAsync());

        await using var check = database.CreateContext();
        var stored = await LoadAsync(check, row, keys);
        Assert.Equal(a.Version, stored.Version);
        Assert.Equal(Describe(a), Describe(stored));
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Update_BumpsVersionByOneEachTime(Row row)
    {
        var keys = await SeedAsync();
        long initial;
        await using (var db = database.CreateContext())
            initial = (await LoadAsync(db, row, keys)).Version;
        Assert.Equal(1, initial);

        for (var i = 1; i <= 3; i++)
        {
            await using var db = database.CreateContext();
            Mutate(await LoadAsync(db, row, keys), $"change {i}");
            await db.SaveChangesAsync();
        }

        await using var check = database.CreateContext();
        Assert.Equal(initial + 3, (await LoadAsync(check, row, keys)).Version);
    }

    [Fact]
    public async Task Save_WithoutChanges_LeavesVersionAlone()
    {
        var keys = await SeedAsync();
        await using (var db = database.CreateContext())
        {
            var team = await db.Teams.SingleAsync(t => t.Id == keys.TeamId);
            team.DisplayName = team.DisplayName;
            await db.SaveChangesAsync();
        }
        await using var check = database.CreateContext();
        Assert.Equal(1, (await check.Teams.SingleAsync(t => t.Id == keys.TeamId)).Version);
    }

    [Fact]
    public async Task TeamSlug_ChangedThroughTheContext_IsRefused()
    {
        var keys = await SeedAsync();
        await using var db = database.CreateContext();
        var team = await db.Teams.SingleAsync(t => t.Id == keys.TeamId);
        team.Slug = "renamed-" + team.Slug[..8];
        await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
    }

    private sealed record Keys(Guid UserId, Guid TeamId, Guid EnvironmentId, Guid TokenId, Guid MappingId);

    private async Task<Keys> SeedAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var user = new User { Subject = $"sub-{suffix}", Email = $"u-{suffix}@example.com", DisplayName = "U" };
        var team = new Team { Slug = $"conc-{suffix}", DisplayName = "T", CreatedByUserId = user.Id };
        var environment = new TeamEnvironment
        {
            TeamId = team.Id, Name = EnvironmentName.Dev, AwsAccountId = "123456789012", Region = "eu-west-1",
            ProvisionerRoleArn = "arn:aws:iam::123456789012:role/p", ExternalId = $"ext-{suffix}",
        };
        var token = new ApiToken { Name = "t", UserId = user.Id, Scopes = TokenScopes.Read, SecretHash = suffix + new string('0', 56), SecretHint = "ucp_pat_x…" };
        var mapping = new GroupMapping { TeamId = team.Id, Group = $"g-{suffix}", Role = TeamRole.Viewer };
        await using var db = database.CreateContext();
        db.AddRange(user, team, environment, token, mapping, new Membership { Team = team, User = user, Role = TeamRole.Owner });
        await db.SaveChangesAsync();
        return new Keys(user.Id, team.Id, environment.Id, token.Id, mapping.Id);
    }

    private static async Task<IVersioned> LoadAsync(PortalDbContext db, Row row, Keys k) => row switch
    {
        Row.User => await db.Users.SingleAsync(x => x.Id == k.UserId),
        Row.Team => await db.Teams.SingleAsync(x => x.Id == k.TeamId),
        Row.Membership => await db.Memberships.SingleAsync(x => x.TeamId == k.TeamId && x.UserId == k.UserId),
        Row.Environment => await db.Environments.SingleAsync(x => x.Id == k.EnvironmentId),
        Row.Token => await db.ApiTokens.SingleAsync(x => x.Id == k.TokenId),
        Row.GroupMapping => await db.GroupMappings.SingleAsync(x => x.Id == k.MappingId),
        _ => throw new ArgumentOutOfRangeException(nameof(row)),
    };

    private static void Mutate(IVersioned row, string value)
    {
        switch (row)
        {
            case User u: u.DisplayName = value; break;
            case Team t: t.DisplayName = value; break;
            case Membership m: m.Role = m.Role == TeamRole.Owner ? TeamRole.Maintainer : TeamRole.Owner; m.AddedAt = m.AddedAt.AddSeconds(1); break;
            case TeamEnvironment e: e.Region = value.Length % 2 == 0 ? "us-east-1" : "eu-north-1"; e.ProvisionerRoleArn = $"arn:aws:iam::123456789012:role/{value.Replace(' ', '-')}"; break;
            case ApiToken a: a.Name = value; break;
            case GroupMapping g: g.Role = g.Role == TeamRole.Viewer ? TeamRole.Maintainer : TeamRole.Viewer; g.CreatedAt = g.CreatedAt.AddSeconds(1); break;
        }
    }

    private static string Describe(IVersioned row) => row switch
    {
        User u => u.DisplayName,
        Team t => t.DisplayName,
        Membership m => $"{m.Role} {m.AddedAt:O}",
        TeamEnvironment e => e.ProvisionerRoleArn,
        ApiToken a => a.Name,
        GroupMapping g => $"{g.Role} {g.CreatedAt:O}",
        _ => "",
    };
}

public sealed class ConcurrencyTestsOnPostgres(PostgresDatabaseFixture database)
    : ConcurrencyTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class ConcurrencyTestsOnSqlite(SqliteDatabaseFixture database)
    : ConcurrencyTests(database), IClassFixture<SqliteDatabaseFixture>;
