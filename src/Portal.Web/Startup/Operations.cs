using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Portal.Core.Costs.Budgets;
using Portal.Core.Persistence;
using Prometheus;

namespace Portal.Web.Startup;

/// <summary>Liveness and readiness probes, Prometheus metrics, optional OpenTelemetry tracing, proxy headers.</summary>
public static class Operations
{
    /// <summary>The ActivitySource and Meter name of the portal's own spans and counters.</summary>
    public const string TelemetryName = "Unicron.Portal";

    public static WebApplicationBuilder AddPortalOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        builder.Services.AddHostedService<StartupBanner>();

        // Behind an ingress or load balancer the portal sees the proxy's address and scheme; trust its X-Forwarded-*
        // headers so OIDC redirect URIs are https and audit entries name the real client.
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
        });

        if (builder.Configuration.GetValue("Telemetry:Tracing:Enabled", false))
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService(builder.Configuration["Telemetry:ServiceName"] ?? "unicron-portal"))
                .WithTracing(t => t
                    .AddSource(TelemetryName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation(o => o.EnrichWithHttpRequestMessage = (activity, request) =>
                    {
                        // A budget webhook's path may be its credential (Slack, Discord, Teams): its spans carry the masked URL.
                        if (request.Headers.Contains(BudgetWebhook.AttemptHeader)) activity.SetTag("url.full", WebhookUrls.Redact(request.RequestUri?.OriginalString));
                    })
                    // Endpoint, headers and protocol from the standard OTEL_EXPORTER_OTLP_* environment variables.
                    .AddOtlpExporter());
        }
        return builder;
    }

    public static WebApplication UsePortalOperations(this WebApplication app)
    {
        // First in the pipeline: every exception, from any middleware or endpoint, becomes an RFC 9457 problem
        // (Portal.Api's handler maps domain and binding errors to 4xx); nothing leaks a stack trace.
        app.UseExceptionHandler();
        if (app.Configuration.GetValue("ForwardedHeaders:Enabled", false)) app.UseForwardedHeaders();
        app.UseHttpMetrics();
        // Liveness answers without touching dependencies: a slow database must not get the pod killed.
        // Probes and scrapes are exempt from rate limits: a throttled probe would get a healthy pod restarted.
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false }).ExcludeFromDescription().DisableRateLimiting();
        app.MapHealthChecks("/readyz", new() { Predicate = c => c.Tags.Contains("ready") }).ExcludeFromDescription().DisableRateLimiting();
        app.MapMetrics("/metrics").ExcludeFromDescription().DisableRateLimiting();
        return app;
    }

    private sealed class DatabaseHealthCheck(IDbContextFactory<PortalDbContext> contexts) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
        {
            try
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                return await db.Database.CanConnectAsync(ct)
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy("The database does not accept connections.");
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy("The database is unreachable.", e);
            }
        }
    }
}
