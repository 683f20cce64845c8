using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Core.Common;

namespace Portal.Core.Persistence;

public static class SaveChangesExtensions
{
    /// <summary>
    /// Saves, turning a lost optimistic-concurrency race into 412 and a unique-index race (two creates of the same
    /// slug at once) into 409, so neither surfaces as a 500.
    /// </summary>
    public static async Task SaveOrConflictAsync(this PortalDbContext db, string what, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new PreconditionFailedException(what, null);
        }
        catch (DbUpdateException e) when (IsUniqueViolation(e))
        {
            throw new ConflictException($"{what} already exists or was just changed by someone else.");
        }
    }

    public static bool IsUniqueViolation(DbUpdateException e) => e.InnerException switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.Message.Contains("UNIQUE", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>
    /// Runs a read-modify-write again when it lost an optimistic-concurrency race and the caller asked for no
    /// precondition (no If-Match). Workers write a resource's status while users change its spec; a user who did not
    /// say "only if unchanged" should not get a 412 because a worker wrote in between. With an If-Match, the 412 stands.
    /// </summary>
    public static async Task<T> RetryUnconditionalAsync<T>(long? expectedVersion, Func<Task<T>> attempt, int maxAttempts = 5)
    {
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await attempt();
            }
            catch (PreconditionFailedException) when (expectedVersion is null && tries < maxAttempts)
            {
                // Someone else saved first: read again and re-apply the change.
            }
        }
    }

    /// <summary>Throws 412 when the caller's If-Match (the version they read) no longer matches the row.</summary>
    public static void RequireVersion(this IVersioned row, string what, long? expectedVersion)
    {
        if (expectedVersion is not null && expectedVersion != row.Version)
            throw new PreconditionFailedException(what, row.Version);
    }
}
