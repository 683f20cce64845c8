using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Portal.Testing;

namespace Portal.Api.Tests.Infrastructure;

/// <summary>
/// A real JWT issuer on loopback: the npm package oauth2-mock-server (pinned in oidc/package-lock.json, installed with
/// npm ci on first use), with discovery and JWKS like any OIDC authority. Tokens carry per-request sub, email, name
/// and groups.
/// </summary>
public sealed class MockOidcIssuer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http = new();

    private MockOidcIssuer(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public static async Task<MockOidcIssuer> StartAsync()
    {
        var folder = OidcFolder();
        await Npm.EnsureInstalledAsync(folder);

        var port = PostgresServer.FreePort();
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("server.mjs");
        start.ArgumentList.Add(port.ToString());
        var process = StartOrExplain(start);
        var ready = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) => { if (e.Data == "ready") ready.TrySetResult(); };
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync();
        var finished = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
        if (finished != ready.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The OIDC mock issuer did not start: {await stderr}");
        }
        return new MockOidcIssuer(process, $"http://127.0.0.1:{port}");
    }

    /// <summary>An access token from the issuer (client credentials), with the given identity claims.</summary>
    public async Task<string> IssueAsync(string subject, string? email, string? name = null, IEnumerable<string>? groups = null,
        string? audience = null, int? expiresInSeconds = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = "tests", ["sub"] = subject };
        if (email is not null) form["email"] = email;
        if (name is not null) form["name"] = name;
        form["groups"] = string.Join(',', groups ?? []);
        if (audience is not null) form["audience"] = audience;
        if (expiresInSeconds is not null) form["expires_in_seconds"] = expiresInSeconds.Value.ToString();
        var response = await _http.PostAsync($"{Url}/token", new FormUrlEncodedContent(form));
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static string OidcFolder([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "oidc"));

    private static Process StartOrExplain(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{start.FileName}' was not found: the JWT bearer tests need Node.js (20 or later) and npm on PATH to run oauth2-mock-server.", e);
        }
    }
}

/// <summary>The host with <c>Auth:Oidc:Authority</c> pointing at the mock issuer, so the API accepts its JWTs.</summary>
public sealed class JwtApiFactory : ApiFactory
{
    public MockOidcIssuer Issuer { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Issuer = await MockOidcIssuer.StartAsync();
    }

    protected override void Configure(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        builder.UseSetting("Auth:Oidc:Authority", Issuer.Url);
        builder.UseSetting("Auth:Oidc:ClientId", "portal-web");
        builder.UseSetting("Auth:Oidc:ClientSecret", "not-used-by-api-tests");
        builder.UseSetting("Auth:Oidc:RequireHttpsMetadata", "false");
        builder.UseSetting("Auth:Jwt:RequireHttpsMetadata", "false");
        builder.UseSetting("Auth:Jwt:Audience", "unicron-portal-api");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Issuer is not null) await Issuer.DisposeAsync();
    }
}
