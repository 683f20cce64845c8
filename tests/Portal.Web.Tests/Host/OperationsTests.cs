using System.Net;

namespace Portal.Web.Tests.Host;

public sealed class OperationsTests
{
    [Fact]
    public async Task Probes_OnAReachableDatabase_AreHealthy()
    {
        await using var factory = await PortalHostFactory.OnPostgresAsync("Staging");
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Readiness_WithTheDatabaseGone_Fails_WhileLivenessStaysUp()
    {
        await using var factory = new PortalHostFactory("Staging", new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            // Nothing listens on port 1: the database is unreachable, as when PostgreSQL is down.
            ["ConnectionStrings:Portal"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=2",
            ["Database:MigrateOnStartup"] = "false",
        });
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Metrics_ArePublishedInPrometheusFormat_WithRequestDurations()
    {
        await using var factory = new PortalHostFactory("Staging");
        var client = factory.CreateClient();
        await client.GetAsync("/healthz");
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("# TYPE http_request_duration_seconds histogram", metrics);
        Assert.Contains("http_requests_received_total", metrics);
    }
}
