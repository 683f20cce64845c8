using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Portal.Api.Infrastructure;
using Portal.Core.Access;

namespace Portal.Web.Startup;

/// <summary>
/// Request budgets (<c>RateLimiting</c>): a token bucket per access token, per signed-in user (web session or OIDC
/// JWT) and, for anonymous callers, per client address. The defaults are generous — they stop a runaway script, not a
/// busy person — and operators tune them here.
/// </summary>
public sealed class RateLimitingOptions
{
    public const string SectionName = "RateLimiting";

    public bool Enabled { get; set; } = true;

    /// <summary>Sustained requests per minute of one access token or user.</summary>
    [Range(1, 1_000_000)]
    public int PermitsPerMinute { get; set; } = 600;

    /// <summary>How many requests one token or user may send at once before the sustained rate applies.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 600;

    /// <summary>Sustained requests per minute of one anonymous client address (sign-in pages, the OpenAPI document).</summary>
    [Range(1, 1_000_000)]
    public int AnonymousPermitsPerMinute { get; set; } = 300;

    [Range(1, 1_000_000)]
    public int AnonymousBurst { get; set; } = 300;
}

public static class RateLimits
{
    public static WebApplicationBuilder AddPortalRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitingOptions>().BindConfiguration(RateLimitingOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitingOptions>>((limiter, configured) =>
        {
            var budget = configured.Value;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => Partition(http, budget));
            limiter.OnRejected = (context, ct) => RejectAsync(context, budget, ct);
        });
        return builder;
    }

    /// <summary>
    /// After authorization, so the caller is known: the API's bearer schemes are authenticated by its policy, not by
    /// the default scheme. Health probes and static files are exempt (their endpoints disable rate limiting).
    /// </summary>
    public static WebApplication UsePortalRateLimits(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<RateLimitingOptions>>().Value.Enabled) app.UseRateLimiter();
        return app;
    }

    private static RateLimitPartition<string> Partition(HttpContext http, RateLimitingOptions budget)
    {
        var user = http.User;
        if (user.Identity?.IsAuthenticated == true)
        {
            // One bucket per token, so a script's token cannot starve its owner's other tokens or web session.
            var key = user.FindFirst(PortalActor.ClaimTypes.TokenId)?.Value is { } token
                ? $"token:{token}"
                : $"user:{user.FindFirst(PortalActor.ClaimTypes.UserId)?.Value ?? user.Identity.Name}";
            return RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(budget.Burst, budget.PermitsPerMinute));
        }
        var address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        return RateLimitPartition.GetTokenBucketLimiter($"ip:{address}", _ => Bucket(budget.AnonymousBurst, budget.AnonymousPermitsPerMinute));
    }

    private static TokenBucketRateLimiterOptions Bucket(int burst, int perMinute) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = 1,
        ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static async ValueTask RejectAsync(OnRejectedContext context, RateLimitingOptions budget, CancellationToken ct)
    {
        var http = context.HttpContext;
        var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? retryAfter
            : TimeSpan.FromMinutes(1) / budget.PermitsPerMinute;
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await ProblemDetailsExceptionHandler.WriteAsync(http, new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests",
            Detail = $"This caller has used its request budget; retry after {seconds} s.",
            Extensions = { ["retryAfterSeconds"] = seconds },
        });
    }
}
