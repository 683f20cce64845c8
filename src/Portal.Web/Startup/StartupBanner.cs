using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Portal.Web.Startup;

/// <summary>Tells the person who just ran the portal where to open it, and how they will sign in.</summary>
public sealed class StartupBanner(IServer server, IHostApplicationLifetime lifetime, IWebHostEnvironment environment,
    Microsoft.Extensions.Options.IOptions<Identity.OidcOptions> oidc, ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken ct)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var signIn = oidc.Value.IsConfigured ? $"single sign-on through {oidc.Value.Authority}"
                : environment.IsDevelopment() ? "the development sign-in (pick a persona)" : "no sign-in configured";
            logger.LogInformation("Unicron Portal is ready: open {Url} ({Environment}; {SignIn}). API docs: {Url}/api/docs",
                FirstAddress(server), environment.EnvironmentName, signIn, FirstAddress(server));
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    public static string FirstAddress(IServer server) =>
        server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()?.Replace("[::]", "localhost").Replace("0.0.0.0", "localhost")
        ?? "http://127.0.0.1:5080";
}
