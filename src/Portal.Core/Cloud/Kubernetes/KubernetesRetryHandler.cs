using System.Net;
using Portal.Core.Reconciliation;

namespace Portal.Core.Cloud.Kubernetes;

/// <summary>
/// Retries a Kubernetes API call answered with 429 or a 5xx (or a dropped connection), as the AWS SDKs do for AWS
/// calls: up to <see cref="CloudOptions.MaxAttempts"/> attempts, waiting the server's <c>Retry-After</c> when it gives
/// one (capped) or else an exponential backoff with jitter. Without it, one throttled call among the dozens a
/// bootstrap applies ends the whole step, and at a 20% fault rate the step almost never completes (R2).
/// Every call the portal makes is safe to repeat: server-side apply is idempotent, reads are, and a repeated delete
/// answers 404, which callers already take as "gone". 4xx other than 429 are the caller's to handle, never retried.
/// </summary>
internal sealed class KubernetesRetryHandler(CloudOptions options, TimeProvider clock) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        // The content is read once so each attempt can send a fresh copy (a request message cannot be sent twice).
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(ct);
        for (var attempt = 1; ; attempt++)
        {
            var last = attempt >= options.MaxAttempts;
            using var copy = attempt == 1 ? null : Copy(request, body);
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(copy ?? request, ct);
            }
            catch (HttpRequestException) when (!last && !ct.IsCancellationRequested)
            {
                await Task.Delay(Backoff.Delay(attempt, options.RetryBaseDelay, options.RetryMaxDelay), clock, ct);
                continue;
            }
            if (last || !IsTransient(response.StatusCode)) return response;
            var wait = RetryAfter(response) ?? Backoff.Delay(attempt, options.RetryBaseDelay, options.RetryMaxDelay);
            response.Dispose();
            await Task.Delay(wait, clock, ct);
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var delta = response.Headers.RetryAfter?.Delta;
        return delta is { } d ? TimeSpan.FromTicks(Math.Min(d.Ticks, options.RetryMaxDelay.Ticks)) : null;
    }

    private static HttpRequestMessage Copy(HttpRequestMessage request, byte[]? body)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var (name, values) in request.Headers) copy.Headers.TryAddWithoutValidation(name, values);
        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (var (name, values) in request.Content!.Headers) copy.Content.Headers.TryAddWithoutValidation(name, values);
        }
        foreach (var (key, value) in request.Options) ((IDictionary<string, object?>)copy.Options)[key] = value;
        return copy;
    }
}
