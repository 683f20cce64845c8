namespace Portal.Bench.Reads;

/// <summary>
/// P1 (issue 10): the read API against a raw floor, with authentication and authorization on. Targets per route:
/// p99 ≤ 50 ms at <see cref="ReadApiRun.Concurrency"/> concurrent callers, and throughput ≥ 50% of the floor's.
/// </summary>
public sealed class ReadApiBenchmark : IBenchmark
{
    public const double P99TargetMs = 50;
    public const double RatioTarget = 0.5;

    public string Id => "P1";

    public string Title => $"Read API vs a raw Npgsql floor ({ReadApiRun.Concurrency} concurrent callers)";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        foreach (var route in await ReadApiRun.GetAsync(context, context.Settings.Scale, ct))
        {
            var errors = route.Portal.Errors + route.Floor.Errors;
            var note = errors > 0 ? $"{errors} failed requests, first: {route.Portal.FirstError ?? route.Floor.FirstError}" : null;
            context.Record(new BenchResult(Id, route.Route, "p50", route.Portal.P50Ms, "ms"));
            context.Record(new BenchResult(Id, route.Route, "p99", route.Portal.P99Ms, "ms", $"≤ {P99TargetMs:0} ms",
                errors == 0 && route.Portal.P99Ms <= P99TargetMs, note ?? (route.Portal.P99Ms > P99TargetMs ? $"{route.Portal.P99Ms / P99TargetMs:0.0}× the target" : null)));
            context.Record(new BenchResult(Id, route.Route, "throughput", route.Portal.OperationsPerSecond, "op/s"));
            context.Record(new BenchResult(Id, route.Route, "floor throughput", route.Floor.OperationsPerSecond, "op/s"));
            context.Record(new BenchResult(Id, route.Route, "throughput vs floor", route.RatioToFloor * 100, "%", $"≥ {RatioTarget:P0}",
                errors == 0 && route.RatioToFloor >= RatioTarget, note));
        }
    }
}
