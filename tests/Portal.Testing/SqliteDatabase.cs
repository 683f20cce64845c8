using Microsoft.EntityFrameworkCore;
using Portal.Core.Persistence;

namespace Portal.Testing;

/// <summary>A fresh SQLite file per test class, migrated with the real SQLite migrations.</summary>
public static class SqliteDatabase
{
    public static string NewPath() => Path.Combine(Path.GetTempPath(), "portal-tests", $"{Guid.NewGuid():N}.db");

    public static DatabaseOptions Options(string path) => new() { Provider = DatabaseProvider.Sqlite, SqlitePath = path };

    public static PortalDbContext CreateContext(string path)
    {
        return new PortalDbContext(PersistenceServiceCollectionExtensions.BuildOptions(Options(path)));
    }

    public static async Task<string> CreateMigratedAsync(CancellationToken ct = default)
    {
        var path = NewPath();
        await using var db = CreateContext(path);
        await db.Database.MigrateAsync(ct);
        return path;
    }
}
