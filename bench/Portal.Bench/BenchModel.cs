namespace Portal.Bench;

/// <summary>
/// One measured figure. <paramref name="Target"/> says what it must meet in words ("≤ 50 ms"), <paramref name="Met"/>
/// whether it did (null for figures that are context, not targets), <paramref name="Note"/> why when it did not.
/// </summary>
public sealed record BenchResult(string Benchmark, string Case, string Metric, double Value, string Unit,
    string? Target = null, bool? Met = null, string? Note = null);

/// <summary>What every benchmark gets: the settings of this run and a place for results.</summary>
public sealed class BenchContext(BenchSettings settings, TextWriter log)
{
    private readonly List<BenchResult> _results = [];

    public BenchSettings Settings { get; } = settings;

    public TextWriter Log { get; } = log;

    public IReadOnlyList<BenchResult> Results => _results;

    public void Record(BenchResult result)
    {
        _results.Add(result);
        var verdict = result.Met switch { true => "met", false => "MISSED", null => "" };
        Log.WriteLine($"  {result.Benchmark} {result.Case}: {result.Metric} = {result.Value:0.###} {result.Unit} {result.Target} {verdict}".TrimEnd());
    }
}

/// <param name="Scale">Fraction of the full dataset (1.0 = the sizes: 10,000 teams, 30,000 clusters …).</param>
/// <param name="PostgresConnectionString">An admin connection to the server the benchmarks create their databases on.</param>
/// <param name="OutputDirectory">Where results.json goes (bench/results by default).</param>
public sealed record BenchSettings(double Scale, string PostgresConnectionString, string OutputDirectory, IReadOnlySet<string> Only, bool FullP2 = false)
{
    public bool Wants(string id) => Only.Count == 0 || Only.Contains(id);
}

/// <summary>A benchmark of issue 10 (P1 … P5). Each lives in its own folder under bench/Portal.Bench.</summary>
public interface IBenchmark
{
    /// <summary>"P1", "P2" …: what <c>--only</c> names.</summary>
    string Id { get; }

    string Title { get; }

    Task RunAsync(BenchContext context, CancellationToken ct);
}
