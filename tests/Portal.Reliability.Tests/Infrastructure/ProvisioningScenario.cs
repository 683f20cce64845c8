using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;

namespace Portal.Reliability.Tests.Infrastructure;

/// <summary>
/// Provisioning rounds the suites run while they break things. A round is one cluster's life: create it with pools,
/// rescale and add a pool, install an add-on and create an inference endpoint (which adds a GPU pool), then by the
/// round's number tear everything down, change the endpoint, or keep it all. Each request is one "run"; names are
/// never reused, so anything the emulator creates twice is a duplicate.
/// </summary>
public sealed class ProvisioningScenario(ReliabilityWorld world, TimeSpan patience)
{
    public const string Addon = "argo-workflows";

    private readonly ConcurrentBag<TimeSpan> _convergence = [];
    private int _runs;

    public int Runs => _runs;

    public TimeSpan MaxConvergence => _convergence.IsEmpty ? TimeSpan.Zero : _convergence.Max();

    /// <summary>Runs <paramref name="rounds"/> rounds, <paramref name="parallel"/> at a time.</summary>
    public async Task RunAsync(string prefix, int rounds, int parallel, CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(parallel);
        var tasks = Enumerable.Range(0, rounds).Select(async i =>
        {
            await gate.WaitAsync(ct);
            try
            {
                await RoundAsync($"{prefix}{i:D3}", i, ct);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks);
    }

    public static NodePoolSpec Pool(string name, int min, int desired, int max, CapacityType capacity = CapacityType.OnDemand) =>
        new(name, ["m5.large"], capacity, min, desired, max);

    public static EndpointSpec Endpoint(string name, int max = 6) => new(
        Name: name,
        Runtime: EndpointRuntime.Triton,
        Model: new ModelSource("s3://acme-models/vision/resnet", "resnet", "3"),
        Protocol: EndpointProtocol.Grpc,
        Gpu: new GpuRequest("L4", 1),
        Resources: new ComputeRequest("3", "12Gi"),
        Autoscaling: new AutoscalingSpec(1, max, [new ScalingTrigger(ScalingTriggerKind.Prometheus, 10, "sum(inference_queue_depth{queue=\"requests\"})", ActivationThreshold: 1)]),
        Rollout: null);

    private async Task RoundAsync(string name, int index, CancellationToken ct)
    {
        var owner = world.Owner;
        var team = world.TeamSlug;
        var pools = new List<NodePoolSpec?> { Pool("general", 1, 2, 3) };
        if (index % 2 == 1) pools.Add(Pool("spot", 0, 1, 2, CapacityType.Spot));

        var started = Stopwatch.StartNew();
        var cluster = await Run(() => world.Clusters.RequestClusterAsync(owner, team, new NewCluster(name, EnvironmentName.Dev, pools, "1.34"), ct));
        await ClusterReadyAsync(cluster.Cluster.Id, started);

        // Rescale one pool and add another: UpdateNodegroupConfig and CreateNodegroup on a live cluster.
        started.Restart();
        var changed = new List<NodePoolSpec?> { Pool("general", 1, 3, 4), Pool("batch", 0, 1, 2) };
        if (index % 2 == 1) changed.Add(Pool("spot", 0, 1, 2, CapacityType.Spot));
        await Run(() => world.Clusters.UpdateClusterAsync(owner, team, name, new ClusterChanges(NodePools: changed), null, ct));
        await ClusterReadyAsync(cluster.Cluster.Id, started);

        started.Restart();
        var addon = await Run(() => world.Addons.InstallAsync(owner, team, name, new AddonInstallRequest(Addon), ct));
        var endpoint = await Run(() => world.Endpoints.CreateAsync(owner, team, name, Endpoint("infer"), ct));
        await AddonHealthyAsync(addon.Installation.Id, started);
        await EndpointReadyAsync(endpoint.Endpoint.Id, started);

        switch (index % 3)
        {
            case 0:
                started.Restart();
                await Run(() => world.Endpoints.DeleteAsync(owner, team, name, "infer", null, ct));
                await Run(() => world.Addons.UninstallAsync(owner, team, name, Addon, null, ct));
                await GoneAsync(db => db.InferenceEndpoints.AnyAsync(e => e.Id == endpoint.Endpoint.Id, ct), $"endpoint of {name}", started);
                await GoneAsync(db => db.AddonInstallations.AnyAsync(a => a.Id == addon.Installation.Id, ct), $"add-on of {name}", started);
                started.Restart();
                await Run(() => world.Clusters.DeleteClusterAsync(owner, team, name, null, ct));
                await GoneAsync(db => db.Clusters.AnyAsync(c => c.Id == cluster.Cluster.Id, ct), $"cluster {name}", started);
                break;
            case 1:
                started.Restart();
                await Run(() => world.Endpoints.UpdateAsync(owner, team, name, "infer", Endpoint("infer", max: 4), null, ct));
                await EndpointReadyAsync(endpoint.Endpoint.Id, started);
                break;
        }
    }

    /// <summary>One request, counted as a run.</summary>
    public async Task<T> Run<T>(Func<Task<T>> request)
    {
        var answer = await ReliabilityWorld.RetryOnConflictAsync(request);
        Interlocked.Increment(ref _runs);
        return answer;
    }

    public Task ClusterReadyAsync(Guid id, Stopwatch since) => WaitAsync($"cluster {id}", id,
        db => db.Clusters.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id),
        c => c is { Phase: ClusterPhase.Ready } && c.ObservedGeneration == c.Generation,
        c => c is { Phase: ClusterPhase.Failed },
        c => $"cluster {c.Name}: phase {c.Phase}, generation {c.ObservedGeneration}/{c.Generation}, '{c.Message}', last error '{c.LastError}'"
             + Claim(c.LeaseOwner, c.LeaseUntilUnixMs, c.NextAttemptAtUnixMs, c.Attempt),
        since);

    public Task AddonHealthyAsync(Guid id, Stopwatch since) => WaitAsync($"add-on installation {id}", id,
        db => db.AddonInstallations.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id),
        a => a is { Phase: AddonPhase.Healthy } && a.ObservedGeneration == a.Generation,
        a => a is { Phase: AddonPhase.Failed },
        a => $"add-on {a.AddonId}: phase {a.Phase}, generation {a.ObservedGeneration}/{a.Generation}, '{a.Message}', last error '{a.LastError}'"
             + Claim(a.LeaseOwner, a.LeaseUntilUnixMs, a.NextAttemptAtUnixMs, a.Attempt),
        since);

