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
    public async Task EmbeddedMode_ANewcomersEnvironment_ProvisionsAndDeletesAClusterOnSqliteWithInMemoryJobs()
    {
        await using var factory = new PortalHostFactory("Testing", new Dictionary<string, string?>
        {
            ["Cloud:Mode"] = "Emulator",
            ["Cloud:Emulator:Lifecycle:ClusterCreate"] = "00:00:00.300",
            ["Cloud:Emulator:Lifecycle:ClusterDelete"] = "00:00:00",
            ["Cloud:Emulator:Lifecycle:NodegroupCreate"] = "00:00:00",
            ["Cloud:Emulator:Lifecycle:NodegroupDelete"] = "00:00:00",
            ["Cloud:Emulator:Kubernetes:ApplicationSyncDelay"] = "00:00:00.100",
            ["Reconciliation:PollInterval"] = "00:00:00.200",
            ["Jobs:SchedulePollingInterval"] = "00:00:00.200",
        });
        _ = factory.Server;
        var services = factory.Services;
        var email = $"new-{Guid.NewGuid():N}"[..16] + "@example.com";
        var user = await services.GetRequiredService<Portal.Core.Users.UserService>().SignInAsync(new($"sub-{email}", email, "Newcomer", []), default);
        var actor = Portal.Testing.PortalActors.For(user);
        var slug = $"n-{Guid.NewGuid():N}"[..10];
        await services.GetRequiredService<Portal.Core.Teams.TeamService>().CreateTeamAsync(actor, new(slug, slug, null, null), default);
        // Any account and role a newcomer makes up: the embedded emulator learns them from the portal.
        await services.GetRequiredService<Portal.Core.Environments.EnvironmentService>().RegisterAsync(actor, slug,
            new(Portal.Core.Environments.EnvironmentName.Dev, "555566667777", "us-east-1", "arn:aws:iam::555566667777:role/my-provisioner", null), default);
        var clusters = services.GetRequiredService<Portal.Core.Clusters.ClusterService>();
        var view = await clusters.RequestClusterAsync(actor, slug, new(
            "first", Portal.Core.Environments.EnvironmentName.Dev, [new("spot", ["m5.large"], Portal.Core.Clusters.CapacityType.Spot, 1, 1, 2)], "1.34"), default);

        var contexts = services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Portal.Core.Persistence.PortalDbContext>>();
        async Task<Portal.Core.Clusters.Cluster?> FindAsync()
        {
            await using var db = await contexts.CreateDbContextAsync();
            return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstOrDefaultAsync(
                Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AsNoTracking(db.Clusters), c => c.Id == view.Cluster.Id);
        }
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        Portal.Core.Clusters.Cluster? cluster;
        while ((cluster = await FindAsync())?.Phase != Portal.Core.Clusters.ClusterPhase.Ready && DateTimeOffset.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(Portal.Core.Clusters.ClusterPhase.Ready, cluster?.Phase);
        Assert.Equal("arn:aws:eks:us-east-1:555566667777:cluster/" + cluster!.EksName, cluster.EksArn);

        for (var attempt = 0; ; attempt++)
        {
            try { await clusters.DeleteClusterAsync(actor, slug, "first", null, default); break; }
            catch (Portal.Core.Common.PreconditionFailedException) when (attempt < 20) { await Task.Delay(50); }
        }
        while (await FindAsync() is not null && DateTimeOffset.UtcNow < deadline) await Task.Delay(100);
        Assert.Null(await FindAsync());
        var emulator = services.GetRequiredService<EmbeddedEmulator>().Host!;
        Assert.Equal((1, 1, 1), (emulator.Calls.Count("eks", "CreateCluster"), emulator.Calls.Count("eks", "CreateNodegroup"), emulator.Calls.Count("eks", "DeleteCluster")));
    }

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
