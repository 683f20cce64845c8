using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Common;
using Portal.Core.Tests.Infrastructure;
using Portal.Core.Tokens;
using Portal.Testing;

namespace Portal.Core.Tests.Tokens;

public abstract class TokenServiceTests(PortalDatabaseFixture database) : ServiceTests(database)
{
    [Fact]
    public async Task Create_ReturnsPrefixedSecretOnce_AndStoresOnlyItsSha256()
    {
        var (user, actor) = await SignInAsync("scripter");

        var created = await Tokens.CreateAsync(actor, new NewToken("  ci  ", TokenScopes.Read | TokenScopes.Write, null), Ct);

        Assert.StartsWith(TokenService.SecretPrefix, created.Secret);
        Assert.Equal("ucp_pat_", TokenService.SecretPrefix);
        Assert.True(created.Secret.Length >= TokenService.SecretPrefix.Length + 40);
        var expectedHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(created.Secret)));
        await using var db = Database.CreateContext();
        var stored = await db.ApiTokens.AsNoTracking().SingleAsync(t => t.Id == created.Token.Id);
        Assert.Equal(expectedHash, stored.SecretHash);
        Assert.Equal(("ci", user.Id, TokenScopes.Read | TokenScopes.Write), (stored.Name, stored.UserId, stored.Scopes));
        Assert.Equal(Clock.GetUtcNow().AddDays(30), stored.ExpiresAt);
        // Nothing the token service can list or get brings the secret back.
        var secretPart = created.Secret[(TokenService.SecretPrefix.Length + 4)..];
        Assert.DoesNotContain(secretPart, stored.SecretHint);
        var listed = Assert.Single((await Tokens.ListAsync(actor, null, null, Ct)).Items);
        Assert.DoesNotContain(secretPart, listed.SecretHint + listed.Name + listed.SecretHash);
    }

    [Fact]
    public async Task Create_SecretsAreUniquePerToken()
    {
        var (_, actor) = await SignInAsync("scripter");
        var secrets = new HashSet<string>();
        for (var i = 0; i < 10; i++) secrets.Add((await Tokens.CreateAsync(actor, new NewToken($"t{i}", TokenScopes.Read, null), Ct)).Secret);
        Assert.Equal(10, secrets.Count);
    }

    [Fact]
    public async Task Authenticate_WithTheSecret_ReturnsTokenAndUser_UntilItExpires()
    {
        var (user, actor) = await SignInAsync("scripter");
        var created = await Tokens.CreateAsync(actor, new NewToken("ci", TokenScopes.Read, Clock.GetUtcNow().AddDays(7)), Ct);

        var result = await Tokens.AuthenticateAsync(created.Secret, Ct);
        Assert.NotNull(result);
        Assert.Equal((created.Token.Id, user.Id), (result.Value.Token.Id, result.Value.User.Id));

        Clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        Assert.NotNull(await Tokens.AuthenticateAsync(created.Secret, Ct));
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await Tokens.AuthenticateAsync(created.Secret, Ct));
    }

    [Fact]
    public async Task Authenticate_AfterRevocation_ReturnsNull()
    {
        var (_, actor) = await SignInAsync("scripter");
        var created = await Tokens.CreateAsync(actor, new NewToken("ci", TokenScopes.Read, null), Ct);

        var revoked = await Tokens.RevokeAsync(actor, created.Token.Id, Ct);

        Assert.Equal(Clock.GetUtcNow(), revoked.RevokedAt);
        Assert.Null(await Tokens.AuthenticateAsync(created.Secret, Ct));
    }

    [Fact]
    public async Task Authenticate_RevokedWhileCached_ReturnsNullAtOnce()
    {
        var (_, actor) = await SignInAsync("scripter");
        var created = await Tokens.CreateAsync(actor, new NewToken("ci", TokenScopes.Read, null), Ct);
        Assert.NotNull(await Tokens.AuthenticateAsync(created.Secret, Ct));

        await Tokens.RevokeAsync(actor, created.Token.Id, Ct);

        Assert.Null(await Tokens.AuthenticateAsync(created.Secret, Ct));
    }

    [Fact]
    public async Task Authenticate_RevokedByAnotherProcess_IsTrustedOnlyUntilTheCacheTimeRunsOut()
    {
        var (_, actor) = await SignInAsync("scripter");
        var created = await Tokens.CreateAsync(actor, new NewToken("ci", TokenScopes.Read, null), Ct);
        Assert.NotNull(await Tokens.AuthenticateAsync(created.Secret, Ct));
        // Another portal process revokes it: this process's cache does not hear of it.
        await using (var db = Database.CreateContext())
            await db.ApiTokens.Where(t => t.Id == created.Token.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, Clock.GetUtcNow()), Ct);

        Clock.Advance(TimeSpan.FromSeconds(new TokenOptions().AuthenticationCacheSeconds) - TimeSpan.FromMilliseconds(1));
        Assert.NotNull(await Tokens.AuthenticateAsync(created.Secret, Ct));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await Tokens.AuthenticateAsync(created.Secret, Ct));
    }

    [Fact]
    public async Task Authenticate_WithTheCacheOff_SeesAnotherProcesssRevocationAtOnce()
    {
        using var services = PortalServices.Create(Database.Options, settings: new Dictionary<string, string?> { ["Tokens:AuthenticationCacheSeconds"] = "0" });
        var tokens = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<TokenService>(services);
        var (_, actor) = await SignInAsync("scripter");
        var created = await tokens.CreateAsync(actor, new NewToken("ci", TokenScopes.Read, null), Ct);
        Assert.NotNull(await tokens.AuthenticateAsync(created.Secret, Ct));

        await using (var db = Database.CreateContext())
            await db.ApiTokens.Where(t => t.Id == created.Token.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, Clock.GetUtcNow()), Ct);

        Assert.Null(await tokens.AuthenticateAsync(created.Secret, Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ucp_pat_")]
    [InlineData("ucp_pat_nonsense")]
    [InlineData("ghp_abcdefghijklmnopqrstuvwxyz0123456789")]
    public async Task Authenticate_WithUnknownSecret_ReturnsNull(string secret) =>
        Assert.Null(await Tokens.AuthenticateAsync(secret, Ct));

    [Fact]
    public async Task Authenticate_WithTheStoredHashInsteadOfTheSecret_ReturnsNull()
    {
        var (_, actor) = await SignInAsync("scripter");
        var created = await Tokens.CreateAsync(actor, new NewToken("ci", TokenScopes.Read, null), Ct);
        Assert.Null(await Tokens.AuthenticateAsync(TokenService.SecretPrefix + created.Token.SecretHash, Ct));
        Assert.Null(await Tokens.AuthenticateAsync(created.Token.SecretHash, Ct));
    }

    [Fact]
    public async Task Authenticate_UpdatesLastUsed_AtMostOncePerGranularity_WithoutBumpingVersion()
    {
        var (_, actor) = await SignInAsync("scripter");
        var created = await Tokens.CreateAsync(actor, new NewToken("ci", TokenScopes.Read, null), Ct);
        var firstUse = Clock.GetUtcNow();

        await Tokens.AuthenticateAsync(created.Secret, Ct);
        Assert.Equal(firstUse, await LastUsedAsync(created.Token.Id));

        Clock.Advance(TokenService.LastUsedGranularity - TimeSpan.FromSeconds(1));
        await Tokens.AuthenticateAsync(created.Secret, Ct);
        Assert.Equal(firstUse, await LastUsedAsync(created.Token.Id));

        Clock.Advance(TimeSpan.FromSeconds(1));
        await Tokens.AuthenticateAsync(created.Secret, Ct);
        Assert.Equal(Clock.GetUtcNow(), await LastUsedAsync(created.Token.Id));

        await using var db = Database.CreateContext();
        Assert.Equal(1, (await db.ApiTokens.SingleAsync(t => t.Id == created.Token.Id)).Version);
    }

    [Fact]
    public async Task Create_FromAReadToken_CannotEscalateToWrite()
    {
        var (user, _) = await SignInAsync("scripter");
        var readToken = PortalActors.ForToken(user, TokenScopes.Read);

        // A read token cannot create tokens at all (that is a write)...
        await Assert.ThrowsAsync<ForbiddenException>(() => Tokens.CreateAsync(readToken, new NewToken("x", TokenScopes.Read, null), Ct));
    }

    [Fact]
    public async Task Create_FromAWriteToken_CannotMintAdminScope_EvenForAnAdmin()
    {
        var (admin, _) = await SignInAdminAsync();
        var writeToken = PortalActors.ForToken(admin, TokenScopes.Read | TokenScopes.Write);

        var e = await Assert.ThrowsAsync<DomainValidationException>(() =>
            Tokens.CreateAsync(writeToken, new NewToken("x", TokenScopes.Admin, null), Ct));

        Assert.Equal(["scopes"], e.Errors.Keys);
    }

    [Fact]
    public async Task Create_FromAWriteToken_MayMintAReadToken()
    {
        var (user, _) = await SignInAsync("scripter");
        var writeToken = PortalActors.ForToken(user, TokenScopes.Write);

        var created = await Tokens.CreateAsync(writeToken, new NewToken("narrower", TokenScopes.Read, null), Ct);

        Assert.Equal(TokenScopes.Read, created.Token.Scopes);
    }

    [Fact]
    public async Task Create_AdminScope_IsOnlyForPlatformAdmins()
    {
        var (_, person) = await SignInAsync("person");
        var (_, admin) = await SignInAdminAsync();

        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Tokens.CreateAsync(person, new NewToken("x", TokenScopes.Admin, null), Ct));
        Assert.Equal(["scopes"], e.Errors.Keys);

        var created = await Tokens.CreateAsync(admin, new NewToken("ops", TokenScopes.Admin | TokenScopes.Read, null), Ct);
        Assert.True(created.Token.Scopes.HasFlag(TokenScopes.Admin));
    }

    [Theory]
    [InlineData(TokenScopes.None)]
    [InlineData((TokenScopes)8)]
    public async Task Create_WithNoOrUnknownScopes_ThrowsValidation(TokenScopes scopes)
    {
        var (_, actor) = await SignInAsync("scripter");
        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Tokens.CreateAsync(actor, new NewToken("x", scopes, null), Ct));
        Assert.Equal(["scopes"], e.Errors.Keys);
    }

    [Fact]
    public async Task Create_BeyondMaxLifetime_ThrowsValidation_AndWritesNothing()
    {
        var (user, actor) = await SignInAsync("scripter");

        var e = await Assert.ThrowsAsync<DomainValidationException>(() =>
            Tokens.CreateAsync(actor, new NewToken("long", TokenScopes.Read, Clock.GetUtcNow().AddDays(90).AddMinutes(1)), Ct));
        Assert.Equal(["expiresAt"], e.Errors.Keys);
        await Assert.ThrowsAsync<DomainValidationException>(() =>
            Tokens.CreateAsync(actor, new NewToken("past", TokenScopes.Read, Clock.GetUtcNow()), Ct));

        await using var db = Database.CreateContext();
        Assert.False(await db.ApiTokens.AnyAsync(t => t.UserId == user.Id));
        var atMax = await Tokens.CreateAsync(actor, new NewToken("max", TokenScopes.Read, Clock.GetUtcNow().AddDays(90)), Ct);
        Assert.Equal(Clock.GetUtcNow().AddDays(90), atMax.Token.ExpiresAt);
    }

    [Fact]
    public async Task Create_WithExpiryInAnotherOffset_StoresTheSameInstantInUtc()
    {
        var (_, actor) = await SignInAsync("scripter");
        var expires = Clock.GetUtcNow().AddDays(3).ToOffset(TimeSpan.FromHours(5.5));

        var created = await Tokens.CreateAsync(actor, new NewToken("tz", TokenScopes.Read, expires), Ct);

        await using var db = Database.CreateContext();
        var stored = await db.ApiTokens.SingleAsync(t => t.Id == created.Token.Id);
        Assert.Equal(expires.UtcDateTime, stored.ExpiresAt.UtcDateTime);
    }

    [Fact]
    public async Task MaxLifetime_ComesFromConfiguration()
    {
        using var services = PortalServices.Create(Database.Options, settings: new Dictionary<string, string?>
        {
            ["Tokens:MaxLifetimeDays"] = "7",
            ["Tokens:DefaultLifetimeDays"] = "7",
        });
        var tokens = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<TokenService>(services);
        var clock = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<TestClock>(services);
        var (_, actor) = await SignInAsync("scripter");

        await Assert.ThrowsAsync<DomainValidationException>(() =>
            tokens.CreateAsync(actor, new NewToken("x", TokenScopes.Read, clock.GetUtcNow().AddDays(8)), Ct));
        var created = await tokens.CreateAsync(actor, new NewToken("x", TokenScopes.Read, null), Ct);
        Assert.Equal(clock.GetUtcNow().AddDays(7), created.Token.ExpiresAt);
    }

    [Fact]
    public async Task LastUsedGranularity_ComesFromConfiguration()
    {
        using var services = PortalServices.Create(Database.Options, settings: new Dictionary<string, string?> { ["Tokens:LastUsedGranularitySeconds"] = "0" });
        var tokens = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<TokenService>(services);
        var clock = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<TestClock>(services);
        var (_, actor) = await SignInAsync("scripter");
        var created = await tokens.CreateAsync(actor, new NewToken("ci", TokenScopes.Read, null), Ct);

        await tokens.AuthenticateAsync(created.Secret, Ct);
        clock.Advance(TimeSpan.FromSeconds(1));
        await tokens.AuthenticateAsync(created.Secret, Ct);

        Assert.Equal(clock.GetUtcNow(), await LastUsedAsync(created.Token.Id));
    }

    [Fact]
    public async Task CreateForSubject_MintsATokenForThatUser_AuditedAsSystem()
    {
        var (admin, _) = await SignInAdminAsync();
        var last = await LastAuditIdAsync();

        var created = await Tokens.CreateForSubjectAsync(admin.Subject!, "bootstrap", PortalActor.AllScopes, 30, Ct);

        var result = await Tokens.AuthenticateAsync(created.Secret, Ct);
        Assert.Equal(admin.Id, result?.User.Id);
        var entry = Assert.Single(await AuditEntriesAfterAsync(last));
        Assert.Equal(("token.create", Core.Audit.ActorKind.System), (entry.Action, entry.ActorKind));
    }

    [Theory]
    [InlineData(TokenScopes.Admin, 30, "scopes")]
    [InlineData(TokenScopes.None, 30, "scopes")]
    [InlineData(TokenScopes.Read, 0, "lifetimeDays")]
    [InlineData(TokenScopes.Read, 91, "lifetimeDays")]
    public async Task CreateForSubject_WithBadScopesOrLifetime_ThrowsValidation_AndWritesNothing(TokenScopes scopes, int days, string field)
    {
        var (user, _) = await SignInAsync("operator");

        var e = await Assert.ThrowsAsync<DomainValidationException>(() => Tokens.CreateForSubjectAsync(user.Subject!, "op", scopes, days, Ct));

        Assert.Equal([field], e.Errors.Keys);
        await using var db = Database.CreateContext();
        Assert.False(await db.ApiTokens.AnyAsync(t => t.UserId == user.Id));
    }

    [Fact]
    public async Task CreateForSubject_UnknownSubject_ThrowsNotFound() =>
        await Assert.ThrowsAsync<NotFoundException>(() => Tokens.CreateForSubjectAsync("sub-nobody-" + Guid.NewGuid(), "op", TokenScopes.Read, 30, Ct));

    [Fact]
    public async Task ListAndRevoke_OnlyTheOwnersTokens()
    {
        var (_, alice) = await SignInAsync("alice");
        var (_, bob) = await SignInAsync("bob");
        var aliceToken = await Tokens.CreateAsync(alice, new NewToken("a", TokenScopes.Read, null), Ct);

        Assert.Empty((await Tokens.ListAsync(bob, null, null, Ct)).Items);
        await Assert.ThrowsAsync<NotFoundException>(() => Tokens.GetAsync(bob, aliceToken.Token.Id, Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Tokens.RevokeAsync(bob, aliceToken.Token.Id, Ct));
        Assert.NotNull(await Tokens.AuthenticateAsync(aliceToken.Secret, Ct));
    }

    [Fact]
    public async Task List_PagesByCursor_InCreationOrder()
    {
        var (_, actor) = await SignInAsync("scripter");
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++) ids.Add((await Tokens.CreateAsync(actor, new NewToken($"t{i}", TokenScopes.Read, null), Ct)).Token.Id);

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await Tokens.ListAsync(actor, cursor, 2, Ct);
            seen.AddRange(page.Items.Select(t => t.Id));
            cursor = page.NextCursor;
        } while (cursor is not null);

        Assert.Equal(ids.Order(), seen.Order());
        Assert.Equal(ids.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task Revoke_Concurrently_WithARenameFromAnotherContext_OneWriterLoses()
    {
        var (_, actor) = await SignInAsync("scripter");
        var created = await Tokens.CreateAsync(actor, new NewToken("ci", TokenScopes.Read, null), Ct);
        await using var stale = Database.CreateContext();
        var token = await stale.ApiTokens.SingleAsync(t => t.Id == created.Token.Id);

        await Tokens.RevokeAsync(actor, created.Token.Id, Ct);
        token.Name = "renamed";

        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => stale.SaveChangesAsync());
    }

    private async Task<DateTimeOffset?> LastUsedAsync(Guid id)
    {
        await using var db = Database.CreateContext();
        return (await db.ApiTokens.AsNoTracking().SingleAsync(t => t.Id == id)).LastUsedAt;
    }
}

public sealed class TokenServiceTestsOnPostgres(PostgresDatabaseFixture database)
    : TokenServiceTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class TokenServiceTestsOnSqlite(SqliteDatabaseFixture database)
    : TokenServiceTests(database), IClassFixture<SqliteDatabaseFixture>;
