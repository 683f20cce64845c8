using System.Diagnostics;
using Portal.Emulator.Shared;

namespace Portal.Bench.Reconcile;

/// <summary>
/// P3 (issue 10): the converged P2 fleet (its tenth unless <c>--full-p2</c>) left alone for 10 minutes of simulated time, counting the emulator's calls.
/// Targets: zero writes; at most one read per resource (cluster or add-on installation) per resync round.
/// </summary>
/// <remarks>
/// Simulated time: worker processes cannot share a test clock, so the resync interval is shortened instead. The
/// production interval is 30 s, so 10 minutes are 20 rounds; the workers run with <see cref="Interval"/> for 20 of
/// them. The add-on drift check follows the same interval, so both scale together.
/// </remarks>
public sealed class IdleResyncBenchmark : IBenchmark
{
    public const int Rounds = 20;
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    public string Id => "P3";

    public string Title => "Idle cost: the converged fleet for 10 simulated minutes (20 resync rounds), emulator calls counted";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        // P2's last converged fleet: its tenth by default, the full fleet with --full-p2.
        var fraction = context.Settings.FullP2 ? 1 : ReconcileThroughputBenchmark.ComparisonFraction;
        var fleet = FleetConvergence.Handover ?? (await FleetConvergence.RunAsync(context, FleetSize.For(context.Settings.Scale * fraction), 2, ct)).Fleet;
        FleetConvergence.Handover = null;
        await using var owned = fleet;

        // Same fleet, workers restarted with the short interval (the resync cron is registered when a worker starts).
        await fleet.StopWorkersAsync();
        fleet.StartWorker(Interval, FleetConvergence.JobsPerProcess);
        fleet.StartWorker(Interval, FleetConvergence.JobsPerProcess);
        // Let both come up and take their first round before counting.
        await Task.Delay(Interval * 2, ct);
        var firstJob = await fleet.LastJobIdAsync(ct);
        fleet.Emulator.Calls.Reset();
        var watch = Stopwatch.StartNew();
        await Task.Delay(Interval * Rounds, ct);
        var calls = fleet.Emulator.Calls.All;
        var window = watch.Elapsed;
        await fleet.StopWorkersAsync();
        var checks = await fleet.SucceededJobsSinceAsync(firstJob, "CheckAddonDriftJob", ct);
        var jobs = (await fleet.JobsSinceAsync(firstJob, ct)).Sum(j => j.Count);

        // Still converged: an idle fleet that drifted or failed would make low counts meaningless.
        var (ready, _) = await fleet.ClusterCountsAsync(ct);
        var (healthy, _) = await fleet.AddonCountsAsync(ct);
        if (ready != fleet.Size.Clusters || healthy != fleet.Size.Addons)
            throw new InvalidOperationException($"The fleet did not stay converged: {ready}/{fleet.Size.Clusters} clusters Ready, {healthy}/{fleet.Size.Addons} add-ons Healthy");

        var resources = fleet.Size.Clusters + fleet.Size.Addons;
        var rounds = window / Interval;
        var name = $"{fleet.Size.Clusters:N0} clusters + {fleet.Size.Addons:N0} add-ons, {rounds:0} rounds of {Interval.TotalSeconds:0} s";
        var writes = calls.Count(c => c.IsWrite);
        context.Record(new BenchResult("P3", name, "writes", writes, "calls", "0", writes == 0,
            writes == 0 ? null : Summary(calls.Where(c => c.IsWrite))));
        foreach (var service in new[] { "sts", "eks", "kubernetes" })
            context.Record(new BenchResult("P3", name, $"{service} reads", calls.Count(c => c.Service == service && !c.IsWrite), "calls"));
        var perResource = calls.Count(c => !c.IsWrite) / (double)resources / rounds;
        context.Record(new BenchResult("P3", name, "reads per resource per round", perResource, "", "≤ 1", perResource <= 1,
            perResource <= 1 ? null : Summary(calls.Where(c => !c.IsWrite))));
        // The idle cost the emulator does not see: every job is a handful of statements in PostgreSQL and a worker's time.
        context.Record(new BenchResult("P3", name, "jobs per resource per round", jobs / (double)resources / rounds, "jobs"));
        // One drift check per cluster per round covers all its settled add-ons. On a busy machine the workers may not
        // manage every round; per check is the honest figure then.
        context.Record(new BenchResult("P3", name, "add-on drift checks run", checks, "runs", $"{fleet.Size.Clusters * rounds:0} (one per cluster per round)"));
        if (checks > 0)
            context.Record(new BenchResult("P3", name, "Kubernetes reads per drift check (of 10 add-ons)", calls.Count(c => c.Service == "kubernetes" && !c.IsWrite) / (double)checks, "", "≤ 10",
                calls.Count(c => c.Service == "kubernetes" && !c.IsWrite) <= checks * fleet.Size.AddonsPerCluster));
        context.Log.WriteLine($"    reads by operation: {Summary(calls.Where(c => !c.IsWrite))}");
    }

    private static string Summary(IEnumerable<EmulatorCall> calls) =>
        string.Join(", ", calls.GroupBy(c => $"{c.Service} {c.Operation}").OrderByDescending(g => g.Count()).Take(6).Select(g => $"{g.Key} ×{g.Count()}"));
}
