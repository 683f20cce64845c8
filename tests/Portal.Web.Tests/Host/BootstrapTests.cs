using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Persistence;
using Portal.Core.Tokens;
using Portal.Web.Identity;

namespace Portal.Web.Tests.Host;

public sealed class BootstrapTests
{
    [Fact]
    public async Task FirstStartInDevelopment_CreatesOneHashedAdminToken_AndTheDemoTeam_AndASecondStartAddsNothing()
    {
        await using var first = new PortalHostFactory("Development");
        first.CreateClient();
        var contexts = first.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync())
        {
            var token = Assert.Single(await db.ApiTokens.Include(t => t.User).ToListAsync());
            Assert.Equal(PortalActorScopes.All, token.Scopes);
            Assert.True(token.User!.IsPlatformAdmin);
            Assert.StartsWith(TokenService.SecretPrefix, token.SecretHint);
            Assert.Equal(64, token.SecretHash.Length);
            Assert.True(await db.Teams.AnyAsync(t => t.Slug == DevelopmentPersonas.DemoTeam));
        }

        // Same data directory, second start.
        await using var second = new PortalHostFactory("Development", new Dictionary<string, string?>
        {
            ["Database:SqlitePath"] = Path.Combine(first.DataDirectory, "portal.db"),
        });
        second.CreateClient();
        await using (var db = await contexts.CreateDbContextAsync())
        {
            Assert.Equal(1, await db.ApiTokens.CountAsync());
            Assert.Equal(1, await db.Teams.CountAsync());
        }
    }

    [Fact]
    public async Task StartOnPostgres_EvenInDevelopment_CreatesNoBootstrapToken()
    {
        await using var factory = await PortalHostFactory.OnPostgresAsync("Development");
        factory.CreateClient();
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await db.ApiTokens.CountAsync());
        Assert.Equal(0, await db.Users.CountAsync());
    }

    private static class PortalActorScopes
    {
        public const TokenScopes All = TokenScopes.Read | TokenScopes.Write | TokenScopes.Admin;
    }
}
