using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Portal.Bench.Reads;

/// <summary>One request to make: a path and the bearer token to send (null for the floor, which has no authentication).</summary>
public sealed record ReadRequest(string Path, string? Token);

/// <summary>What one load run measured. Latencies are per operation (an operation may be several requests).</summary>
public sealed record LoadResult(int Operations, int Errors, double Seconds, double P50Ms, double P99Ms, double MaxMs, string? FirstError)
{
    public double OperationsPerSecond => Operations / Seconds;
}

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> workers each send an operation, wait for its answer and send the
/// next, over one pooled HttpClient (SocketsHttpHandler). A warm-up runs first and is not counted; then it runs until
/// the time or the operation budget is spent. Every response is read to the end and must be 200, or it counts as an
/// error. Percentiles come from the sorted latencies of all counted operations.
/// </summary>
public static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(
        string baseUrl, Func<int, IReadOnlyList<ReadRequest>> operation, int concurrency, TimeSpan warmUp, TimeSpan duration,
        int maxOperations, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10), UseCookies = false };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        await RunPhaseAsync(client, operation, concurrency, warmUp, int.MaxValue, record: null, ct);
        var latencies = new List<double>[concurrency];
        for (var i = 0; i < concurrency; i++) latencies[i] = new List<double>(4096);
        var errors = new ErrorCount();
        var watch = Stopwatch.StartNew();
        await RunPhaseAsync(client, operation, concurrency, duration, maxOperations, (worker, ms, error) =>
        {
            if (error is null) latencies[worker].Add(ms);
            else errors.Add(error);
        }, ct);
        var seconds = watch.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(all.Length, errors.Count, seconds, Percentile(all, 0.50), Percentile(all, 0.99),
            all.Length == 0 ? 0 : all[^1], errors.First);
    }

    private static async Task RunPhaseAsync(
        HttpClient client, Func<int, IReadOnlyList<ReadRequest>> operation, int concurrency, TimeSpan duration, int maxOperations,
        Action<int, double, string?>? record, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var started = 0;
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            while (deadline.Elapsed < duration && !ct.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref started);
                if (n > maxOperations) return;
                var begin = Stopwatch.GetTimestamp();
                string? error = null;
                foreach (var request in operation(n))
                {
                    error = await SendAsync(client, request, ct);
                    if (error is not null) break;
                }
                record?.Invoke(worker, Stopwatch.GetElapsedTime(begin).TotalMilliseconds, error);
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
    }

    private static async Task<string?> SendAsync(HttpClient client, ReadRequest request, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, request.Path);
        if (request.Token is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", request.Token);
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, ct);
            if (response.StatusCode == HttpStatusCode.OK) return null;
            var body = await response.Content.ReadAsStringAsync(ct);
            return $"{(int)response.StatusCode} {request.Path}: {body[..Math.Min(body.Length, 300)]}";
        }
        catch (HttpRequestException e)
        {
            return $"{request.Path}: {e.Message}";
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed class ErrorCount
    {
        private int _count;
        public int Count => _count;
        public string? First { get; private set; }

        public void Add(string error)
        {
            if (Interlocked.Increment(ref _count) == 1) First = error;
        }
    }
}
