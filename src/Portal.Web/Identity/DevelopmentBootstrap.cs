using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tokens;
using Portal.Core.Users;

namespace Portal.Web.Identity;

/// <summary>
/// First start in Development on the embedded defaults: a demo team the personas meet in, and a platform-admin access
/// token printed once in the log (stored hashed like any other), so a newcomer's script can call the API at once — as
/// Jenkins' initial admin password does. Never runs outside Development, nor against PostgreSQL.
/// </summary>
public sealed class DevelopmentBootstrap(
    IWebHostEnvironment environment,
    IOptions<DatabaseOptions> database,
    IOptions<OidcOptions> oidc,
    IDbContextFactory<PortalDbContext> contexts,
    UserService users,
    TeamService teams,
    GroupMappingService groupMappings,
    TokenService tokens,
    IOptions<TokenOptions> tokenOptions,
    IHostApplicationLifetime lifetime,
    Microsoft.AspNetCore.Hosting.Server.IServer server,
    ILogger<DevelopmentBootstrap> logger) : IHostedService
{
    public static bool Applies(IHostEnvironment environment, DatabaseOptions database, OidcOptions oidc) =>
        environment.IsDevelopment() && database.Provider == DatabaseProvider.Sqlite && !oidc.IsConfigured;

    public async Task StartAsync(CancellationToken ct)
    {
        if (!Applies(environment, database.Value, oidc.Value)) return;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            // "First start": a database in which nobody has ever signed in or minted a token.
            if (await db.Users.AnyAsync(ct) || await db.ApiTokens.AnyAsync(ct)) return;
        }

        var admin = DevelopmentPersonas.Admin;
        await users.SignInAsync(new SignInIdentity(admin.Subject, admin.Email, admin.DisplayName, admin.Groups), ct);
        await teams.CreateTeamAsync(PortalActor.System,
            new NewTeam(DevelopmentPersonas.DemoTeam, "Demo team", "Where the development personas meet.", "CC-DEMO", DevelopmentPersonas.Owner.Email), ct);
        await groupMappings.AddAsync(PortalActor.System, DevelopmentPersonas.DemoTeam, DevelopmentPersonas.DemoOwnersGroup, TeamRole.Owner, ct);
        await groupMappings.AddAsync(PortalActor.System, DevelopmentPersonas.DemoTeam, DevelopmentPersonas.DemoViewersGroup, TeamRole.Viewer, ct);
        var created = await tokens.CreateForSubjectAsync(admin.Subject, "bootstrap", PortalActor.AllScopes, tokenOptions.Value.DefaultLifetimeDays, ct);

        // Printed once the server listens, so the curl line names the real address.
        lifetime.ApplicationStarted.Register(() => logger.LogWarning(
            """
            First start: created a platform-admin access token for {Email}. It is shown only now; it is stored hashed.
                export UNICRON_TOKEN={Secret}
                curl -H "Authorization: Bearer $UNICRON_TOKEN" {Url}/api/v1/me
            """, admin.Email, created.Secret, Startup.StartupBanner.FirstAddress(server)));
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
