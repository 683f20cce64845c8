using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Tokens;
using Portal.Core.Users;
using Portal.Testing;

namespace Portal.Web.Tests.Host;

/// <summary>The operator command `tokens create`, run as its own process the way an operator runs it.</summary>
public sealed class TokensCommandTests
{
    [Fact]
    public async Task TokensCreate_ForAUserWhoSignedIn_PrintsAWorkingSecretOnce()
    {
        var path = await SqliteDatabase.CreateMigratedAsync();
        await using var services = PortalServices.Create(SqliteDatabase.Options(path));
        await services.GetRequiredService<UserService>().SignInAsync(new SignInIdentity("ops|carol", "carol@example.test", "Carol", []), default);

        var (exit, stdout, stderr) = await RunPortalAsync(path, "tokens", "create", "--user", "ops|carol", "--scopes", "read,write", "--name", "ci", "--days", "7");

        Assert.True(exit == 0, stderr);
        var secret = stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(TokenService.SecretPrefix));
        var authenticated = await services.GetRequiredService<TokenService>().AuthenticateAsync(secret, default);
        Assert.NotNull(authenticated);
        Assert.Equal("ci", authenticated.Value.Token.Name);
        Assert.Equal(TokenScopes.Read | TokenScopes.Write, authenticated.Value.Token.Scopes);
    }

    [Fact]
    public async Task TokensCreate_WithTheAdminScopeForANonAdmin_IsRefusedWithAReason()
    {
        var path = await SqliteDatabase.CreateMigratedAsync();
        await using var services = PortalServices.Create(SqliteDatabase.Options(path));
        await services.GetRequiredService<UserService>().SignInAsync(new SignInIdentity("ops|dan", "dan@example.test", "Dan", []), default);

        var (exit, stdout, stderr) = await RunPortalAsync(path, "tokens", "create", "--user", "ops|dan", "--scopes", "admin");

        Assert.Equal(1, exit);
        Assert.Contains("admin", stderr);
        Assert.DoesNotContain(TokenService.SecretPrefix, stdout);
    }

    [Fact]
    public async Task TokensCreate_TakesConfigurationOverridesAfterTheCommand_AsThePortalDoes()
    {
        var path = await SqliteDatabase.CreateMigratedAsync();
        await using var services = PortalServices.Create(SqliteDatabase.Options(path));
        await services.GetRequiredService<UserService>().SignInAsync(new SignInIdentity("ops|erin", "erin@example.test", "Erin", []), default);

        // The environment names another (empty) database; the override after the command wins, as `dotnet run -- --Key=value` does for the portal.
        var (exit, stdout, stderr) = await RunPortalAsync(SqliteDatabase.NewPath(), "tokens", "create", "--user", "ops|erin", "--scopes", "read",
            $"--Database:SqlitePath={path}");

        Assert.True(exit == 0, stderr);
        var secret = stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(TokenService.SecretPrefix));
        Assert.NotNull(await services.GetRequiredService<TokenService>().AuthenticateAsync(secret, default));
    }

    [Fact]
    public async Task TokensCreate_WithoutAUser_PrintsUsage()
    {
        var (exit, _, stderr) = await RunPortalAsync(SqliteDatabase.NewPath(), "tokens", "create");
        Assert.Equal(2, exit);
        Assert.Contains("Usage:", stderr);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunPortalAsync(string sqlitePath, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
            Environment =
            {
                ["DOTNET_ENVIRONMENT"] = "Staging",
                ["Database__Provider"] = "Sqlite",
                ["Database__SqlitePath"] = sqlitePath,
            },
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Portal.Web.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
