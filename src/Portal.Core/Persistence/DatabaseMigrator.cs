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

    /// <summary>Any constant works as long as nothing else in the database uses it: "unicron" in ASCII.</summary>
    private const long PostgresMigrationLockKey = 0x756e6963726f6e;

    public static async Task MigrateAsync(IDbContextFactory<PortalDbContext> contexts, ILogger logger, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await MigrateAsync(db, logger, ct);
    }

    /// <summary>
    /// Applies pending migrations, one process at a time. On PostgreSQL, EF's own lock lives in each migration's
    /// transaction, so with two or more pending migrations a second process can slip in between them and apply the
    /// next one twice ("relation already exists"). A session-level advisory lock around the whole run closes that gap;
    /// SQLite's EF lock already spans the run.
    /// </summary>
    public static async Task MigrateAsync(PortalDbContext db, ILogger logger, CancellationToken ct)
    {
        var postgres = db.Database.IsNpgsql();
        if (postgres)
        {
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({PostgresMigrationLockKey})", ct);
        }
        try
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            if (pending.Count == 0)
            {
                logger.LogInformation("Database schema is up to date.");
                return;
            }
            logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
            await db.Database.MigrateAsync(ct);
        }
        finally
        {
            if (postgres)
            {
                // Closing the connection would release it too, but pooling keeps the session alive: unlock explicitly.
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({PostgresMigrationLockKey})", CancellationToken.None);
                await db.Database.CloseConnectionAsync();
            }
        }
    }
}
