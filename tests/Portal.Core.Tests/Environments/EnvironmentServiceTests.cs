using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Common;
using Portal.Core.Environments;
using Portal.Core.Teams;
using Portal.Core.Tests.Infrastructure;
using Portal.Testing;

namespace Portal.Core.Tests.Environments;

public abstract class EnvironmentServiceTests(PortalDatabaseFixture database) : ServiceTests(database)
{
    private const string Account = "123456789012";
    private const string Arn = "arn:aws:iam::123456789012:role/unicron-provisioner";

    private static NewEnvironment Dev(string account = Account, string region = "eu-west-1", string arn = Arn) =>
        new(EnvironmentName.Dev, account, region, arn, null);

    [Fact]
    public async Task Register_StoresEnvironmentWithGeneratedExternalIdAndDefaultTier()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);

        var env = await Environments.RegisterAsync(owner, team.Slug, new NewEnvironment(EnvironmentName.Prod, Account, "eu-west-1", Arn, null), Ct);

        Assert.Equal(ReliabilityTier.Critical, env.ReliabilityTier);
        Assert.StartsWith("unicron-", env.ExternalId);
        Assert.True(env.ExternalId.Length >= 32);
        await using var db = Database.CreateContext();
        var stored = await db.Environments.SingleAsync(e => e.TeamId == team.Id);
        Assert.Equal((EnvironmentName.Prod, Account, "eu-west-1", Arn, env.ExternalId, 1L),
            (stored.Name, stored.AwsAccountId, stored.Region, stored.ProvisionerRoleArn, stored.ExternalId, stored.Version));
    }

    [Fact]
    public async Task Register_ExternalIds_AreUniqueAndRandom()
    {
        var (_, owner) = await SignInAsync("owner");
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var team = await CreateTeamAsync(owner);
            foreach (var name in Enum.GetValues<EnvironmentName>())
                ids.Add((await Environments.RegisterAsync(owner, team.Slug, Dev() with { Name = name }, Ct)).ExternalId);
        }

        Assert.Equal(ids.Count, ids.Distinct().Count());
        // Not derived from anything guessable (team, name, account): at least 128 bits of hex after the prefix.
        Assert.All(ids, id => Assert.Matches("^unicron-[0-9a-f]{32,}$", id));
        Assert.True(ids.Select(id => id[8..12]).Distinct().Count() > 1);
    }

    [Fact]
    public async Task Register_SecondEnvironmentWithSameName_ThrowsConflict_ButOtherNamesAndTeamsAreFine()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var other = await CreateTeamAsync(owner);
        await Environments.RegisterAsync(owner, team.Slug, Dev(), Ct);

        var e = await Assert.ThrowsAsync<ConflictException>(() => Environments.RegisterAsync(owner, team.Slug, Dev(region: "us-east-1"), Ct));
        Assert.Equal("name", e.Field);

        await Environments.RegisterAsync(owner, team.Slug, Dev() with { Name = EnvironmentName.Staging }, Ct);
        await Environments.RegisterAsync(owner, other.Slug, Dev(), Ct);
        Assert.Equal(2, (await Environments.ListAsync(owner, team.Slug, Ct)).Count);
    }

    [Fact]
    public async Task Register_SameNameConcurrently_ExactlyOneWins()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
        {
            try { await Environments.RegisterAsync(owner, team.Slug, Dev(), Ct); return null; }
            catch (Exception e) { return e; }
        }));

        Assert.Single(results, r => r is null);
        Assert.All(results.Where(r => r is not null), r => Assert.IsType<ConflictException>(r));
    }

    [Theory]
    [InlineData("12345678901", "eu-west-1", Arn, "awsAccountId")]
    [InlineData("1234567890123", "eu-west-1", Arn, "awsAccountId")]
    [InlineData("12345678901a", "eu-west-1", Arn, "awsAccountId")]
    [InlineData("١٢٣٤٥٦٧٨٩٠١٢", "eu-west-1", Arn, "awsAccountId")]
    [InlineData(Account, "mars-north-1", Arn, "region")]
    [InlineData(Account, "EU-WEST-1", Arn, "region")]
    [InlineData(Account, "eu-west-1", "arn:aws:iam::210987654321:role/unicron-provisioner", "provisionerRoleArn")]
    [InlineData(Account, "eu-west-1", "arn:aws:iam::123456789012:user/someone", "provisionerRoleArn")]
    [InlineData(Account, "eu-west-1", "not an arn", "provisionerRoleArn")]
    public async Task Register_WithInvalidField_ThrowsValidationOnThatField_AndWritesNothing(string account, string region, string arn, string field)
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var lastAudit = await LastAuditIdAsync();

        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Environments.RegisterAsync(owner, team.Slug, Dev(account, region, arn), Ct));

        Assert.Equal([field], e.Errors.Keys);
        await using var db = Database.CreateContext();
        Assert.False(await db.Environments.AnyAsync(x => x.TeamId == team.Id));
        Assert.Empty(await AuditEntriesAfterAsync(lastAudit));
    }

    [Fact]
    public async Task Register_WithUndefinedName_ThrowsValidation()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Environments.RegisterAsync(owner, team.Slug, Dev() with { Name = (EnvironmentName)9 }, Ct));
        Assert.Contains("name", e.Errors.Keys);
    }

    [Fact]
    public async Task Register_UsesTheConfiguredRegionList()
    {
        using var services = PortalServices.Create(Database.Options, s =>
            s.Configure<EnvironmentOptions>(o => o.Regions = ["eu-south-2"]));
        var environments = services.GetRequiredService<EnvironmentService>();
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);

        var e = await Assert.ThrowsAsync<DomainValidationException>(() => environments.RegisterAsync(owner, team.Slug, Dev(region: "eu-west-1"), Ct));
        Assert.Equal(["region"], e.Errors.Keys);
        Assert.Contains("eu-south-2", e.Errors["region"].Single());

        var env = await environments.RegisterAsync(owner, team.Slug, Dev(region: "eu-south-2"), Ct);
        Assert.Equal("eu-south-2", env.Region);
    }

    [Fact]
    public async Task Register_ByMaintainer_IsForbidden_AndByNonMember_IsNotFound()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var (_, maintainer) = await AddMemberAsync(owner, team, TeamRole.Maintainer);
        var (_, stranger) = await SignInAsync("stranger");

        await Assert.ThrowsAsync<ForbiddenException>(() => Environments.RegisterAsync(maintainer, team.Slug, Dev(), Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Environments.RegisterAsync(stranger, team.Slug, Dev(), Ct));
        Assert.Empty(await Environments.ListAsync(maintainer, team.Slug, Ct));
    }

    [Fact]
    public async Task Update_RoleArnOfAnotherAccount_ThrowsValidation()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        await Environments.RegisterAsync(owner, team.Slug, Dev(), Ct);

        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Environments.UpdateAsync(owner, team.Slug, EnvironmentName.Dev,
            new EnvironmentChanges(null, "arn:aws:iam::999999999999:role/x", null), null, Ct));

        Assert.Equal(["provisionerRoleArn"], e.Errors.Keys);
    }

    [Fact]
    public async Task Update_ChangesRegionAndTier_BumpsVersion_KeepsExternalId()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        var env = await Environments.RegisterAsync(owner, team.Slug, Dev(), Ct);

        var updated = await Environments.UpdateAsync(owner, team.Slug, EnvironmentName.Dev,
            new EnvironmentChanges("us-west-2", null, ReliabilityTier.Standard), 1, Ct);

        Assert.Equal(("us-west-2", ReliabilityTier.Standard, 2L, env.ExternalId), (updated.Region, updated.ReliabilityTier, updated.Version, updated.ExternalId));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Environments.UpdateAsync(owner, team.Slug, EnvironmentName.Dev,
            new EnvironmentChanges("eu-west-1", null, null), 1, Ct));
    }

    [Fact]
    public async Task Update_ConcurrentlyWithTheSameVersion_ExactlyOneSucceeds()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        await Environments.RegisterAsync(owner, team.Slug, Dev(), Ct);
        var regions = new[] { "us-east-1", "us-east-2", "us-west-2", "eu-central-1", "eu-north-1" };

        var outcomes = await Task.WhenAll(regions.Select(async region =>
        {
            try { await Environments.UpdateAsync(owner, team.Slug, EnvironmentName.Dev, new EnvironmentChanges(region, null, null), 1, Ct); return null; }
            catch (Exception e) { return e; }
        }));

        Assert.Single(outcomes, o => o is null);
        Assert.All(outcomes.Where(o => o is not null), o => Assert.IsType<PreconditionFailedException>(o));
        var stored = await Environments.GetAsync(owner, team.Slug, EnvironmentName.Dev, Ct);
        Assert.Equal(2, stored.Version);
    }

    [Fact]
    public async Task Delete_RemovesTheEnvironment_AndAStaleVersionIsRefused()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        await Environments.RegisterAsync(owner, team.Slug, Dev(), Ct);
        await Environments.UpdateAsync(owner, team.Slug, EnvironmentName.Dev, new EnvironmentChanges("us-east-1", null, null), null, Ct);

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Environments.DeleteAsync(owner, team.Slug, EnvironmentName.Dev, 1, Ct));
        await Environments.DeleteAsync(owner, team.Slug, EnvironmentName.Dev, 2, Ct);

        await Assert.ThrowsAsync<NotFoundException>(() => Environments.GetAsync(owner, team.Slug, EnvironmentName.Dev, Ct));
    }

    [Theory]
    [InlineData("unicron-0123456789abcdef0123456789abcdef", "****cdef")]
    [InlineData("abc", "****")]
    [InlineData("abcd", "****")]
    public void MaskExternalId_ShowsOnlyTheLastFourCharacters(string externalId, string masked) =>
        Assert.Equal(masked, EnvironmentService.MaskExternalId(externalId));
}

public sealed class EnvironmentServiceTestsOnPostgres(PostgresDatabaseFixture database)
    : EnvironmentServiceTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class EnvironmentServiceTestsOnSqlite(SqliteDatabaseFixture database)
    : EnvironmentServiceTests(database), IClassFixture<SqliteDatabaseFixture>;
