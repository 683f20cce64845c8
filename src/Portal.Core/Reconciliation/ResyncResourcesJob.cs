using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Persistence;

namespace Portal.Core.Reconciliation;

/// <summary>
/// One kind of reconciled resource the resync job looks after.
/// </summary>
/// <param name="Resource">For logs: "cluster", "add-on installation".</param>
/// <param name="FindDueAsync">
/// One cheap query, no cloud calls: ids of resources that are not converged (observed generation behind, or a phase
/// that is not terminal), whose lease is free and whose next attempt is due (given as unix ms) — then marks them
/// attempted at the given time so the next resync does not enqueue them again while their job waits in a queue.
/// </param>
/// <param name="Enqueue">Enqueues the resource's reconcile job.</param>
public sealed record ResyncTarget(
    string Resource,
    Func<PortalDbContext, long, long, CancellationToken, Task<IReadOnlyList<Guid>>> FindDueAsync,
    Action<IBackgroundJobClient, Guid> Enqueue);

/// <summary>
/// Recurring (every <see cref="ReconciliationOptions.ResyncInterval"/>): re-enqueues every resource that is not
/// converged and that nobody is working on. This is what makes job storage disposable: a reschedule lost with an
/// in-memory queue, a worker killed between a step and its reschedule, a spec change whose enqueue failed — the row
/// says what is left to do, and the resync finds it.
/// </summary>
public sealed class ResyncResourcesJob(
    IEnumerable<ResyncTarget> targets,
    IDbContextFactory<PortalDbContext> contexts,
    IBackgroundJobClient jobs,
    IOptions<ReconciliationOptions> options,
    TimeProvider clock,
    ILogger<ResyncResourcesJob> logger)
{
    public const string RecurringJobId = "resync-resources";

    // A resync that overlaps the next one would only enqueue the same ids twice.
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var notBefore = now + (long)options.Value.ResyncInterval.TotalMilliseconds;
        await using var db = await contexts.CreateDbContextAsync(ct);
        foreach (var target in targets)
        {
            var due = await target.FindDueAsync(db, now, notBefore, ct);
            foreach (var id in due) target.Enqueue(jobs, id);
            if (due.Count > 0) logger.LogInformation("Resync enqueued {Count} {Resource}(s) that are not converged", due.Count, target.Resource);
        }
    }
}
