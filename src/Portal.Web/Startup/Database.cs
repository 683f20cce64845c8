using Portal.Core;

namespace Portal.Web.Startup;

public static class Database
{
    /// <summary>The domain services and the database: SQLite by default, PostgreSQL with Database:Provider=Postgres.</summary>
    public static WebApplicationBuilder AddPortalDatabase(this WebApplicationBuilder builder)
    {
        builder.Services.AddPortalCore();
        // Runs after the migrator (hosted services start in registration order).
        builder.Services.AddHostedService<Identity.DevelopmentBootstrap>();
        return builder;
    }
}
