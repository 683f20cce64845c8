namespace Portal.Bench;

/// <summary>
/// The entry point, as a named class: top-level statements would declare a global <c>Program</c> that hides
/// Portal.Web's, which the benchmarks host with WebApplicationFactory&lt;Program&gt;.
/// </summary>
public static class BenchProgram
{
    // scripts/bench.sh runs this in Release against a private PostgreSQL; see bench/README.md.
    public static Task<int> Main(string[] args) => BenchRunner.RunAsync(args);
}
