using System.Diagnostics;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters;
using Portal.Reliability.Tests.Infrastructure;
using Portal.Testing;
using Xunit.Abstractions;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;

namespace Portal.Reliability.Tests;

/// <summary>
/// PostgreSQL goes down (immediate stop, as a crash) and comes back while two workers provision. Nobody restarts the
/// workers: they must recover by themselves and bring everything to its spec, creating nothing twice.
/// </summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", "Reliability")]
public sealed class PostgresRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Downtime = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task PostgresRestartedMidProvisioning_WorkersRecoverWithoutHelp_AndEverythingConverges()
    {
        var seed = SuiteSettings.Seed();
        var clusters = SuiteSettings.Long ? 4 : 2;
        output.WriteLine($"PG ({SuiteSettings.Version}): seed {seed}, {clusters} clusters");
        var clock = Stopwatch.StartNew();
        var random = new Random(seed);

        await using var world = await ReliabilityWorld.CreateAsync(seed);
        output.WriteLine($"Worker logs: {world.LogDirectory}");
        var workers = new[] { world.StartWorker(), world.StartWorker() };
        var scenario = new ProvisioningScenario(world, SuiteSettings.Patience);
        var restarts = 0;
        var owner = world.Owner;
        var team = world.TeamSlug;
        var prefix = $"p{seed % 1000:D3}-";

        // Requests first, then the outage while only the workers are busy: a client's retry of a request that failed
        // with the database is the API's concern (503), not this suite's.
        var views = new List<ClusterView>();
        for (var i = 0; i < clusters; i++)
        {
            views.Add(await scenario.Run(() => world.Clusters.RequestClusterAsync(owner, team,
                new NewCluster($"{prefix}{i}", EnvironmentName.Dev, [ProvisioningScenario.Pool("general", 1, 2, 3)], "1.34"), default)));
        }
        await RestartAsync();
        await Task.Delay(random.Next(500, 2500));
        await RestartAsync();
        var started = Stopwatch.StartNew();
        foreach (var view in views) await scenario.ClusterReadyAsync(view.Cluster.Id, started);

        started.Restart();
        var addons = new List<AddonInstallationView>();
        var endpoints = new List<Portal.Core.Endpoints.Resource.EndpointView>();
        foreach (var view in views)
        {
            addons.Add(await scenario.Run(() => world.Addons.InstallAsync(owner, team, view.Cluster.Name, new AddonInstallRequest(ProvisioningScenario.Addon), default)));
            endpoints.Add(await scenario.Run(() => world.Endpoints.CreateAsync(owner, team, view.Cluster.Name, ProvisioningScenario.Endpoint("infer"), default)));
        }
        await Task.Delay(random.Next(200, 1500));
        await RestartAsync();
        foreach (var addon in addons) await scenario.AddonHealthyAsync(addon.Installation.Id, started);
        foreach (var endpoint in endpoints) await scenario.EndpointReadyAsync(endpoint.Endpoint.Id, started);
        foreach (var view in views) await scenario.ClusterReadyAsync(view.Cluster.Id, started);

        Assert.All(workers, w => Assert.False(w.HasExited, $"{w.Name} exited; see {w.LogPath}"));
        await AfterTheStorm.WaitForNoLeasesAsync(world, SuiteSettings.Settle);
        await AfterTheStorm.WaitForNoStuckJobsAsync(world, SuiteSettings.Settle, queueing: TimeSpan.FromSeconds(15));
        var duplicates = AfterTheStorm.Duplicates(world.Emulator.Calls, strictCalls: true);
        Assert.True(duplicates.Count == 0, $"{duplicates.Count} thing(s) created twice:\n  {string.Join("\n  ", duplicates)}");

        ReliabilityReport.Write("PG", $"""
            Two workers provision clusters (then add-ons and GPU endpoints on them) while the suite's private PostgreSQL is
            stopped at once (`pg_ctl -m immediate`, like a crash) and started again {Downtime.TotalSeconds:F0} s later — during
            cluster creation and again during the add-on and endpoint rollout. The workers are never restarted: they keep
            running, reconnect, and everything converges with nothing created twice and no job or lease left behind.

            {ReliabilityReport.Table(["version", "seed", "runs", "PostgreSQL restarts", "downtime each", "worker restarts", "emulator calls", "duplicates", "max convergence", "wall time"],
                [[SuiteSettings.Version, seed, scenario.Runs, restarts, $"{Downtime.TotalSeconds:F0} s", 0, world.Emulator.Calls.All.Count, duplicates.Count,
                  $"{scenario.MaxConvergence.TotalSeconds:F1} s", $"{clock.Elapsed.TotalSeconds:F0} s"]])}
            """);

        async Task RestartAsync()
        {
            await world.Postgres.StopAsync();
            output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} PostgreSQL stopped");
            await Task.Delay(Downtime);
            await world.Postgres.StartAsync();
            restarts++;
            output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} PostgreSQL started again");
        }
    }
}
