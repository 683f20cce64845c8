using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Core.Clusters;
using Portal.Core.Clusters.Reconciler;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;
using Portal.Core.Teams;
using Portal.Testing;

namespace Portal.Core.Tests.Reconciliation;

/// <summary>The lease and the resync query on each real database provider: both are decided by SQL, so both must behave alike.</summary>
public abstract class ReconciliationTests(PortalDatabaseFixture database) : IDisposable
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromMilliseconds(300);
    private readonly ServiceProvider _services = PortalServices.Create(database.Options);

    private TestClock Clock => _services.GetRequiredService<TestClock>();

    private ResourceLeases Leases() => new(
        _services.GetRequiredService<IDbContextFactory<PortalDbContext>>(),
        Options.Create(new ReconciliationOptions { LeaseDuration = LeaseDuration }),
        Clock, NullLogger<ResourceLeases>.Instance);

    public void Dispose() => _services.Dispose();

    /// <summary>A managed cluster row in a fresh team and environment, shaped by <paramref name="shape"/>.</summary>
    private async Task<Cluster> ClusterAsync(Action<Cluster>? shape = null)
    {
        await using var db = database.CreateContext();
        var slug = $"r-{Guid.NewGuid():N}"[..12];
        var team = new Team { Slug = slug, DisplayName = slug, CreatedByUserId = Guid.NewGuid(), CreatedAt = Clock.GetUtcNow() };
        var environment = new TeamEnvironment
        {
            TeamId = team.Id, Name = EnvironmentName.Dev, AwsAccountId = "123456789012", Region = "us-east-1",
            ProvisionerRoleArn = "arn:aws:iam::123456789012:role/p", ExternalId = "x", CreatedAt = Clock.GetUtcNow(),
        };
        var cluster = new Cluster
        {
            TeamId = team.Id, EnvironmentId = environment.Id, Name = "main", EksName = $"{slug}-dev-main", KubernetesVersion = "1.34",
            Generation = 1, Phase = ClusterPhase.Pending, CreatedAt = Clock.GetUtcNow(), UpdatedAt = Clock.GetUtcNow(),
        };
        shape?.Invoke(cluster);
        db.AddRange(team, environment, cluster);
        await db.SaveChangesAsync();
        return cluster;
    }

    private long Now => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public async Task Claim_WhileHeld_IsRefused_AndAfterReleaseSucceeds()
    {
        var cluster = await ClusterAsync();
        var leases = Leases();

        var first = await leases.TryClaimAsync<Cluster>(cluster.Id, default);
        Assert.NotNull(first);
        Assert.Null(await leases.TryClaimAsync<Cluster>(cluster.Id, default));
        await first!.DisposeAsync();

        await using var second = await leases.TryClaimAsync<Cluster>(cluster.Id, default);
        Assert.NotNull(second);
        Assert.NotEqual(first.Owner, second!.Owner);
        await using var db = database.CreateContext();
        Assert.Equal(second.Owner, (await db.Clusters.SingleAsync(c => c.Id == cluster.Id)).LeaseOwner);
    }

    [Fact]
    public async Task Claim_OfAMissingRow_ReturnsNull()
    {
        Assert.Null(await Leases().TryClaimAsync<Cluster>(Guid.NewGuid(), default));
    }

    [Fact]
    public async Task ExpiredLease_IsTakenOver_AndTheOldHolderLearnsItLostIt()
    {
        var cluster = await ClusterAsync();
        var leases = Leases();
        await using var dead = await leases.TryClaimAsync<Cluster>(cluster.Id, default);

        // The holder's worker froze: its lease runs out on the shared clock and another worker takes over.
        Clock.Advance(TimeSpan.FromSeconds(5));
        await using var successor = await leases.TryClaimAsync<Cluster>(cluster.Id, default);
        Assert.NotNull(successor);

        // The old holder's next heartbeat finds the claim gone and cancels its run.
        var lost = new TaskCompletionSource();
        using var registration = dead!.Lost.Register(() => lost.TrySetResult());
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(successor!.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task Fence_OfAnOvertakenRun_StopsIt_BeforeTheHeartbeatNotices()
    {
        var cluster = await ClusterAsync();
        var leases = Leases();
        await using var stalled = await leases.TryClaimAsync<Cluster>(cluster.Id, default);
        Clock.Advance(TimeSpan.FromSeconds(5));
        await using var successor = await leases.TryClaimAsync<Cluster>(cluster.Id, default);
        Assert.NotNull(successor);

        // The stalled run wakes up about to create: the fence, not the next heartbeat tick, must stop it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stalled!.FenceAsync(default));
        Assert.True(stalled!.Lost.IsCancellationRequested);
        await successor!.FenceAsync(default);
        Assert.False(successor.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task Fence_OfAHeldLease_RenewsItFromNow()
    {
        var cluster = await ClusterAsync();
        var leases = Leases();
        await using var lease = await leases.TryClaimAsync<Cluster>(cluster.Id, default);

        // Past the lease on the shared clock, but nobody took over: the run still holds it, and the fence extends it.
        Clock.Advance(TimeSpan.FromSeconds(5));
        await lease!.FenceAsync(default);

        await using var db = database.CreateContext();
        Assert.Equal(Now + (long)LeaseDuration.TotalMilliseconds, (await db.Clusters.AsNoTracking().SingleAsync(c => c.Id == cluster.Id)).LeaseUntilUnixMs);
        Assert.Null(await leases.TryClaimAsync<Cluster>(cluster.Id, default));
    }

    [Fact]
    public async Task Heartbeat_KeepsALongRunsLease()
    {
        var cluster = await ClusterAsync();
        var leases = Leases();
        await using var lease = await leases.TryClaimAsync<Cluster>(cluster.Id, default);

        // Three lease durations of real time pass; renewals move the expiry along with the clock.
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(LeaseDuration);
            Clock.Advance(LeaseDuration);
        }
        await Task.Delay(LeaseDuration / 2);

        Assert.Null(await leases.TryClaimAsync<Cluster>(cluster.Id, default));
        Assert.False(lease!.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task Resync_FindsUnconvergedFreeDueClusters_AndLeavesThemToTheirJobUntilNotBefore()
    {
        var pending = await ClusterAsync();
        var lagging = await ClusterAsync(c => { c.Phase = ClusterPhase.Ready; c.ObservedGeneration = 1; c.Generation = 2; });
        var deleting = await ClusterAsync(c => c.Phase = ClusterPhase.Deleting);
        var ready = await ClusterAsync(c => { c.Phase = ClusterPhase.Ready; c.ObservedGeneration = 1; });
        var failed = await ClusterAsync(c => { c.Phase = ClusterPhase.Failed; c.ObservedGeneration = 1; });
        var held = await ClusterAsync(c => { c.Phase = ClusterPhase.Provisioning; c.LeaseOwner = "other"; c.LeaseUntilUnixMs = Now + 60_000; });
        var later = await ClusterAsync(c => { c.Phase = ClusterPhase.Provisioning; c.NextAttemptAtUnixMs = Now + 60_000; });
        var attached = await ClusterAsync(c => { c.Phase = ClusterPhase.Attached; c.Kind = ClusterKind.Attached; c.ObservedGeneration = 1; });
        var mine = new[] { pending, lagging, deleting, ready, failed, held, later, attached }.Select(c => c.Id).ToHashSet();

        await using var db = database.CreateContext();
        var due = (await ClusterReconcilerServiceCollectionExtensions.FindDueAsync(db, Now, Now + 30_000, default)).Where(mine.Contains).ToHashSet();

        Assert.Equal(new HashSet<Guid> { pending.Id, lagging.Id, deleting.Id }, due);
        Assert.DoesNotContain((await ClusterReconcilerServiceCollectionExtensions.FindDueAsync(db, Now, Now + 30_000, default)), mine.Contains);
        Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Contains(pending.Id, await ClusterReconcilerServiceCollectionExtensions.FindDueAsync(db, Now, Now + 30_000, default));
    }
}

public sealed class ReconciliationTestsOnPostgres(PostgresDatabaseFixture database)
    : ReconciliationTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class ReconciliationTestsOnSqlite(SqliteDatabaseFixture database)
    : ReconciliationTests(database), IClassFixture<SqliteDatabaseFixture>;
