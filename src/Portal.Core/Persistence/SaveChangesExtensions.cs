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

    /// <summary>Throws 412 when the caller's If-Match (the version they read) no longer matches the row.</summary>
    public static void RequireVersion(this IVersioned row, string what, long? expectedVersion)
    {
        if (expectedVersion is not null && expectedVersion != row.Version)
            throw new PreconditionFailedException(what, row.Version);
    }
}
