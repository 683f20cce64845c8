using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core;
using Portal.Core.Persistence;

namespace Portal.Testing;

/// <summary>
/// The real Core services (<c>AddPortalCore()</c>) on a test database, with a <see cref="TestClock"/> as the
/// <see cref="TimeProvider"/>. Only the seams are replaced: the database is whatever the caller's fixture created.
/// </summary>
public static class PortalServices
{
    /// <param name="database">Where the services store data; migrations are the fixture's job, so start-up migration is off.</param>
    /// <param name="configure">Runs last: override options (<c>services.Configure&lt;IdentityOptions&gt;(...)</c>) or add EF interceptors.</param>
    /// <param name="settings">Configuration keys, as appsettings would give them (e.g. <c>Tokens:MaxLifetimeDays</c>).</param>
    public static ServiceProvider Create(
        DatabaseOptions database,
        Action<IServiceCollection>? configure = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build());
        services.AddLogging();
        services.AddSingleton<TestClock>();
        services.TryAddSingleton<TimeProvider>(sp => sp.GetRequiredService<TestClock>());
        services.AddPortalCore();
        services.Configure<DatabaseOptions>(o =>
        {
            o.Provider = database.Provider;
            o.ConnectionString = database.ConnectionString;
            o.SqlitePath = database.SqlitePath;
            o.MigrateOnStartup = false;
        });
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }
}
