using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Portal.Core.Persistence;

/// <summary>
/// Applies pending migrations before the portal serves anything. EF Core takes a database-wide migration lock
/// (an advisory lock on PostgreSQL, a lock table on SQLite), so two instances starting at once apply each
/// migration exactly once and the second waits, then finds nothing to do.
/// </summary>
public sealed class DatabaseMigrator(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<DatabaseOptions> options,
    ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.MigrateOnStartup)
        {
            logger.LogInformation("Database:MigrateOnStartup is off; assuming the schema is migrated separately.");
            return;
        }
        await MigrateAsync(contexts, logger, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static async Task MigrateAsync(IDbContextFactory<PortalDbContext> contexts, ILogger logger, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        if (pending.Count == 0)
        {
            logger.LogInformation("Database schema is up to date.");
            return;
        }
        logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
        await db.Database.MigrateAsync(ct);
    }
}
