using System.Net;
using System.Text.RegularExpressions;
using Hangfire;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Web.Startup;
using Portal.Web.Tests.Host;

namespace Portal.Web.Tests.Reconciliation;

/// <summary>The host's Hangfire set-up: the dashboard's gate, worker roles, the embedded emulator.</summary>
[Collection(HangfireCollection.Name)]
public sealed partial class JobsHostTests
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private static readonly WebApplicationFactoryClientOptions NoRedirects = new() { AllowAutoRedirect = false };

    private static async Task<HttpClient> SignedInAsync(PortalHostFactory factory, string persona)
    {
        var client = factory.CreateClient(NoRedirects);
        var page = await client.GetStringAsync("/account/dev-sign-in");
        await client.PostAsync("/account/dev-sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value,
            ["persona"] = persona,
        }));
        return client;
    }

    [Fact]
    public async Task Dashboard_IsForPlatformAdminsOnly()
    {
        await using var factory = new PortalHostFactory("Development");

        var anonymous = await factory.CreateClient(NoRedirects).GetAsync(Jobs.DashboardPath);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/account/sign-in", anonymous.Headers.Location?.PathAndQuery ?? anonymous.Headers.Location?.OriginalString);

        var owner = await (await SignedInAsync(factory, "owner")).GetAsync(Jobs.DashboardPath);
        Assert.NotEqual(HttpStatusCode.OK, owner.StatusCode);
        Assert.Contains("/account/denied", owner.Headers.Location?.OriginalString ?? "");

        var admin = await (await SignedInAsync(factory, "admin")).GetAsync(Jobs.DashboardPath);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Contains("Unicron Portal jobs", await admin.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WebOnlyRole_RunsNoHangfireServer_ButCanStillEnqueue()
    {
        await using var factory = await PortalHostFactory.OnPostgresAsync("Testing", new Dictionary<string, string?> { ["Portal:Roles"] = "web,api", ["Cloud:Mode"] = "Aws" });
        _ = factory.Server;

        Assert.False(factory.Services.GetRequiredService<PortalRoles>().Worker);
        Assert.DoesNotContain(factory.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>(), s => s.GetType().FullName!.Contains("BackgroundJobServer"));
        Assert.NotNull(factory.Services.GetRequiredService<IBackgroundJobClient>().Enqueue(() => Console.WriteLine("queued for a worker")));
    }

    [Theory]
    [InlineData(null, new[] { "web", "api", "worker" })]
    [InlineData("worker", new[] { "worker" })]
    [InlineData("web, API", new[] { "web", "api" })]
    public void Roles_DefaultToAllAndAcceptACommaSeparatedList(string? value, string[] expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [PortalRoles.SectionName] = value }).Build();
        Assert.Equal(expected.Order(), PortalRoles.From(configuration).Roles.Order());
    }

    [Fact]
    public void Roles_RefuseAnUnknownRole()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Portal:Roles:0"] = "wroker" }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => { PortalRoles.From(configuration); });
        Assert.Contains("wroker", error.Message);
    }

    [Theory]
    [InlineData(30, "*/30 * * * * *")]
    [InlineData(120, "*/2 * * * *")]
    public void CronFor_AnInterval_UsesSecondsBelowAMinute(int seconds, string cron) =>
        Assert.Equal(cron, Jobs.CronFor(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public async Task EmbeddedMode_StartsTheEmulatorAndPointsTheCloudClientsAtIt()
    {
        await using var factory = new PortalHostFactory("Development", new Dictionary<string, string?> { ["Cloud:Mode"] = "Emulator" });
        _ = factory.Server;

        var embedded = factory.Services.GetRequiredService<EmbeddedEmulator>();
        Assert.NotNull(embedded.Host);
        var cloud = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Portal.Core.Cloud.CloudOptions>>().Value;
        Assert.Equal(embedded.Host!.BaseAddress.ToString().TrimEnd('/'), cloud.EksEndpoint);
        Assert.Equal(embedded.Host.PrimaryAccount.AccessKeyId, cloud.AccessKeyId);
        // The state lives beside the SQLite database, so the two survive restarts together.
        Assert.Equal(Path.Combine(factory.DataDirectory, "portal.emulator.json"), embedded.Options.StateFile);
    }
}
