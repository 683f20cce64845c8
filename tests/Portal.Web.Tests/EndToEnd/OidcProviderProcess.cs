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
        if (!Directory.Exists(Path.Combine(folder, "node_modules"))) await NpmCiAsync(folder, ct);

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

    private static async Task NpmCiAsync(string folder, CancellationToken ct)
    {
        using var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund --loglevel=error")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("npm did not start: is Node.js installed?");
        var stderr = npm.StandardError.ReadToEndAsync(ct);
        await npm.StandardOutput.ReadToEndAsync(ct);
        await npm.WaitForExitAsync(ct);
        if (npm.ExitCode != 0) throw new InvalidOperationException($"npm ci in {folder} failed: {await stderr}");
    }

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
