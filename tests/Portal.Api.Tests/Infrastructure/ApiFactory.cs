using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Persistence;
using Portal.Core.Tokens;
using Portal.Core.Users;
using Portal.Testing;

namespace Portal.Api.Tests.Infrastructure;

/// <summary>A signed-in person for a test: their user id, e-mail and an HTTP client carrying their access token.</summary>
public sealed record TestUser(Guid Id, string Subject, string Email, string Secret, HttpClient Client);

/// <summary>
/// The real host (Portal.Web's Program) on its own freshly migrated PostgreSQL database. Only the clock is replaced.
/// Users are created with the real sign-in service and access tokens with the real token service.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminGroup = "platform-admins";
    public string ConnectionString { get; private set; } = "";
    public TestClock Clock { get; } = new();

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await PostgresServer.CreateMigratedDatabaseAsync();
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    protected virtual void Configure(IWebHostBuilder builder) { }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Database:Provider", "Postgres");
        builder.UseSetting("ConnectionStrings:Portal", ConnectionString);
        builder.UseSetting("Database:MigrateOnStartup", "false");
        builder.UseSetting("Auth:AdminGroups:0", AdminGroup);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
        });
        Configure(builder);
    }

    public PortalDbContext Db() => PostgresServer.CreateContext(ConnectionString);

    public HttpClient Anonymous() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    public HttpClient ClientWith(string bearer)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>Signs a new person in (as the web or a JWT would) and mints them an access token.</summary>
    public async Task<TestUser> CreateUserAsync(string name, bool admin = false, TokenScopes scopes = TokenScopes.Read | TokenScopes.Write)
    {
        var unique = $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];
        var email = $"{unique}@example.test";
        var subject = $"sub-{unique}";
        using var scope = Services.CreateScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserService>()
            .SignInAsync(new SignInIdentity(subject, email, name, admin ? [AdminGroup] : []), CancellationToken.None);
        if (admin) scopes |= TokenScopes.Admin;
        var created = await scope.ServiceProvider.GetRequiredService<TokenService>()
            .CreateForSubjectAsync(subject, $"{name} tests", scopes, 30, CancellationToken.None);
        return new TestUser(user.Id, subject, email, created.Secret, ClientWith(created.Secret));
    }

    /// <summary>A token with other scopes for an existing user.</summary>
    public async Task<HttpClient> ClientWithScopesAsync(TestUser user, TokenScopes scopes)
    {
        using var scope = Services.CreateScope();
        var created = await scope.ServiceProvider.GetRequiredService<TokenService>()
            .CreateForSubjectAsync(user.Subject, "scoped", scopes, 30, CancellationToken.None);
        return ClientWith(created.Secret);
    }
}
