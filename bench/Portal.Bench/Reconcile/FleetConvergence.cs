using System.Diagnostics;

namespace Portal.Bench.Reconcile;

/// <summary>What one convergence run measured.</summary>
public sealed record Convergence(FleetSize Size, int Processes, TimeSpan Clusters, TimeSpan Addons, int EmulatorCalls, int EmulatorWrites)
{
    /// <summary>Hangfire jobs that reconciled a cluster / an add-on installation during the run: each is one reconcile run.</summary>
    public int ClusterJobs { get; init; }

    public int AddonJobs { get; init; }

    public TimeSpan Total => Clusters + Addons;
}

/// <summary>
/// P2's measurement, shared by P5: a fresh fleet, every cluster POSTed before the workers start, then the clock runs
/// from starting <c>processes</c> worker processes until every cluster is Ready, then through POSTing every add-on
/// until every installation is Healthy. The converged fleet is handed to P3 when it runs next.
/// </summary>
public static class FleetConvergence
{
    /// <summary>Concurrent jobs per worker process (Hangfire's default on 2 cores is 10).</summary>
    public const int JobsPerProcess = 10;

    /// <summary>The production default: what settled add-ons and the resync run on while P2 converges.</summary>
    public static readonly TimeSpan ResyncInterval = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(8);

    /// <summary>The last converged 2-process fleet at the run's scale, for P3 (which disposes it).</summary>
    public static ReconcileFleet? Handover { get; set; }

    /// <summary>Every convergence measured in this run, so P5 reuses P2's points instead of converging the same fleet twice.</summary>
    public static List<Convergence> Measured { get; } = [];

    /// <summary>This run's measurement of a fleet of <paramref name="size"/> with <paramref name="processes"/> worker processes, if it has one.</summary>
    public static Convergence? Find(FleetSize size, int processes) =>
        Measured.LastOrDefault(m => m.Size == size && m.Processes == processes);

    public static async Task<(Convergence Result, ReconcileFleet Fleet)> RunAsync(BenchContext context, FleetSize size, int processes, CancellationToken ct)
    {
        context.Log.WriteLine($"  converging {size} with {processes} worker process(es)");
        var fleet = await ReconcileFleet.CreateAsync(context, size, ct);
        try
        {
            var firstJob = await fleet.LastJobIdAsync(ct);
            await fleet.CreateClustersAsync(ct);
            fleet.Emulator.Calls.Reset();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < processes; i++) fleet.StartWorker(ResyncInterval, JobsPerProcess);
            await fleet.WaitConvergedAsync("clusters", size.Clusters, fleet.ClusterCountsAsync, Patience, ct);
            var clusters = watch.Elapsed;
            await fleet.InstallAddonsAsync(ct);
            await fleet.WaitConvergedAsync("add-ons", size.Addons, fleet.AddonCountsAsync, Patience, ct);
            var total = watch.Elapsed;
            var calls = fleet.Emulator.Calls.All;
            var result = new Convergence(size, processes, clusters, total - clusters, calls.Count, calls.Count(c => c.IsWrite));
            context.Log.WriteLine($"    clusters Ready after {clusters.TotalSeconds:0.0} s, add-ons Healthy {result.Addons.TotalSeconds:0.0} s later; " +
                                  $"{result.EmulatorCalls:N0} emulator calls ({result.EmulatorWrites:N0} writes)");
            context.Log.WriteLine("    calls per cluster by operation: " + string.Join(", ", calls.GroupBy(c => $"{c.Service} {c.Operation}")
                .OrderByDescending(g => g.Count()).Take(12).Select(g => $"{g.Key} {g.Count() / (double)size.Clusters:0.#}")));
            var refused = calls.Where(c => c.StatusCode is >= 300).GroupBy(c => $"{c.Service} {c.Operation} {c.StatusCode}")
                .OrderByDescending(g => g.Count()).Take(6).Select(g => $"{g.Key} ×{g.Count()}").ToList();
            if (refused.Count > 0) context.Log.WriteLine("    answered with an error: " + string.Join(", ", refused));
            var jobs = await fleet.JobsSinceAsync(firstJob, ct);
            result = result with
            {
                ClusterJobs = jobs.Where(j => j.Job.StartsWith("ReconcileClusterJob.", StringComparison.Ordinal)).Sum(j => j.Count),
                AddonJobs = jobs.Where(j => j.Job.StartsWith("ReconcileAddonJob.", StringComparison.Ordinal)).Sum(j => j.Count),
            };
            Measured.Add(result);
            context.Log.WriteLine($"    {jobs.Sum(j => j.Count):N0} Hangfire jobs: " + string.Join(", ", jobs.Take(8).Select(j => $"{j.Job} {j.Count:N0}")));
            return (result, fleet);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }
}
