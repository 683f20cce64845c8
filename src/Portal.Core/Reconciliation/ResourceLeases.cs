using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Persistence;

namespace Portal.Core.Reconciliation;

/// <summary>
/// Claims resources for one reconcile at a time, across every worker process sharing the database. A claim is a
/// conditional UPDATE (<c>SET lease_owner = me, lease_until = now + d WHERE id = @id AND lease_until &lt; now</c>):
/// the database decides the race, on PostgreSQL and SQLite alike, with times as unix milliseconds so SQLite compares
/// numbers, not text. Hangfire attributes are not enough: they lock within one job storage, and the embedded mode's
/// in-memory storage is per process.
/// </summary>
/// <remarks>
/// Every reconciled entity has the columns <see cref="LeaseColumns"/> names. They are addressed by name so that one
/// implementation serves clusters, add-on installations and endpoints without an interface on each entity.
/// </remarks>
public sealed class ResourceLeases(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<ReconciliationOptions> options,
    TimeProvider clock,
    ILogger<ResourceLeases> logger)
{
    /// <summary>Names this process in lease owners and logs: host, process id and a random suffix (pids repeat across containers).</summary>
    public string WorkerId { get; } = $"{Truncate(Environment.MachineName, 24)}/{Environment.ProcessId}/{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6]}";

    /// <summary>Claims the resource, or returns null when another run holds it (or the row is gone).</summary>
    public async Task<ResourceLease?> TryClaimAsync<T>(Guid id, CancellationToken ct) where T : class
    {
        // Each run gets its own owner token, so a run of this very process that outlived its lease cannot release the next one's claim.
        var owner = $"{WorkerId}/{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8]}";
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var until = now + (long)options.Value.LeaseDuration.TotalMilliseconds;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var claimed = await db.Set<T>()
            .Where(e => EF.Property<Guid>(e, LeaseColumns.Id) == id && EF.Property<long>(e, LeaseColumns.LeaseUntilUnixMs) < now)
            .ExecuteUpdateAsync(s => s
                .SetProperty(e => EF.Property<string?>(e, LeaseColumns.LeaseOwner), owner)
                .SetProperty(e => EF.Property<long>(e, LeaseColumns.LeaseUntilUnixMs), until), ct);
        if (claimed == 0) return null;
        return ResourceLease.Create<T>(this, id, owner, options.Value.LeaseDuration, ct);
    }

    /// <summary>Extends the lease if <paramref name="owner"/> still holds it; false when it was lost.</summary>
    internal async Task<bool> RenewAsync<T>(PortalDbContext db, Guid id, string owner, CancellationToken ct) where T : class
    {
        var until = clock.GetUtcNow().ToUnixTimeMilliseconds() + (long)options.Value.LeaseDuration.TotalMilliseconds;
        return await db.Set<T>()
            .Where(e => EF.Property<Guid>(e, LeaseColumns.Id) == id && EF.Property<string?>(e, LeaseColumns.LeaseOwner) == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(e => EF.Property<long>(e, LeaseColumns.LeaseUntilUnixMs), until), ct) == 1;
    }

    /// <summary>Gives the resource back so the next run (or another worker) may claim it at once.</summary>
    internal async Task<bool> ReleaseAsync<T>(PortalDbContext db, Guid id, string owner, CancellationToken ct) where T : class =>
        await db.Set<T>()
            .Where(e => EF.Property<Guid>(e, LeaseColumns.Id) == id && EF.Property<string?>(e, LeaseColumns.LeaseOwner) == owner)
            .ExecuteUpdateAsync(s => s
                .SetProperty(e => EF.Property<string?>(e, LeaseColumns.LeaseOwner), (string?)null)
                .SetProperty(e => EF.Property<long>(e, LeaseColumns.LeaseUntilUnixMs), 0L), ct) == 1;

    internal IDbContextFactory<PortalDbContext> Contexts => contexts;

    internal ILogger Logger => logger;

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}

/// <summary>The columns every reconciled entity has (see ARCHITECTURE.md, "Resources and reconciliation").</summary>
public static class LeaseColumns
{
    public const string Id = "Id";

    /// <summary>Who holds the resource now (<see cref="ResourceLeases.WorkerId"/> plus a run suffix); null when free. Up to 64 characters.</summary>
    public const string LeaseOwner = "LeaseOwner";

    /// <summary>Unix milliseconds until which the holder may work; 0 when free.</summary>
    public const string LeaseUntilUnixMs = "LeaseUntilUnixMs";
}
