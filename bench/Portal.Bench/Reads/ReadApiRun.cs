using Microsoft.Extensions.DependencyInjection;
using Portal.Bench.Dataset;
using Portal.Core.Addons.Catalog;
using Portal.Core.Tokens;

namespace Portal.Bench.Reads;

/// <summary>One route's numbers: the portal's and the floor's, measured one after the other in the same run.</summary>
public sealed record RouteResult(string Route, LoadResult Portal, LoadResult Floor)
{
    public double RatioToFloor => Portal.OperationsPerSecond / Floor.OperationsPerSecond;
}

/// <summary>
/// The P1 measurement on one dataset: the real portal and the raw floor side by side, the four reads of issue 10, each
/// as a closed loop at <see cref="Concurrency"/>. Results are kept per scale so P5 can reuse P1's full-size run.
/// </summary>
public static class ReadApiRun
{
    /// <summary>
    /// Callers at once. Eight keep both cores busy (the floor's throughput is the same as with 16); with 16 the queueing
    /// alone put the floor's own p99 at 32–163 ms on this 2-core machine, so p99 said more about the queue than the code.
    /// </summary>
    public const int Concurrency = 8;
    private const int Callers = 300;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(6);
    private static readonly Dictionary<double, IReadOnlyList<RouteResult>> Done = [];

    public static async Task<IReadOnlyList<RouteResult>> GetAsync(BenchContext context, double scale, CancellationToken ct)
    {
        if (Done.TryGetValue(scale, out var done)) return done;
        var dataset = await ReadDataset.GetAsync(context, scale, ct);
        await using var portal = PortalUnderTest.Start(dataset.ConnectionString);
        await using var floor = await RawFloor.StartAsync(dataset.ConnectionString, portal.Services.GetRequiredService<AddonCatalog>(), ct);

        // Real tokens of real members, minted as `tokens create` does: authentication hashes and looks them up.
        var callers = new List<(ClusterTarget Target, string Token)>();
        foreach (var target in dataset.Targets.Take(Callers))
            callers.Add((target, await portal.CreateTokenAsync(target.MemberSubject, TokenScopes.Read, ct)));
        var admin = await portal.CreateTokenAsync(ReadDataset.AdminSubject, TokenScopes.Read | TokenScopes.Admin, ct);

        (string Team, string Cluster, string Token) Pick(int n)
        {
            var (target, token) = callers[n % callers.Count];
            return (target.Team, target.Cluster, token);
        }

        var routes = new (string Name, Func<string, bool, Func<int, IReadOnlyList<ReadRequest>>> Operation)[]
        {
            ("list a team's clusters", (prefix, auth) => n =>
            {
                var (team, _, token) = Pick(n);
                return [new($"{prefix}/teams/{team}/clusters", auth ? token : null)];
            }),
            ("get a cluster with its add-ons", (prefix, auth) => n =>
            {
                var (team, cluster, token) = Pick(n);
                return [new($"{prefix}/teams/{team}/clusters/{cluster}", auth ? token : null), new($"{prefix}/teams/{team}/clusters/{cluster}/addons", auth ? token : null)];
            }),
            ("catalogue for a cluster", (prefix, auth) => n =>
            {
                var (team, cluster, token) = Pick(n);
                return [new($"{prefix}/catalog?team={team}&cluster={cluster}", auth ? token : null)];
            }),
            ("admin: a page of 100 clusters", (prefix, auth) => n =>
                [new($"{prefix}/teams/{dataset.BigTeams[n % dataset.BigTeams.Count]}/clusters?limit=100", auth ? admin : null)]),
        };

        var results = new List<RouteResult>();
        foreach (var (name, operation) in routes)
        {
            var onPortal = await LoadGenerator.RunAsync(portal.BaseUrl, operation("/api/v1", true), Concurrency, WarmUp, Duration, 200_000, ct);
            var onFloor = await LoadGenerator.RunAsync(floor.BaseUrl, operation("", false), Concurrency, WarmUp, Duration, 200_000, ct);
            var result = new RouteResult(name, onPortal, onFloor);
            context.Log.WriteLine($"  [{scale:0.##}] {name}: portal {onPortal.OperationsPerSecond:0} op/s p50 {onPortal.P50Ms:0.0} p99 {onPortal.P99Ms:0.0} ms " +
                                  $"({onPortal.Errors} errors); floor {onFloor.OperationsPerSecond:0} op/s p99 {onFloor.P99Ms:0.0} ms ({onFloor.Errors} errors); ratio {result.RatioToFloor:P0}");
            if (onPortal.FirstError is not null) context.Log.WriteLine($"    first portal error: {onPortal.FirstError}");
            if (onFloor.FirstError is not null) context.Log.WriteLine($"    first floor error: {onFloor.FirstError}");
            results.Add(result);
        }
        Done[scale] = results;
        return results;
    }
}
