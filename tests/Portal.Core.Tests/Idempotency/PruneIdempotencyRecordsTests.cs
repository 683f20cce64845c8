using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Idempotency;
using Portal.Core.Persistence;
using Portal.Testing;

namespace Portal.Core.Tests.Idempotency;

/// <summary>The clean-up's filter and batching are SQL, so they run on each real provider.</summary>
public abstract class PruneIdempotencyRecordsTests(PortalDatabaseFixture database) : IDisposable
{
    private readonly ServiceProvider _services = PortalServices.Create(database.Options);

    private TestClock Clock => _services.GetRequiredService<TestClock>();

    public void Dispose() => _services.Dispose();

    private IdempotencyRecord Record(string scope, int key, TimeSpan expiresIn) => new()
    {
        Scope = scope, Key = $"key-{key}", RequestHash = "h", CompletedAt = Clock.GetUtcNow(), StatusCode = 201, Body = [1, 2, 3],
        CreatedAt = Clock.GetUtcNow(), ExpiresAtUnixMs = (Clock.GetUtcNow() + expiresIn).ToUnixTimeMilliseconds(),
    };

    [Fact]
    public async Task Run_DeletesEveryExpiredRecord_InBatches_AndKeepsTheLiveOnes()
    {
        // More expired records than one batch, so the run must loop; a scope of our own keeps other tests' rows apart.
        var scope = $"prune-{Guid.NewGuid():N}";
        var expired = PruneIdempotencyRecordsJob.BatchSize + 50;
        await using (var db = database.CreateContext())
        {
            db.IdempotencyRecords.AddRange(Enumerable.Range(0, expired).Select(i => Record(scope, i, TimeSpan.FromHours(-1))));
            db.IdempotencyRecords.AddRange(Enumerable.Range(expired, 3).Select(i => Record(scope, i, TimeSpan.FromHours(1))));
            await db.SaveChangesAsync();
        }

        var deleted = await _services.GetRequiredService<PruneIdempotencyRecordsJob>().RunAsync(default);

        Assert.True(deleted >= expired, $"deleted {deleted}, expected at least {expired}");
        await using var check = database.CreateContext();
        var left = await check.IdempotencyRecords.Where(r => r.Scope == scope).Select(r => r.Key).ToListAsync();
        Assert.Equal(["key-1050", "key-1051", "key-1052"], left.Order());

        // An hour later the live ones have expired too.
        Clock.Advance(TimeSpan.FromHours(2));
        await _services.GetRequiredService<PruneIdempotencyRecordsJob>().RunAsync(default);
        Assert.False(await check.IdempotencyRecords.AnyAsync(r => r.Scope == scope));
    }
}

public sealed class PruneIdempotencyRecordsTestsOnPostgres(PostgresDatabaseFixture database)
    : PruneIdempotencyRecordsTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class PruneIdempotencyRecordsTestsOnSqlite(SqliteDatabaseFixture database)
    : PruneIdempotencyRecordsTests(database), IClassFixture<SqliteDatabaseFixture>;
