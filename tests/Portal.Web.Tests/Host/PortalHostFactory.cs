using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Portal.Testing;

namespace Portal.Web.Tests.Host;

/// <summary>
/// The real portal host in a given environment, on a fresh SQLite file (the embedded default) or PostgreSQL, with
/// extra configuration. Nothing is replaced: these tests are about how the host itself behaves.
/// </summary>
public sealed class PortalHostFactory(
    string environment, IDictionary<string, string?>? settings = null, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
{
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "portal-host-tests", Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("Database:SqlitePath", Path.Combine(DataDirectory, "portal.db"));
        builder.UseSetting("DataProtection:KeysPath", Path.Combine(DataDirectory, "keys"));
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) builder.UseSetting(key, value);
        configure?.Invoke(builder);
    }

    public static async Task<PortalHostFactory> OnPostgresAsync(
        string environment, IDictionary<string, string?>? settings = null, Action<IWebHostBuilder>? configure = null)
    {
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Portal"] = await PostgresServer.CreateEmptyDatabaseAsync(),
        };
        return new PortalHostFactory(environment, all, configure);
    }
}
