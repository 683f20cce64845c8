using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Portal.Bench;

/// <summary>
/// Parses the command line, runs the chosen benchmarks in order, prints one table and writes it as JSON
/// (bench/results/results.json) and as the results section of docs/performance.md.
/// <code>
///   --only P1,P3     only these benchmarks (default: all)
///   --scale 0.1      fraction of the full dataset (default 1)
///   --full-p2        also converge P2's full fleet (1,000 clusters, 10,000 add-ons: about 9 minutes on 2 cores)
///   --postgres CS    admin connection string (default: PORTAL_BENCH_POSTGRES, which scripts/bench.sh sets)
///   --out DIR        results directory (default bench/results)
/// </code>
/// </summary>
public static class BenchRunner
{
    /// <summary>Every benchmark, in the order they run. Add new ones here.</summary>
    private static IReadOnlyList<IBenchmark> All() =>
    [
        // P4 first: it measures memory in this process, which should not yet hold the code and buffers of the other runs.
        new Ui.UiBenchmark(),
        new Reads.ReadApiBenchmark(),
        new Reads.ReadScalingBenchmark(),
        new Reconcile.ReconcileThroughputBenchmark(),
        new Reconcile.IdleResyncBenchmark(),
        new Reconcile.ReconcileScalingBenchmark(),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = Parse(args);
        var context = new BenchContext(settings, Console.Out);
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var total = Stopwatch.StartNew();
        var failed = new List<string>();
        foreach (var benchmark in All().Where(b => settings.Wants(b.Id)))
        {
            Console.WriteLine($"\n== {benchmark.Id}: {benchmark.Title}");
            var watch = Stopwatch.StartNew();
            try
            {
                await benchmark.RunAsync(context, cancel.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One benchmark failing must not hide the others' figures.
                Console.Error.WriteLine($"{benchmark.Id} failed: {e}");
                failed.Add(benchmark.Id);
            }
            Console.WriteLine($"   ({benchmark.Id} took {watch.Elapsed.TotalSeconds:0} s)");
        }
        Console.WriteLine();
        Console.WriteLine(BenchTables.Markdown(context.Results));
        Console.WriteLine($"Total: {total.Elapsed.TotalMinutes:0.0} min");
        await WriteAsync(settings, context.Results, total.Elapsed, failed);
        return failed.Count == 0 ? 0 : 1;
    }

    private static BenchSettings Parse(string[] args)
    {
        var scale = 1.0;
        var postgres = Environment.GetEnvironmentVariable("PORTAL_BENCH_POSTGRES");
        var output = Path.Combine(BenchPaths.Root, "bench", "results");
        var only = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var fullP2 = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--scale": scale = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--postgres": postgres = Next(); break;
                case "--out": output = Path.GetFullPath(Next()); break;
                case "--only": only.UnionWith(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                case "--full-p2": fullP2 = true; break;
                default: throw new ArgumentException($"Unknown argument {args[i]}; see bench/README.md");
            }
        }
        if (scale is <= 0 or > 1) throw new ArgumentException("--scale must be in (0, 1]");
        if (string.IsNullOrEmpty(postgres)) throw new ArgumentException("No PostgreSQL: pass --postgres or set PORTAL_BENCH_POSTGRES (scripts/bench.sh does)");
        return new BenchSettings(scale, postgres, output, only, fullP2);
    }

    private static async Task WriteAsync(BenchSettings settings, IReadOnlyList<BenchResult> results, TimeSpan took, IReadOnlyList<string> failed)
    {
        Directory.CreateDirectory(settings.OutputDirectory);
        var json = JsonSerializer.Serialize(new
        {
            measuredAt = DateTimeOffset.UtcNow,
            machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}",
            scale = settings.Scale,
            minutes = Math.Round(took.TotalMinutes, 1),
            failed,
            results,
        }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "results.json"), json);
        if (settings.Only.Count == 0 && settings.Scale >= 1) await BenchTables.WritePerformanceDocAsync(results, took);
    }
}

public static class BenchTables
{
    public static string Markdown(IEnumerable<BenchResult> results)
    {
        var text = new StringBuilder("| benchmark | case | metric | value | target | met |\n|---|---|---|---|---|---|\n");
        foreach (var r in results)
        {
            var met = r.Met switch { true => "yes", false => "**no**" + (r.Note is null ? "" : $": {r.Note}"), null => "" };
            text.Append(CultureInfo.InvariantCulture, $"| {r.Benchmark} | {r.Case} | {r.Metric} | {r.Value:0.###} {r.Unit} | {r.Target} | {met} |\n");
        }
        return text.ToString();
    }

    /// <summary>Rewrites the generated part of docs/performance.md (between the markers); the hand-written before/after notes stay.</summary>
    public static async Task WritePerformanceDocAsync(IReadOnlyList<BenchResult> results, TimeSpan took)
    {
        const string begin = "<!-- bench:results -->", end = "<!-- /bench:results -->";
        var path = Path.Combine(BenchPaths.Root, "docs", "performance.md");
        var text = File.Exists(path) ? await File.ReadAllTextAsync(path) : "# Performance\n";
        var section = $"{begin}\nLatest full run: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {took.TotalMinutes:0.0} min.\n\n{Markdown(results)}{end}";
        var from = text.IndexOf(begin, StringComparison.Ordinal);
        var to = text.IndexOf(end, StringComparison.Ordinal);
        text = from >= 0 && to > from ? text[..from] + section + text[(to + end.Length)..] : text.TrimEnd() + "\n\n" + section + "\n";
        await File.WriteAllTextAsync(path, text);
    }
}

public static class BenchPaths
{
    public static string Root => Portal.Testing.RepositoryRoot.Path;
}
