namespace Portal.Bench.Reconcile;

/// <summary>
/// P5 for reconciles (issue 10): P2 with 2 worker processes at 10% and 30% of the run's fleet, and 100% with
/// <c>--full-p2</c>; convergence time should grow linearly (the seconds per cluster stay flat).
/// </summary>
public sealed class ReconcileScalingBenchmark : IBenchmark
{
    public string Id => "P5-reconcile";

    public string Title => "Scaling law of reconciles: P2 (2 worker processes) at 10% and 30% of the fleet (and 100% with --full-p2)";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        // P2 measured 10% and 100% with 2 processes already (when it ran): only the missing points are converged here.
        var points = new List<Convergence>();
        // The full fleet only with --full-p2 (it alone takes about 9 minutes): 10% and 30% show the law by default.
        foreach (var fraction in context.Settings.FullP2 ? new[] { 0.1, 0.3, 1.0 } : new[] { 0.1, 0.3 })
        {
            var size = FleetSize.For(context.Settings.Scale * fraction);
            if (FleetConvergence.Find(size, 2) is { } measured)
            {
                points.Add(measured);
                continue;
            }
            var (result, fleet) = await FleetConvergence.RunAsync(context, size, 2, ct);
            if (fraction == 1.0 && context.Settings.Wants("P3") && FleetConvergence.Handover is null) FleetConvergence.Handover = fleet;
            else await fleet.DisposeAsync();
            points.Add(result);
        }

        var smallest = points[0];
        foreach (var point in points)
        {
            var name = $"{point.Size.Clusters:N0} clusters + {point.Size.Addons:N0} add-ons";
            context.Record(new BenchResult("P5", name, "reconcile: converged", point.Total.TotalSeconds, "s"));
            var perHundred = point.Total.TotalSeconds / point.Size.Clusters * 100;
            context.Record(new BenchResult("P5", name, "reconcile: s per 100 clusters (flat = linear)", perHundred, "s"));
        }
        // Linear growth: time ratio ≈ size ratio. Within 1.5× of linear counts as linear (fixed start-up costs shrink the ratio).
        var largest = points[^1];
        var sizeRatio = (double)largest.Size.Clusters / smallest.Size.Clusters;
        var timeRatio = largest.Total.TotalSeconds / smallest.Total.TotalSeconds;
        var linear = timeRatio <= sizeRatio * 1.5;
        context.Record(new BenchResult("P5", $"{smallest.Size.Clusters:N0} → {largest.Size.Clusters:N0} clusters", "reconcile: time ratio",
            timeRatio, "×", $"≤ {sizeRatio * 1.5:0.#}× (linear: {sizeRatio:0.#}×)", linear,
            linear ? null : "grows faster than the fleet"));
    }
}
