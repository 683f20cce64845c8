using System.Diagnostics;
using Portal.Emulator.Shared;
using Portal.Reliability.Tests.Infrastructure;
using Portal.Testing;
using Xunit.Abstractions;

namespace Portal.Reliability.Tests;

/// <summary>
/// R2: the emulator fails about one AWS and Kubernetes call in five (throttling and 5xx, on every service and
/// operation) while two workers provision: everything still converges, and the emulator's timestamps show retries
/// spaced out by backoff rather than hammering.
/// </summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", "Reliability")]
public sealed class CloudFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ClientRetryBase = TimeSpan.FromMilliseconds(60);
    private static readonly TimeSpan ReconcilerBackoffBase = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task OneCallInFiveFailing_EverythingConverges_AndRetriesBackOff()
    {
        var seed = SuiteSettings.Seed();
        var (rounds, parallel) = SuiteSettings.Long ? (8, 4) : (2, 2);
        output.WriteLine($"R2 ({SuiteSettings.Version}): seed {seed}, {rounds} rounds");
        var clock = Stopwatch.StartNew();

        await using var world = await ReliabilityWorld.CreateAsync(seed, new Dictionary<string, string>
        {
            ["Cloud:RetryBaseDelay"] = $"{ClientRetryBase:c}",
            ["Cloud:RetryMaxDelay"] = "00:00:00.500",
            ["Reconciliation:BaseBackoff"] = $"{ReconcilerBackoffBase:c}",
            ["Reconciliation:MaxBackoff"] = "00:00:02",
        });
        output.WriteLine($"Worker logs: {world.LogDirectory}");
        world.StartWorker();
        world.StartWorker();
        // 10% throttled, then 11% of the rest a 5xx: one call in five fails, on every service and operation. A sample
        // makes only ~25 EKS writes, so chance alone leaves none faulted about one run in twenty (CI saw it); the first
        // CreateNodegroup fails for certain, so there is always an EKS write whose retry spacing is measured.
        world.Emulator.Faults.Add(new FaultRule("eks", "CreateNodegroup", FaultKind.ServerError, RemainingCalls: 1, StatusCode: 503));
        world.Emulator.Faults.Add(new FaultRule("*", "*", FaultKind.Throttle, Rate: 0.10));
        world.Emulator.Faults.Add(new FaultRule("*", "*", FaultKind.ServerError, Rate: 0.111, StatusCode: 503));

        var scenario = new ProvisioningScenario(world, SuiteSettings.Patience);
        await scenario.RunAsync($"f{seed % 1000:D3}-", rounds, parallel, CancellationToken.None);
        world.Emulator.Faults.Clear();

        var calls = world.Emulator.Calls.All;
        var faulted = AfterTheStorm.Faulted(calls);
        var gaps = AfterTheStorm.RetryGaps(calls);
        var eks = gaps.Where(g => g.Service == "eks").Select(g => g.Gap).ToList();
        var kubernetes = gaps.Where(g => g.Service == "kubernetes").Select(g => g.Gap).ToList();
        output.WriteLine($"runs {scenario.Runs}, calls {calls.Count}, faulted {faulted} ({100.0 * faulted / calls.Count:F1}%), retried writes eks {eks.Count} kubernetes {kubernetes.Count}; " +
                         $"eks gap min {Min(eks)} median {AfterTheStorm.Percentile(eks, 0.5)}; kubernetes gap min {Min(kubernetes)} median {AfterTheStorm.Percentile(kubernetes, 0.5)}");

        Assert.InRange(100.0 * faulted / calls.Count, 12, 30);
        Assert.NotEmpty(eks);
        Assert.NotEmpty(kubernetes);
        // The EKS client retries a throttled write after at least half its base delay (equal jitter), and EKS writes of
        // one cluster come from its reconciler alone: every retry is spaced, none is immediate.
        Assert.All(eks, gap => Assert.True(gap >= ClientRetryBase / 2 - TimeSpan.FromMilliseconds(5), $"An EKS write was retried {gap.TotalMilliseconds:F0} ms after its fault."));
        // Kubernetes writes are retried inside the client too (KubernetesRetryHandler: Retry-After, else the same backoff).
        // The median, because two reconcilers may touch a shared object (a namespace) independently.
        Assert.True(AfterTheStorm.Percentile(kubernetes, 0.5) >= ClientRetryBase / 2,
            $"Kubernetes writes were retried after a median of {AfterTheStorm.Percentile(kubernetes, 0.5).TotalMilliseconds:F0} ms.");

        await AfterTheStorm.WaitForNoLeasesAsync(world, SuiteSettings.Settle);
        await AfterTheStorm.WaitForNoStuckJobsAsync(world, SuiteSettings.Settle, queueing: TimeSpan.FromSeconds(15));
        var duplicates = AfterTheStorm.Duplicates(world.Emulator.Calls, strictCalls: false);
        Assert.True(duplicates.Count == 0, $"{duplicates.Count} thing(s) created twice:\n  {string.Join("\n  ", duplicates)}");

        ReliabilityReport.Write("R2", $"""
            Two workers provision the same rounds as R1 while the emulator answers every service and operation (STS, EKS,
            Kubernetes) with throttling (10%) or 503 (11% of the rest), and the first CreateNodegroup with a 503 for certain (so an
            EKS write's retry is always measured). Everything converges; nothing is created twice; the gap
            between a faulted write and the next call on the same object (EKS cluster/node group, Kubernetes object) comes from
            the emulator's timestamps: EKS retries never sooner than half the client's base delay ({ClientRetryBase.TotalMilliseconds:F0} ms),
            Kubernetes retries (inside the client, honouring Retry-After) at a median of at least half that base delay.

            {ReliabilityReport.Table(["version", "seed", "runs", "emulator calls", "faults injected", "retried writes (EKS / Kubernetes)", "EKS retry gap min / median", "Kubernetes retry gap min / median", "duplicates", "max convergence", "wall time"],
                [[SuiteSettings.Version, seed, scenario.Runs, calls.Count, $"{faulted} ({100.0 * faulted / calls.Count:F1}%)", $"{eks.Count} / {kubernetes.Count}",
                  $"{Min(eks).TotalMilliseconds:F0} / {AfterTheStorm.Percentile(eks, 0.5).TotalMilliseconds:F0} ms",
                  $"{Min(kubernetes).TotalMilliseconds:F0} / {AfterTheStorm.Percentile(kubernetes, 0.5).TotalMilliseconds:F0} ms",
                  duplicates.Count, $"{scenario.MaxConvergence.TotalSeconds:F1} s", $"{clock.Elapsed.TotalSeconds:F0} s"]])}
            """);
    }

    private static TimeSpan Min(List<TimeSpan> values) => values.Count == 0 ? TimeSpan.Zero : values.Min();
}
