using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Portal.Core.Persistence;

public static class PersistenceServiceCollectionExtensions
{
    public const string PostgresMigrationsAssembly = "Portal.Migrations.Postgres";
    public const string SqliteMigrationsAssembly = "Portal.Migrations.Sqlite";

    /// <summary>
    /// Registers <see cref="PortalDbContext"/> through a factory (Blazor circuits and jobs need a context per
    /// operation) and the start-up migrator. Options come from <see cref="DatabaseOptions"/>. The factory pools
    /// contexts: every API call creates one or two, and the context holds no state of its own to leak between uses.
    /// </summary>
    public static IServiceCollection AddPortalPersistence(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.SectionName)
            .Configure<IConfiguration>((o, configuration) => o.ConnectionString ??= configuration.GetConnectionString("Portal"))
            .ValidateDataAnnotations()
            .Validate(o => o.Provider != DatabaseProvider.Postgres || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "Database:Provider is Postgres but ConnectionStrings:Portal is empty.")
            .ValidateOnStart();
        services.AddPooledDbContextFactory<PortalDbContext>((sp, builder) =>
            Configure(builder, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value));
        services.AddHostedService<DatabaseMigrator>();
        return services;
    }

    /// <summary>Options for a context on the given database, outside dependency injection (tools, tests).</summary>
    public static DbContextOptions<PortalDbContext> BuildOptions(DatabaseOptions options)
    {
        var builder = new DbContextOptionsBuilder<PortalDbContext>();
        Configure(builder, options);
        return builder.Options;
    }

    /// <summary>Points a context at the configured provider, with that provider's migrations assembly.</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder, DatabaseOptions options)
    {
        switch (options.Provider)
        {
            case DatabaseProvider.Postgres:
                builder.UseNpgsql(options.ConnectionString, o => o.MigrationsAssembly(PostgresMigrationsAssembly));
                break;
            default:
                var path = Path.GetFullPath(options.SqlitePath);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                // A busy timeout lets two processes (or a web request and a job) wait for SQLite's write lock
                // instead of failing at once.
                builder.UseSqlite($"Data Source={path};Default Timeout=30;Pooling=True",
                    o => o.MigrationsAssembly(SqliteMigrationsAssembly));
                break;
        }
        return builder;
    }
}
