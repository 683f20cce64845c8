namespace Portal.Bench.Reads;

/// <summary>
/// P5 for reads (issue 10): P1 at 10%, 30% and 100% of the dataset. Paged reads should not care how big the tables
/// are: the figure is each route's p99 and throughput at 100% relative to 10% (1.0 = flat). The 100% run is P1's own
/// when P1 ran in this process.
/// </summary>
public sealed class ReadScalingBenchmark : IBenchmark
{
    private static readonly double[] Fractions = [0.1, 0.3, 1.0];

    public string Id => "P5";

    public string Title => "Reads at 10%, 30% and 100% of the dataset";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var runs = new List<(double Fraction, IReadOnlyList<RouteResult> Routes)>();
        foreach (var fraction in Fractions)
            runs.Add((fraction, await ReadApiRun.GetAsync(context, fraction * context.Settings.Scale, ct)));
        var smallest = runs[0].Routes;
        foreach (var (fraction, routes) in runs)
            foreach (var route in routes)
            {
                var label = $"reads at {fraction:P0}: {route.Route}";
                context.Record(new BenchResult(Id, label, "p99", route.Portal.P99Ms, "ms"));
                context.Record(new BenchResult(Id, label, "throughput", route.Portal.OperationsPerSecond, "op/s"));
            }
        // Flat within noise: throughput at 100% at least 70% of that at 10% (a 10× bigger dataset).
        foreach (var route in runs[^1].Routes)
        {
            var baseline = smallest.First(r => r.Route == route.Route);
            var ratio = route.Portal.OperationsPerSecond / baseline.Portal.OperationsPerSecond;
            context.Record(new BenchResult(Id, $"reads 100% vs 10%: {route.Route}", "throughput ratio", ratio, "×", "≥ 0.7 (flat)",
                ratio >= 0.7, ratio < 0.7 ? "throughput falls as the dataset grows" : null));
        }
    }
}
