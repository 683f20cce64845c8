using Microsoft.EntityFrameworkCore.Design;
using Portal.Core.Persistence;

namespace Portal.Migrations.Postgres;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model for Postgres without starting the portal.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args)
    {
        var options = new DatabaseOptions
        {
            Provider = DatabaseProvider.Postgres,
            // Only used to pick the provider's SQL dialect; no connection is opened to add a migration.
            ConnectionString = "Host=localhost;Database=portal_design",
            SqlitePath = Path.Combine(Path.GetTempPath(), "portal-design.db"),
        };
        return new PortalDbContext(PersistenceServiceCollectionExtensions.BuildOptions(options));
    }
}
