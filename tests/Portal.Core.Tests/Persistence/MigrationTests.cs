using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Persistence;
using Portal.Testing;

namespace Portal.Core.Tests.Persistence;

public sealed class MigrationTests
{
    [Fact]
    public async Task Migrations_ApplyOnEmptyPostgres_AndSecondRunIsNoOp()
    {
        var cs = await PostgresServer.CreateEmptyDatabaseAsync();
        await using (var db = PostgresServer.CreateContext(cs))
        {
            Assert.NotEmpty(await db.Database.GetPendingMigrationsAsync());
            await db.Database.MigrateAsync();
        }
        await using (var db = PostgresServer.CreateContext(cs))
        {
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            await db.Database.MigrateAsync();
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
            Assert.Equal(0, await db.Teams.CountAsync());
        }
    }

    [Fact]
    public async Task Migrations_ApplyOnEmptySqlite_AndSecondRunIsNoOp()
    {
        var path = SqliteDatabase.NewPath();
        await using (var db = SqliteDatabase.CreateContext(path))
        {
            await db.Database.MigrateAsync();
        }
        await using (var db = SqliteDatabase.CreateContext(path))
        {
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            await db.Database.MigrateAsync();
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Migrations_FromTwoInstancesAtOnce_ApplyExactlyOnce(DatabaseProvider provider)
    {
        var options = await EmptyDatabaseAsync(provider);
        PortalDbContext NewContext() => new(PersistenceServiceCollectionExtensions.BuildOptions(options));

        await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            await using var db = NewContext();
            await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance, CancellationToken.None);
        }));

        await using var check = NewContext();
        Assert.Empty(await check.Database.GetPendingMigrationsAsync());
        Assert.Equal(check.Database.GetMigrations().Count(), (await check.Database.GetAppliedMigrationsAsync()).Count());
    }

    /// <summary>
    /// A model change without a migration for one provider would ship a schema that differs from the code on it.
    /// This is the check CI fails on: each provider's migrations must describe the current model exactly.
    /// </summary>
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public void Model_HasNoChangesMissingFromMigrations(DatabaseProvider provider)
    {
        var options = provider == DatabaseProvider.Postgres
            ? PostgresServer.Options("Host=127.0.0.1;Database=unused")
            : SqliteDatabase.Options(SqliteDatabase.NewPath());
        using var db = new PortalDbContext(PersistenceServiceCollectionExtensions.BuildOptions(options));

        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The EF model has changes without a {provider} migration: run 'dotnet ef migrations add <Name>' for both providers.");
    }

    /// <summary>The expiry moved from a timestamp to unix milliseconds: keys stored before the migration must keep theirs.</summary>
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task IdempotencyExpiry_KeepsAStoredKeysExpiry(DatabaseProvider provider)
    {
        await using var db = new PortalDbContext(PersistenceServiceCollectionExtensions.BuildOptions(await EmptyDatabaseAsync(provider)));
        var migrator = db.GetService<IMigrator>();
        var migrations = db.Database.GetMigrations().ToList();
        await migrator.MigrateAsync(migrations[migrations.FindIndex(m => m.EndsWith("_IdempotencyExpiry", StringComparison.Ordinal)) - 1]);
        var expiry = new DateTimeOffset(2026, 11, 25, 9, 30, 15, 250, TimeSpan.Zero);
        // As the previous release wrote it: Npgsql sends a UTC timestamptz, EF's SQLite provider ISO 8601 text with its offset.
        object expiresAt = provider == DatabaseProvider.Postgres ? expiry : expiry.ToString("yyyy-MM-dd HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture);
        await db.Database.ExecuteSqlRawAsync(
            """INSERT INTO idempotency_records ("Id", "Scope", "Key", "RequestHash", "StatusCode", "Body", "CreatedAt", "ExpiresAt") VALUES ({0}, 'u', 'k', 'h', 201, {1}, {2}, {3})""",
            Guid.CreateVersion7(), new byte[] { 1 }, expiresAt, expiresAt);

        await migrator.MigrateAsync();

        var record = await db.IdempotencyRecords.AsNoTracking().SingleAsync();
        Assert.Equal(expiry.ToUnixTimeMilliseconds(), record.ExpiresAtUnixMs);
    }

    /// <summary>A new, empty database of the provider: its own PostgreSQL database or a fresh SQLite file.</summary>
    private static async Task<DatabaseOptions> EmptyDatabaseAsync(DatabaseProvider provider) =>
        provider == DatabaseProvider.Postgres
            ? PostgresServer.Options(await PostgresServer.CreateEmptyDatabaseAsync())
            : SqliteDatabase.Options(SqliteDatabase.NewPath());
}
