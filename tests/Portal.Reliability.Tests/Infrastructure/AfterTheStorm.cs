using Hangfire;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Emulator.Shared;

namespace Portal.Reliability.Tests.Infrastructure;

/// <summary>
/// What must hold once the suites stop breaking things: nothing created twice, no job left behind by a dead worker,
/// no resource still claimed, retries spaced out.
/// </summary>
public static class AfterTheStorm
{
    /// <summary>
    /// Duplicates, precisely: (1) anything the emulator brought into existence more than once under one name — an
    /// EKS cluster, a node group (per cluster), a Kubernetes object (per cluster, type, namespace and name; its ADDED
    /// event). The scenario never reuses a name, so a second creation can only be a repeated create. (2) With
    /// <paramref name="strictCalls"/> (no injected faults), more than one CreateCluster call per cluster name or
    /// CreateNodegroup call per node group: describe-before-create must hold even when a worker died mid-step.
    /// </summary>
    public static List<string> Duplicates(EmulatorCalls calls, bool strictCalls)
    {
        var found = calls.Creations
            .GroupBy(c => (c.Service, c.Kind, c.Cluster, c.Name))
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key.Service} {g.Key.Kind} {g.Key.Name} in {g.Key.Cluster} created {g.Count()} times")
            .ToList();
        if (strictCalls)
        {
            found.AddRange(calls.All.Where(c => c is { Service: "eks", Operation: "CreateCluster" or "CreateNodegroup" })
                .GroupBy(c => (c.Operation, c.Cluster, c.Detail))
                .Where(g => g.Count() > 1)
                .Select(g => $"eks {g.Key.Operation} {g.Key.Cluster} {g.Key.Detail} called {g.Count()} times"));
        }
        return found;
    }

    /// <summary>
    /// Waits until no job is stuck: none "Processing" on a worker that no longer exists (Hangfire server names carry
    /// the worker's process id) and none waiting in the queue for longer than <paramref name="queueing"/>.
    /// </summary>
    public static async Task WaitForNoStuckJobsAsync(ReliabilityWorld world, TimeSpan patience, TimeSpan queueing)
    {
        var deadline = DateTimeOffset.UtcNow + patience;
        var stuck = new List<string>();
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                stuck = StuckJobs(world, queueing);
                if (stuck.Count == 0) return;
            }
            catch (NpgsqlException e)
            {
                // This process's job-storage pool may still hold a connection PostgreSQL's restart broke: read again.
                stuck = [$"(the job storage could not be read: {e.Message})"];
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"Jobs still stuck after {patience}:\n  {string.Join("\n  ", stuck)}");
    }

    private static List<string> StuckJobs(ReliabilityWorld world, TimeSpan queueing)
    {
        var monitor = world.JobStorage.GetMonitoringApi();
        var live = world.LiveWorkerPids();
        var stuck = monitor.ProcessingJobs(0, 1000)
            .Where(j => !live.Any(pid => j.Value.ServerId?.Contains($"/{pid}/", StringComparison.Ordinal) == true))
            .Select(j => $"job {j.Key} {j.Value.Job?.Type.Name} processing on {j.Value.ServerId}, a worker that is gone")
            .ToList();
        var now = DateTime.UtcNow;
        foreach (var queue in monitor.Queues())
        {
            stuck.AddRange(monitor.EnqueuedJobs(queue.Name, 0, 1000)
                .Where(j => j.Value.EnqueuedAt is { } at && now - at > queueing)
                .Select(j => $"job {j.Key} {j.Value.Job?.Type.Name} enqueued in '{queue.Name}' since {j.Value.EnqueuedAt:O}"));
        }
        return stuck;
    }

    /// <summary>Reconcile jobs that ended Failed (an exception escaped a reconciler).</summary>
    public static long FailedJobs(ReliabilityWorld world) => world.JobStorage.GetMonitoringApi().FailedCount();

    /// <summary>Waits until no resource row holds an unexpired lease: every run that claimed one released it or died and let it lapse.</summary>
    public static async Task WaitForNoLeasesAsync(ReliabilityWorld world, TimeSpan patience)
    {
        var deadline = DateTimeOffset.UtcNow + patience;
        var held = 0;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            held = await world.TryReadAsync<int?>(async db =>
                await db.Clusters.CountAsync(c => c.LeaseUntilUnixMs > now)
                + await db.AddonInstallations.CountAsync(a => a.LeaseUntilUnixMs > now)
                + await db.InferenceEndpoints.CountAsync(e => e.LeaseUntilUnixMs > now)) ?? -1;
            if (held == 0) return;
            await Task.Delay(250);
        }
        throw new TimeoutException($"{held} resource(s) still leased after {patience}.");
    }

    /// <summary>
    /// Retry spacing from the emulator's own timestamps: for every write call answered with an injected fault (429 or
    /// 5xx), the gap until the next call of the same operation on the same object (EKS: cluster and node group;
    /// Kubernetes: cluster, resource, namespace/name). Only writes: one reconciler alone writes a given object, so the
    /// next call on it is that reconciler's retry.
    /// </summary>
    public static List<(string Service, TimeSpan Gap)> RetryGaps(IReadOnlyList<EmulatorCall> calls) =>
        calls.Where(c => c.IsWrite && c.Service is "eks" or "kubernetes")
            .GroupBy(c => (c.Service, c.Operation, c.Cluster, c.Detail))
            .SelectMany(g =>
            {
                var ordered = g.OrderBy(c => c.At).ToList();
                return ordered.Zip(ordered.Skip(1))
                    .Where(p => p.First.StatusCode is 429 or >= 500)
                    .Select(p => (g.Key.Service, p.Second.At - p.First.At));
            })
            .ToList();

    public static int Faulted(IReadOnlyList<EmulatorCall> calls) =>
        calls.Count(c => c.StatusCode is 429 or >= 500 || c is { Service: "sts", StatusCode: 400 });

    public static TimeSpan Percentile(IEnumerable<TimeSpan> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count == 0 ? TimeSpan.Zero : sorted[(int)Math.Clamp(Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
