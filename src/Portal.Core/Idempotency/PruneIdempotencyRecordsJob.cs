using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Persistence;

namespace Portal.Core.Idempotency;

/// <summary>
/// The hourly clean-up of idempotency records past their expiry. A replay is only promised for the retention (24 h), but
/// each record keeps the first answer's body, so without this the table grows with every keyed request for ever.
/// Deletes in batches, so one run never holds a long lock on a big backlog. Type and method name are a stored Hangfire
/// contract.
/// </summary>
public sealed class PruneIdempotencyRecordsJob(
    IDbContextFactory<PortalDbContext> contexts, TimeProvider clock, ILogger<PruneIdempotencyRecordsJob> logger)
{
    public const string RecurringJobId = "prune-idempotency-records";

    internal const int BatchSize = 1000;

    /// <summary>Deletes every record that expired before now; returns how many.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var total = 0;
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var deleted = await db.IdempotencyRecords
                .Where(r => r.ExpiresAtUnixMs <= now)
                .OrderBy(r => r.ExpiresAtUnixMs)
                .Take(BatchSize)
                .ExecuteDeleteAsync(ct);
            total += deleted;
            if (deleted < BatchSize) break;
        }
        if (total > 0) logger.LogInformation("Pruned {Count} expired idempotency record(s)", total);
        return total;
    }
}