    public Task EndpointReadyAsync(Guid id, Stopwatch since) => WaitAsync($"endpoint {id}", id,
        db => db.InferenceEndpoints.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id),
        e => e is { Phase: EndpointPhase.Ready or EndpointPhase.ScaledToZero } && e.ObservedGeneration == e.Generation,
        e => e is { Phase: EndpointPhase.Failed },
        e => $"endpoint {e.Name}: phase {e.Phase}, generation {e.ObservedGeneration}/{e.Generation}, '{e.Message}', last error '{e.LastError}'"
             + Claim(e.LeaseOwner, e.LeaseUntilUnixMs, e.NextAttemptAtUnixMs, e.Attempt),
        since);

    public Task GoneAsync(Func<Portal.Core.Persistence.PortalDbContext, Task<bool>> exists, string what, Stopwatch since) => WaitAsync<object>(
        what, null,
        async db => await exists(db) ? new object() : null,
        row => row is null,
        _ => false,
        _ => $"{what} is still there",
        since,
        gone: true);

    /// <summary>Whether the resync would pick the row up: who holds it and when it is next due (relative to now).</summary>
    private static string Claim(string? leaseOwner, long leaseUntilUnixMs, long nextAttemptAtUnixMs, int attempt)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var lease = leaseUntilUnixMs > now ? $"leased by {leaseOwner} for {leaseUntilUnixMs - now} ms more" : "not leased";
        var next = nextAttemptAtUnixMs > now ? $"next attempt in {nextAttemptAtUnixMs - now} ms" : "due";
        return $"; {lease}, {next}, attempt {attempt}";
    }

    /// <summary>
    /// Polls until <paramref name="done"/>; fails at once on a terminal failure or when a row the portal accepted is not
    /// in the database (a committed write lost), else after the patience. A failure describes the row as read just then
    /// on a fresh connection (not the last poll's, which a restart may have broken) and the Hangfire jobs that name it.
    /// </summary>
    private async Task WaitAsync<T>(string what, Guid? id, Func<Portal.Core.Persistence.PortalDbContext, Task<T?>> load, Func<T?, bool> done,
        Func<T?, bool> failed, Func<T, string> describe, Stopwatch since, bool gone = false) where T : class
    {
        var deadline = DateTimeOffset.UtcNow + patience;
        int reads = 0, failedReads = 0;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var read = await world.TryReadAsync(async db => (Found: true, Row: await load(db)));
            reads++;
            if (read.Found)
            {
                if (done(read.Row))
                {
                    _convergence.Add(since.Elapsed);
                    return;
                }
                if (failed(read.Row)) throw new InvalidOperationException($"Failed instead of converging: {await DescribeAsync()}");
                if (read.Row is null && !gone) throw new InvalidOperationException($"{what} is not in the database although the portal accepted it: {await DescribeAsync()}");
            }
            else
            {
                failedReads++;
            }
            await Task.Delay(150);
        }
        throw new TimeoutException($"Not converged within {patience}{(gone ? " (expected gone)" : "")} ({reads} polls, {failedReads} failed to read): {await DescribeAsync()}");

        async Task<string> DescribeAsync()
        {
            var row = await world.ReadFreshAsync(async db => await load(db) is { } r ? describe(r) : gone ? $"{what} is gone" : $"{what}: no such row");
            return id is { } rowId ? $"{row}\n  jobs: {await world.DescribeJobsAsync(rowId)}" : row;
        }
    }
}
