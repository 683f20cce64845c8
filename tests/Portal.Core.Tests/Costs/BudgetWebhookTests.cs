using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Core.Costs;
using Portal.Core.Costs.Budgets;
using Portal.Testing;

namespace Portal.Core.Tests.Costs;

/// <summary>The webhook against a real Kestrel receiver that fails, stalls and de-duplicates like a real one would.</summary>
public sealed class BudgetWebhookTests
{
    private static readonly Budget Ml = Budget.Create("ml", null, Money.UsdOf(1000m));

    private static BudgetCrossing Crossing80() =>
        BudgetEvaluator.Evaluate(Ml, BudgetForecast.ForMonth(Money.UsdOf(812.3456m), new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero)), null)
            .NewCrossings.Single(c => c.ThresholdPercent == 80);

    private static BudgetWebhook Webhook(HttpClient http, int maxAttempts = 5, TimeSpan? attemptTimeout = null) => new(http,
        Options.Create(new BudgetWebhookOptions
        {
            MaxAttempts = maxAttempts,
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            RetryMaxDelay = TimeSpan.FromMilliseconds(100),
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5),
        }),
        TimeProvider.System, NullLogger<BudgetWebhook>.Instance);

    private sealed record Received(string IdempotencyKey, string Attempt, string? Signature, string Body);

    /// <summary>Fails the first <paramref name="failures"/> requests with <paramref name="status"/>, then accepts; remembers every request.</summary>
    private static async Task<(LocalReceiver Receiver, ConcurrentQueue<Received> Requests)> ReceiverAsync(int failures, int status = 503, TimeSpan? stall = null)
    {
        var requests = new ConcurrentQueue<Received>();
        var count = 0;
        var receiver = await LocalReceiver.StartAsync(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            requests.Enqueue(new Received(context.Request.Headers["Idempotency-Key"].ToString(), context.Request.Headers["X-Unicron-Delivery-Attempt"].ToString(),
                context.Request.Headers.TryGetValue("X-Unicron-Signature", out var s) ? s.ToString() : null, body));
            if (Interlocked.Increment(ref count) <= failures)
            {
                if (stall is { } delay) await Task.Delay(delay, context.RequestAborted).ContinueWith(_ => { });
                context.Response.StatusCode = status;
                return;
            }
            context.Response.StatusCode = StatusCodes.Status202Accepted;
        });
        return (receiver, requests);
    }

    [Fact]
    public async Task AReceiverFailingTwice_GetsTheThirdAttempt_WithTheSameBodyAndKey()
    {
        var (receiver, requests) = await ReceiverAsync(failures: 2);
        await using var running = receiver;
        using var http = new HttpClient();

        var delivery = await Webhook(http).SendAsync(new Uri(receiver.BaseAddress, "hooks/budget"), Ml, Crossing80());

        Assert.Equal(new WebhookDelivery(true, 3, 202, null), delivery);
        var all = requests.ToArray();
        Assert.Equal(3, all.Length);
        Assert.All(all, r => Assert.Equal("budget:ml:all:2026-11:threshold-80", r.IdempotencyKey));
        Assert.Equal(["1", "2", "3"], all.Select(r => r.Attempt));
        Assert.Single(all.Select(r => r.Body).Distinct());

        using var json = JsonDocument.Parse(all[0].Body);
        var root = json.RootElement;
        Assert.Equal("budget:ml:all:2026-11:threshold-80", root.GetProperty("id").GetString());
        Assert.Equal("budget.threshold-reached", root.GetProperty("type").GetString());
        Assert.Equal("ml", root.GetProperty("team").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("environment").ValueKind);
        Assert.Equal("2026-11", root.GetProperty("month").GetString());
        Assert.Equal(80, root.GetProperty("thresholdPercent").GetInt32());
        Assert.Equal(812.35m, root.GetProperty("spent").GetProperty("amount").GetDecimal());
        Assert.Equal("USD", root.GetProperty("spent").GetProperty("currency").GetString());
        Assert.Equal(1000m, root.GetProperty("budget").GetProperty("amount").GetDecimal());
        // 812.3456 USD over the first 480 hours of a 720-hour month: 1218.5184, shown as 1218.52.
        Assert.Equal(1218.52m, root.GetProperty("forecast").GetProperty("amount").GetDecimal());
        Assert.True(root.TryGetProperty("occurredAt", out _));
    }

    [Fact]
    public async Task AReceiverThatStalls_IsTimedOutAndRetried()
    {
        var (receiver, requests) = await ReceiverAsync(failures: 1, stall: TimeSpan.FromSeconds(10));
        await using var running = receiver;
        using var http = new HttpClient();

        var delivery = await Webhook(http, attemptTimeout: TimeSpan.FromMilliseconds(500)).SendAsync(receiver.BaseAddress, Ml, Crossing80());

        Assert.True(delivery.Delivered);
        Assert.Equal(2, delivery.Attempts);
        Assert.Equal(2, requests.Count);
    }

    [Fact]
    public async Task AClientError_IsFinal_NotRetried()
    {
        var (receiver, requests) = await ReceiverAsync(failures: 10, status: 410);
        await using var running = receiver;
        using var http = new HttpClient();

        var delivery = await Webhook(http).SendAsync(receiver.BaseAddress, Ml, Crossing80());

        Assert.Equal(new WebhookDelivery(false, 1, 410, "the receiver answered 410"), delivery);
        Assert.Single(requests);
    }

    [Fact]
    public async Task AReceiverThatNeverRecovers_IsGivenUpOn_AfterMaxAttempts()
    {
        var (receiver, requests) = await ReceiverAsync(failures: 100, status: 500);
        await using var running = receiver;
        using var http = new HttpClient();

        var delivery = await Webhook(http, maxAttempts: 3).SendAsync(receiver.BaseAddress, Ml, Crossing80());

        Assert.Equal(new WebhookDelivery(false, 3, 500, "the receiver answered 500"), delivery);
        Assert.Equal(3, requests.Count);
    }

    [Fact]
    public async Task SendingTheSameCrossingTwice_CarriesOneKey_SoTheReceiverKeepsOne()
    {
        var (receiver, requests) = await ReceiverAsync(failures: 1);
        await using var running = receiver;
        using var http = new HttpClient();
        var webhook = Webhook(http);

        // A job that crashed after sending and runs again sends the crossing again.
        await webhook.SendAsync(receiver.BaseAddress, Ml, Crossing80());
        await webhook.SendAsync(receiver.BaseAddress, Ml, Crossing80());

        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.IdempotencyKey).Distinct());
    }

    [Fact]
    public async Task WithASecret_TheBodyIsSigned()
    {
        var (receiver, requests) = await ReceiverAsync(failures: 0);
        await using var running = receiver;
        using var http = new HttpClient();

        await Webhook(http).SendAsync(receiver.BaseAddress, Ml, Crossing80(), secret: "s3cret");

        var request = Assert.Single(requests);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("s3cret"), Encoding.UTF8.GetBytes(request.Body)));
        Assert.Equal(expected, request.Signature);
    }

    [Fact]
    public async Task ANonHttpUrl_IsRefused()
    {
        using var http = new HttpClient();
        await Assert.ThrowsAsync<ArgumentException>(() => Webhook(http).SendAsync(new Uri("file:///etc/passwd"), Ml, Crossing80()));
    }
}
