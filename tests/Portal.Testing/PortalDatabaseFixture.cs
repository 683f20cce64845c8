using Portal.Core.Persistence;
using Xunit;

namespace Portal.Testing;

/// <summary>
/// One migrated database per test class (use as <c>IClassFixture&lt;PostgresDatabaseFixture&gt;</c> or the SQLite
/// one). Tests in a class run one after another, so they share it; give each test its own slugs and e-mails.
/// </summary>
public abstract class PortalDatabaseFixture : IAsyncLifetime
{
    private DatabaseOptions? _options;

    public abstract DatabaseProvider Provider { get; }

    public DatabaseOptions Options => _options ?? throw new InvalidOperationException("The fixture has not been initialised.");

    /// <summary>A context outside the services, to arrange rows or check what was really written.</summary>
    public PortalDbContext CreateContext() => new(PersistenceServiceCollectionExtensions.BuildOptions(Options));

    public async Task InitializeAsync() => _options = await CreateDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    protected abstract Task<DatabaseOptions> CreateDatabaseAsync();

    public override string ToString() => Provider.ToString();
}

public sealed class PostgresDatabaseFixture : PortalDatabaseFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    protected override async Task<DatabaseOptions> CreateDatabaseAsync() =>
        PostgresServer.Options(await PostgresServer.CreateMigratedDatabaseAsync());
}

public sealed class SqliteDatabaseFixture : PortalDatabaseFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    protected override async Task<DatabaseOptions> CreateDatabaseAsync() =>
        SqliteDatabase.Options(await SqliteDatabase.CreateMigratedAsync());
}
