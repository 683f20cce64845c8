using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Persistence;
using Portal.Core.Tokens;
using Portal.Testing;
using Portal.Web.Identity;

namespace Portal.Bench.Reads;

/// <summary>
/// The real portal (Portal.Web's Program) on Kestrel on a loopback port, as production runs it: environment
/// Production, logging at Warning, PostgreSQL, the web and api roles (no worker: the seeded fleet is converged and a
/// worker's resync would be load the read benchmark does not measure), an OIDC authority configured (never contacted:
/// API callers present access tokens, browsers a session cookie made by the portal's own cookie format).
/// </summary>
public sealed class PortalUnderTest : WebApplicationFactory<Program>
{
    private readonly string _connectionString;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "portal-bench", Guid.NewGuid().ToString("N"));

    private PortalUnderTest(string connectionString) => _connectionString = connectionString;

    public string BaseUrl { get; private set; } = "";

    public static PortalUnderTest Start(string connectionString)
    {
        // WebApplicationFactory looks for the app's folder next to a test assembly; a benchmark exe names it instead.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PORTAL_WEB", Path.Combine(BenchPaths.Root, "src", "Portal.Web"));
        var host = new PortalUnderTest(connectionString);
        var port = PostgresServer.FreePort();
        host.BaseUrl = $"http://127.0.0.1:{port}";
        host.UseKestrel(port);
        host.StartServer();
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        var settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Portal"] = _connectionString,
            ["DataProtection:KeysPath"] = Path.Combine(_dataDirectory, "keys"),
            ["Portal:Roles"] = "web,api",
            ["Auth:Oidc:Authority"] = "http://127.0.0.1:9/bench-idp-never-contacted",
            ["Auth:Oidc:ClientId"] = "portal",
            ["Auth:Oidc:RequireHttpsMetadata"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            // A published app serves MudBlazor's files from wwwroot; this build serves them from the build's manifest.
            ["ReloadStaticAssetsAtRuntime"] = "true",
            // The limiter stays on (its cost is part of every request), but the benchmark's callers each send far more
            // than a person's budget: the admin route is one token at hundreds of requests a second.
            ["RateLimiting:PermitsPerMinute"] = "1000000",
            ["RateLimiting:Burst"] = "1000000",
        };
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureServices(services => services.AddTransient<IStartupFilter, StaticAssetsFromBuild>());
    }

    /// <summary>An API token for a seeded user, minted by the portal's own TokenService (hashing and storage are real).</summary>
    public async Task<string> CreateTokenAsync(string subject, TokenScopes scopes, CancellationToken ct)
    {
        var tokens = Services.GetRequiredService<TokenService>();
        var created = await tokens.CreateForSubjectAsync(subject, "bench", scopes, lifetimeDays: 1, ct);
        return created.Secret;
    }

    /// <summary>
    /// The session cookie the portal would set after an OpenID Connect sign-in of this user: the same principal
    /// (<see cref="PortalPrincipal"/>) protected by the host's own cookie ticket format and Data Protection keys.
    /// </summary>
    public async Task<(string Name, string Value)> CreateSessionCookieAsync(string subject, CancellationToken ct)
    {
        var contexts = Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Subject == subject, ct);
        var options = Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);
        var ticket = new AuthenticationTicket(PortalPrincipal.For(user, "OpenIdConnect"),
            new AuthenticationProperties { IssuedUtc = DateTimeOffset.UtcNow, ExpiresUtc = DateTimeOffset.UtcNow.AddHours(8) },
            CookieAuthenticationDefaults.AuthenticationScheme);
        return (options.Cookie.Name!, options.TicketDataFormat.Protect(ticket));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a benchmark run.
        }
    }

    /// <summary>Outside Development, package assets (MudBlazor's CSS and JS) come from the build's static web assets manifest.</summary>
    private sealed class StaticAssetsFromBuild(IWebHostEnvironment environment, IConfiguration configuration) : IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next)
        {
            StaticWebAssetsLoader.UseStaticWebAssets(environment, configuration);
            return next;
        }
    }
}
