using System.Diagnostics;
using Portal.Reliability.Tests.Infrastructure;
using Portal.Testing;
using Xunit.Abstractions;

namespace Portal.Reliability.Tests;

/// <summary>
/// R1: worker processes are killed with SIGKILL at random points (seeded, printed) while clusters, pools, add-ons and
/// endpoints are created, changed and deleted, and started again — sometimes two at once. Afterwards every resource has
/// converged, nothing was created twice, and no job or lease is left behind by a dead worker.
/// </summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", "Reliability")]
public sealed class CrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledWorkers_LoseNothing_CreateNothingTwice_AndLeaveNoJobStuck()
    {
        var seed = SuiteSettings.Seed();
        var (rounds, parallel) = SuiteSettings.Long ? (20, 4) : (3, 3);
        var patience = SuiteSettings.Patience;
        output.WriteLine($"R1 ({SuiteSettings.Version}): seed {seed} (PORTAL_RELIABILITY_SEED={seed} replays the kill schedule), {rounds} rounds, {parallel} at a time");
        var clock = Stopwatch.StartNew();

        await using var world = await ReliabilityWorld.CreateAsync(seed);
        output.WriteLine($"Worker logs: {world.LogDirectory}");
        world.StartWorker();
        var scenario = new ProvisioningScenario(world, patience);
        var chaos = new Chaos(world, new Random(seed));
        using (var stop = new CancellationTokenSource())
        {
            var killing = chaos.RunAsync(stop.Token);
            try
            {
                await scenario.RunAsync($"k{seed % 1000:D3}-", rounds, parallel, CancellationToken.None);
            }
            finally
            {
                await stop.CancelAsync();
                await killing;
            }
        }
        if (world.Workers.Count == 0) world.StartWorker();

        // A worker killed after the last step converged may still have left a job or a lease: both must clear by themselves.
        await AfterTheStorm.WaitForNoLeasesAsync(world, SuiteSettings.Settle);
        await AfterTheStorm.WaitForNoStuckJobsAsync(world, SuiteSettings.Settle, queueing: TimeSpan.FromSeconds(15));
        var duplicates = AfterTheStorm.Duplicates(world.Emulator.Calls, strictCalls: true);

        output.WriteLine($"runs {scenario.Runs}, kills {chaos.Kills} ({chaos.TwoWorkerPhases} phases with two workers), worker starts {world.WorkersStarted}, " +
                         $"calls {world.Emulator.Calls.All.Count}, creations {world.Emulator.Calls.Creations.Count}, max convergence {scenario.MaxConvergence}");
        Assert.True(chaos.Kills > 0, "The suite killed no worker: the run proves nothing.");
        Assert.True(chaos.TwoWorkerPhases > 0 || !SuiteSettings.Long, "The long run never had two workers at once.");
        Assert.True(duplicates.Count == 0, $"{duplicates.Count} thing(s) created twice:\n  {string.Join("\n  ", duplicates)}");

        var calls = world.Emulator.Calls.All;
        ReliabilityReport.Write("R1", $"""
            Worker processes (`dotnet Portal.Web.dll`, `Portal:Roles=worker`) on a private PostgreSQL, the emulator over HTTP.
            Rounds of: create a cluster with pools → rescale and add a pool → install an add-on and create a GPU endpoint →
            tear down, change the endpoint, or keep. Meanwhile a seeded schedule SIGKILLs a random worker after 5–250 more
            cloud calls (a random point of the workload, whatever the machine's speed), and starts one or two again. Afterwards: every resource Ready/Healthy at its generation or gone; no object created
            twice (EKS clusters and node groups by name, Kubernetes objects by cluster/type/namespace/name — names are never
            reused — and exactly one CreateCluster/CreateNodegroup call per name); no job processing on a dead worker or
            queued > 15 s; no lease held.

            {ReliabilityReport.Table(["version", "seed", "runs", "rounds", "kills", "worker starts", "two-worker phases", "emulator calls", "objects created", "duplicates", "max convergence", "wall time"],
                [[SuiteSettings.Version, seed, scenario.Runs, rounds, chaos.Kills, world.WorkersStarted, chaos.TwoWorkerPhases, calls.Count,
                  world.Emulator.Calls.Creations.Count, duplicates.Count, $"{scenario.MaxConvergence.TotalSeconds:F1} s", $"{clock.Elapsed.TotalSeconds:F0} s"]])}
            """);
    }

    /// <summary>
    /// The kill schedule. A kill lands at a random point of the workload, measured in cloud calls rather than seconds
    /// (a cold worker on a busy machine may need many seconds for its first step, and a clock-based kill would then
    /// never let anything happen): once the workers take jobs, one random worker dies after 5–250 more emulator calls;
    /// then one or two workers are started again.
    /// </summary>
    private sealed class Chaos(ReliabilityWorld world, Random random)
    {
        public int Kills { get; private set; }
        public int TwoWorkerPhases { get; private set; }

        public async Task RunAsync(CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await Task.WhenAny(Task.WhenAll(world.Workers.Select(w => w.Serving)), Task.Delay(TimeSpan.FromSeconds(60), ct));
                    var killAt = world.Emulator.Calls.Total + random.Next(5, 250);
                    while (world.Emulator.Calls.Total < killAt) await Task.Delay(10, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                var workers = world.Workers;
                if (workers.Count > 0)
                {
                    world.Kill(workers[random.Next(workers.Count)]);
                    Kills++;
                    await Task.Delay(random.Next(0, 800), CancellationToken.None);
                }
                var target = random.NextDouble() < 0.4 ? 2 : 1;
                if (target == 2) TwoWorkerPhases++;
                while (world.Workers.Count < target) world.StartWorker();
            }
        }
    }
}
