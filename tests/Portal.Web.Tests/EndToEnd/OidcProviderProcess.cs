using System.Diagnostics;
using Portal.Testing;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>
/// The real OpenID Connect provider (npm <c>oidc-provider</c>) as a child process on a free loopback port. Its users
/// (alice the admin, olivia and oscar owning different teams, victor the viewer) are defined in oidc/server.mjs.
/// </summary>
public sealed class OidcProviderProcess : IAsyncDisposable
{
    public const string ClientId = "unicron-portal";
    public const string ClientSecret = "unicron-test-secret";

    private readonly Process _process;

    private OidcProviderProcess(Process process, int port)
    {
        _process = process;
        Issuer = $"http://127.0.0.1:{port}";
    }

    public string Issuer { get; }

    /// <summary>Starts the provider for a portal that will listen on <paramref name="portalBaseUrl"/> (redirect URIs must match exactly).</summary>
    public static async Task<OidcProviderProcess> StartAsync(string portalBaseUrl, CancellationToken ct = default)
    {
        var folder = RepositoryPaths.Tests("EndToEnd", "oidc");
        await Npm.EnsureInstalledAsync(folder, ct);

        var port = PostgresServer.FreePort();
        var start = new ProcessStartInfo("node", "server.mjs")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["PORT"] = port.ToString(),
                ["REDIRECT_URIS"] = $"{portalBaseUrl.TrimEnd('/')}/signin-oidc",
                ["CLIENT_ID"] = ClientId,
                ["CLIENT_SECRET"] = ClientSecret,
            },
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start: is Node.js installed?");
        var ready = new TaskCompletionSource();
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data?.Contains("oidc-provider ready") == true) ready.TrySetResult(); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync(ct);
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(30), ct)) != ready.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"oidc-provider did not start: {errors}");
        }
        return new OidcProviderProcess(process, port);
    }

    /// <summary>
    /// The portal's settings for signing in through this provider: its client, the scopes that carry the groups claim,
    /// and <c>platform-admins</c> (alice's group) as the admin group.
    /// </summary>
    public Dictionary<string, string?> PortalSettings() => new()
    {
        ["Auth:Oidc:Authority"] = Issuer,
        ["Auth:Oidc:ClientId"] = ClientId,
        ["Auth:Oidc:ClientSecret"] = ClientSecret,
        ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        ["Auth:Oidc:Scopes:0"] = "profile",
        ["Auth:Oidc:Scopes:1"] = "email",
        ["Auth:Oidc:Scopes:2"] = "groups",
        ["Auth:AdminGroups:0"] = "platform-admins",
    };

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
