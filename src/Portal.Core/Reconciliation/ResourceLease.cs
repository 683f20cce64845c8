using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Persistence;

namespace Portal.Core.Reconciliation;

/// <summary>
/// A held claim on one resource. While held it is renewed every third of the lease duration, so a step may take
/// longer than the lease; if a renewal finds the claim gone (the database was unreachable for too long and someone
/// else took over), <see cref="Lost"/> is cancelled and the run must stop before it writes anything.
/// </summary>
public sealed class ResourceLease : IAsyncDisposable
{
    private readonly ResourceLeases _leases;
    private readonly string _entity;
    private readonly CancellationTokenSource _lost;
    private readonly CancellationTokenSource _stopHeartbeat = new();
    private readonly Task _heartbeat;
    private readonly Func<PortalDbContext, CancellationToken, Task<bool>> _renew;
    private readonly Func<PortalDbContext, CancellationToken, Task<bool>> _release;
    private bool _released;

    internal static ResourceLease Create<T>(ResourceLeases leases, Guid id, string owner, TimeSpan duration, CancellationToken ct) where T : class =>
        new(leases, typeof(T).Name, id, owner, duration, ct,
            (db, token) => leases.RenewAsync<T>(db, id, owner, token),
            (db, token) => leases.ReleaseAsync<T>(db, id, owner, token));

    private ResourceLease(ResourceLeases leases, string entity, Guid id, string owner, TimeSpan duration, CancellationToken ct,
        Func<PortalDbContext, CancellationToken, Task<bool>> renew, Func<PortalDbContext, CancellationToken, Task<bool>> release)
    {
        _leases = leases;
        _entity = entity;
        Id = id;
        Owner = owner;
        _renew = renew;
        _release = release;
        _lost = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _heartbeat = HeartbeatAsync(duration / 3, _stopHeartbeat.Token);
    }

    public Guid Id { get; }

    public string Owner { get; }

    /// <summary>Cancelled when the claim was lost or the caller's token was; pass it to every cloud call of the run.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>
    /// Inside the caller's transaction: confirms the claim still holds (and locks the row on PostgreSQL until commit),
    /// so status written in the same transaction can never come from a run that lost its lease.
    /// </summary>
    public Task<bool> ConfirmAsync(PortalDbContext db, CancellationToken ct) => _renew(db, ct);

    /// <summary>
    /// Right before a call that creates something in the cloud: renews the claim now, or cancels <see cref="Lost"/> and
    /// throws. The heartbeat notices a lost claim only on its next tick, and a process that stalled past its lease (a
    /// long GC pause, a starved thread pool) may wake with a read that the new holder has already acted on; without this
    /// check both would send the create. What is left is the moment between this renewal and the request, and the
    /// create's clientRequestToken makes even that harmless.
    /// </summary>
    public async Task FenceAsync(CancellationToken ct)
    {
        _lost.Token.ThrowIfCancellationRequested();
        await using (var db = await _leases.Contexts.CreateDbContextAsync(ct))
        {
            if (await _renew(db, ct)) return;
        }
        _leases.Logger.LogWarning("Lost the lease on {Entity} {Id} ({Owner}) before a create; stopping this run", _entity, Id, Owner);
        await _lost.CancelAsync();
        _lost.Token.ThrowIfCancellationRequested();
    }

    /// <summary>Inside the caller's transaction: frees the resource at commit. False when the claim was already lost.</summary>
    public async Task<bool> ReleaseAsync(PortalDbContext db, CancellationToken ct)
    {
        var released = await _release(db, ct);
        _released = released;
        return released;
    }

    /// <summary>True once released (or the row is gone): another run may already hold the resource.</summary>
    public bool IsReleased => _released;

    /// <summary>The row was deleted with the lease held: nothing left to release.</summary>
    public void MarkGone() => _released = true;

    private async Task HeartbeatAsync(TimeSpan period, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(period > TimeSpan.Zero ? period : TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await using var db = await _leases.Contexts.CreateDbContextAsync(stop);
                    if (await _renew(db, stop)) continue;
                    _leases.Logger.LogWarning("Lost the lease on {Entity} {Id} ({Owner}); stopping this run", _entity, Id, Owner);
                    await _lost.CancelAsync();
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One failed renewal is not a lost lease: the claim still has two thirds of its time left.
                    _leases.Logger.LogWarning(e, "Could not renew the lease on {Entity} {Id}", _entity, Id);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopHeartbeat.CancelAsync();
        await _heartbeat;
        if (!_released)
        {
            try
            {
                // A run that ended without releasing (an exception) frees the resource so the retry need not wait out the lease.
                await using var db = await _leases.Contexts.CreateDbContextAsync(CancellationToken.None);
                await _release(db, CancellationToken.None);
            }
            catch (Exception e)
            {
                _leases.Logger.LogWarning(e, "Could not release the lease on {Entity} {Id}; it expires by itself", _entity, Id);
            }
        }
        _stopHeartbeat.Dispose();
        _lost.Dispose();
    }
}
