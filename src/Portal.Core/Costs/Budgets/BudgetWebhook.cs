using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Reconciliation;

namespace Portal.Core.Costs.Budgets;

/// <summary>Section <c>Costs:Webhook</c>: how hard budget notifications are retried.</summary>
public sealed class BudgetWebhookOptions
{
    public const string SectionName = "Costs:Webhook";

    /// <summary>Attempts including the first.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>One attempt's limit; a receiver slower than this counts as failed and is retried.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>An amount as the webhook shows it: rounded to cents, with its currency.</summary>
public sealed record WebhookAmount(decimal Amount, string Currency)
{
    public static WebhookAmount Of(Money money) => new(money.Cents, money.Currency);
}

/// <summary>The JSON body of a budget notification (documented in docs/costs.md).</summary>
public sealed record BudgetWebhookPayload(
    string Id,
    string Type,
    string Team,
    string? Environment,
    string Month,
    int? ThresholdPercent,
    WebhookAmount Budget,
    WebhookAmount Spent,
    WebhookAmount Forecast,
    DateTimeOffset OccurredAt)
{
    public const string ThresholdType = "budget.threshold-reached";
    public const string ForecastType = "budget.forecast-overrun";

    public static BudgetWebhookPayload For(Budget budget, BudgetCrossing crossing, DateTimeOffset occurredAt) => new(
        crossing.IdempotencyKey(budget),
        crossing.Kind == BudgetCrossingKind.Threshold ? ThresholdType : ForecastType,
        budget.Team,
        budget.Environment?.ToString().ToLowerInvariant(),
        crossing.Month.ToString(),
        crossing.ThresholdPercent,
        WebhookAmount.Of(crossing.Limit),
        WebhookAmount.Of(crossing.Spent),
        WebhookAmount.Of(crossing.Forecast),
        occurredAt);
}

/// <summary>How a delivery ended: delivered (2xx) or given up, after how many attempts, with the last status or error.</summary>
public sealed record WebhookDelivery(bool Delivered, int Attempts, int? LastStatusCode, string? LastError);

/// <summary>
/// Posts budget notifications to a team's webhook. Every attempt of one notification sends the same body and the same
/// <c>Idempotency-Key</c> header (the payload's <c>id</c>), so a receiver that saw an attempt whose answer was lost
/// can drop the repeat. Retries with exponential backoff on network errors, timeouts, 408, 429 and 5xx; any other
/// answer is final. With a secret, <c>X-Unicron-Signature: sha256=&lt;hex HMAC of the body&gt;</c> lets the receiver
/// check the sender.
/// </summary>
public sealed class BudgetWebhook(HttpClient http, IOptions<BudgetWebhookOptions> options, TimeProvider clock, ILogger<BudgetWebhook> logger)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string SignatureHeader = "X-Unicron-Signature";
    public const string AttemptHeader = "X-Unicron-Delivery-Attempt";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public Task<WebhookDelivery> SendAsync(Uri url, Budget budget, BudgetCrossing crossing, string? secret = null, CancellationToken ct = default) =>
        SendAsync(url, BudgetWebhookPayload.For(budget, crossing, clock.GetUtcNow()), secret, ct);

    public async Task<WebhookDelivery> SendAsync(Uri url, BudgetWebhookPayload payload, string? secret = null, CancellationToken ct = default)
    {
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            throw new ArgumentException("A webhook URL must be an absolute http(s) URL.", nameof(url));
        var o = options.Value;
        // Serialised once: every attempt carries byte-identical content (and therefore the same signature).
        var body = JsonSerializer.SerializeToUtf8Bytes(payload, Json);
        string? signature = string.IsNullOrEmpty(secret) ? null
            : "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

        int? status = null;
        string? error = null;
        for (var attempt = 1; attempt <= o.MaxAttempts; attempt++)
        {
            if (attempt > 1) await Task.Delay(Backoff.Delay(attempt - 1, o.RetryBaseDelay, o.RetryMaxDelay), clock, ct);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
            request.Headers.Add(IdempotencyKeyHeader, payload.Id);
            request.Headers.Add(AttemptHeader, attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (signature is not null) request.Headers.Add(SignatureHeader, signature);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(o.AttemptTimeout);
            try
            {
                using var response = await http.SendAsync(request, timeout.Token);
                status = (int)response.StatusCode;
                error = null;
                if (response.IsSuccessStatusCode)
                {
                    logger.LogInformation("Budget webhook {Url} accepted {Id} with {Status} (attempt {Attempt})", WebhookUrls.Redact(url.OriginalString), payload.Id, status, attempt);
                    return new WebhookDelivery(true, attempt, status, null);
                }
                if (!IsTransient(response.StatusCode))
                {
                    logger.LogWarning("Budget webhook {Url} refused {Id} with {Status}; not retried", WebhookUrls.Redact(url.OriginalString), payload.Id, status);
                    return new WebhookDelivery(false, attempt, status, $"the receiver answered {status}");
                }
                error = $"the receiver answered {status}";
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                status = null;
                error = $"no answer within {o.AttemptTimeout.TotalSeconds:0.###} s";
            }
            catch (HttpRequestException e)
            {
                status = null;
                error = e.Message;
            }
            logger.LogInformation("Budget webhook {Url} attempt {Attempt} for {Id} failed: {Error}", WebhookUrls.Redact(url.OriginalString), attempt, payload.Id, error);
        }
        logger.LogWarning("Budget webhook {Url} gave up on {Id} after {Attempts} attempts: {Error}", WebhookUrls.Redact(url.OriginalString), payload.Id, o.MaxAttempts, error);
        return new WebhookDelivery(false, o.MaxAttempts, status, error);
    }

    private static bool IsTransient(HttpStatusCode code) =>
        (int)code >= 500 || code is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
}
