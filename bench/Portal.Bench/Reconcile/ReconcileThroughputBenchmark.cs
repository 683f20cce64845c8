namespace Portal.Bench.Reconcile;

/// <summary>
/// P2 (issue 10): 1,000 clusters with two node pools and 10,000 add-on installations, created through the API against
/// the emulator with zero delays, converged by 1 and then 2 worker processes. Target: ≤ 60 s on 2 cores.
/// </summary>
public sealed class ReconcileThroughputBenchmark : IBenchmark
{
    public static readonly TimeSpan Target = TimeSpan.FromSeconds(60);

    public string Id => "P2";

    public string Title => "Reconcile throughput: a fleet created through the API until converged, 1 and 2 worker processes";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var size = FleetSize.For(context.Settings.Scale);
        foreach (var processes in new[] { 1, 2 })
        {
            var (result, fleet) = await FleetConvergence.RunAsync(context, size, processes, ct);
            var keep = processes == 2 && context.Settings.Wants("P3");
            if (keep) FleetConvergence.Handover = fleet;
            else await fleet.DisposeAsync();
            if (processes == 2) FleetConvergence.FullScaleTwoProcesses = result;
            Record(context, result);
        }
    }

    public static void Record(BenchContext context, Convergence result, string benchmark = "P2")
    {
        var name = $"{result.Size.Clusters:N0} clusters + {result.Size.Addons:N0} add-ons, {result.Processes} worker process{(result.Processes == 1 ? "" : "es")}";
        context.Record(new BenchResult(benchmark, name, "clusters Ready", result.Clusters.TotalSeconds, "s"));
        context.Record(new BenchResult(benchmark, name, "then add-ons Healthy", result.Addons.TotalSeconds, "s"));
        var fullSize = result.Size.Clusters >= 1000;
        var met = result.Total <= Target;
        context.Record(new BenchResult(benchmark, name, "converged (total)", result.Total.TotalSeconds, "s",
            fullSize ? $"≤ {Target.TotalSeconds:0} s" : null, fullSize ? met : null,
            fullSize && !met ? $"{result.Total.TotalSeconds / Target.TotalSeconds:0.0}× the target" : null));
        context.Record(new BenchResult(benchmark, name, "emulator calls", result.EmulatorCalls, "calls"));
    }
}
