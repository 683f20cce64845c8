using CsCheck;
using Portal.Core.Clusters;
using Portal.Core.Costs;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Prices;
using Portal.Core.Environments;

namespace Portal.Core.Tests.Costs;

/// <summary>
/// Random clusters, pools, spot prices and endpoint claims (CsCheck, which also shrinks a failure to a small case):
/// the invariants that make "down to the last penny" true hold for all of them.
/// </summary>
public sealed class CostPropertyTests
{
    private static readonly string[] Types = ["m5.large", "c5.large", "r5.xlarge", "g4dn.xlarge", "g5.xlarge", "g5.12xlarge", "p4d.24xlarge"];
    private static readonly string[] Teams = ["ml", "data", "search"];
    private static readonly CostMeter Meter = new(CostMeterTests.Catalog);

    private static readonly Gen<NodeCount> GenNodes =
        Gen.Select(Gen.OneOf(Types), Gen.Bool, Gen.Int[0, 12], (t, spot, n) => new NodeCount(t, spot ? CapacityType.Spot : CapacityType.OnDemand, n));

    private static readonly Gen<NodePoolObservation> GenPool =
        Gen.Select(Gen.Int[0, 5], GenNodes.Array[1, 3], Gen.OneOf(0, 20, 50, 100, 333), (i, nodes, disk) => new NodePoolObservation($"pool{i}", nodes, disk));

    private static readonly Gen<EndpointGpuClaim> GenClaim =
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 5], Gen.Int[1, 16], (e, p, g) => new EndpointGpuClaim($"ep{e}", $"pool{p}", g));

    private static readonly Gen<ClusterHourObservation> GenCluster =
        Gen.Select(Gen.Int[0, 5], Gen.OneOf(Teams), Gen.Bool, GenPool.Array[1, 4], GenClaim.Array[0, 6],
            (c, team, extended, pools, claims) => new ClusterHourObservation(
                Guid.NewGuid(), $"c{c}", team, (EnvironmentName)(c % 3), "us-east-1", "1.33",
                extended ? ControlPlaneSupport.Extended : ControlPlaneSupport.Standard,
                // Pool names are unique within a cluster.
                pools.DistinctBy(p => p.Name).ToList(), claims));

    // Spot at a random 10-90 % of on-demand, to four decimals, as the market would quote it.
    private static readonly Gen<decimal> GenSpotFactor = Gen.Int[1000, 9000].Select(f => f / 10000m);

    private static readonly Gen<DateTimeOffset> GenHour =
        Gen.Int[0, 24 * 366].Select(h => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(h));

    private static MeteredHour MeterAt(DateTimeOffset hour, ClusterHourObservation cluster, decimal spotFactor) =>
        Meter.Meter(hour, cluster, CostMeterTests.PricesFor(cluster, t => CostMeterTests.UsEast1.OnDemandHourly(t) is { } p ? p with { Amount = p.Amount * spotFactor } : null));

    [Fact]
    public void TheLines_AddUpToWhatTheClusterRan()
    {
        Gen.Select(GenHour, GenCluster, GenSpotFactor).Sample((hour, cluster, spot) =>
        {
            var metered = MeterAt(hour, cluster, spot);

            var hoursInMonth = DateTime.DaysInMonth(hour.Year, hour.Month) * 24m;
            var expected = cluster.Support == ControlPlaneSupport.Extended ? 0.60m : 0.10m;
            foreach (var pool in cluster.NodePools)
            {
                foreach (var n in pool.Nodes)
                    expected += n.Count * CostMeterTests.UsEast1.RequireOnDemandHourly(n.InstanceType).Amount.Amount * (n.CapacityType == CapacityType.Spot ? spot : 1m);
                // Storage is the one division: a month's price spread over its hours, held to Money.LineScale places.
                expected += Math.Round(pool.Nodes.Sum(n => n.Count) * pool.DiskSizeGiB * 0.08m / hoursInMonth, Money.LineScale, MidpointRounding.ToEven);
            }
            Assert.Equal(expected, metered.Total.Amount);
        });
    }

    [Fact]
    public void AGpuPoolsCost_IsExactlySplitIntoEndpointsAndIdle_InProportionToGpusRequested()
    {
        Gen.Select(GenHour, GenCluster, GenSpotFactor).Sample((hour, cluster, spot) =>
        {
            var metered = MeterAt(hour, cluster, spot);

            foreach (var pool in cluster.NodePools)
            {
                var gpuNodes = pool.Nodes.Where(n => CostMeterTests.Catalog.Find(n.InstanceType)!.GpuCount > 0 && n.Count > 0).ToList();
                var gpuCost = gpuNodes.Sum(n => n.Count * CostMeterTests.UsEast1.RequireOnDemandHourly(n.InstanceType).Amount.Amount * (n.CapacityType == CapacityType.Spot ? spot : 1m));
                var shares = metered.Lines.Where(l => l.NodePool == pool.Name && l.Category is CostCategory.Endpoint or CostCategory.Idle).ToList();
                Assert.Equal(gpuCost, shares.Sum(l => l.Amount.Amount));
                if (gpuNodes.Count == 0) Assert.Empty(shares);

                var endpoints = shares.Where(l => l.Category == CostCategory.Endpoint).ToList();
                for (var i = 1; i < endpoints.Count; i++)
                {
                    // cost(a) / gpus(a) == cost(b) / gpus(b), compared without dividing.
                    var (a, b) = (endpoints[0], endpoints[i]);
                    Assert.True(Math.Abs(a.Amount.Amount * b.Quantity - b.Amount.Amount * a.Quantity) < 1e-8m);
                }
                Assert.True(shares.All(l => l.Amount.Amount >= 0m));
                // Endpoints asking for at least the pool's GPUs leave nothing idle, not even a rounding speck.
                var capacity = gpuNodes.Sum(n => n.Count * CostMeterTests.Catalog.Find(n.InstanceType)!.GpuCount);
                if (capacity > 0 && cluster.Endpoints.Where(e => e.NodePool == pool.Name).Sum(e => e.GpusRequested) >= capacity)
                    Assert.DoesNotContain(shares, l => l.Category == CostCategory.Idle);
            }
        });
    }

    [Fact]
    public void PerTeam_TheTotalEqualsTheSumOfItsParts_ToTheCent_InEveryGrouping()
    {
        Gen.Select(GenHour, GenCluster.Array[1, 5], GenSpotFactor).Sample((hour, clusters, spot) =>
        {
            var lines = clusters.SelectMany(c => MeterAt(hour, c, spot).Lines).ToList();

            foreach (var team in lines.GroupBy(l => l.Team))
            {
                var total = Money.Sum(team.Select(l => l.Amount));
                foreach (var grouping in new[] { CostGrouping.Environment, CostGrouping.Cluster, CostGrouping.NodePool, CostGrouping.Endpoint })
                {
                    var parts = CostRollup.Rollup(team, grouping);
                    Assert.Equal(total.Amount, parts.Sum(p => p.Total.Amount));
                    Assert.Equal(total.Cents, parts.Sum(p => p.Cents));
                    // No part is moved by more than a cent by the rounding.
                    Assert.All(parts, p => Assert.True(Math.Abs(p.Cents - p.Total.Amount) < 0.01m));
                }
            }
        });
    }

    [Fact]
    public void MeteringIsDeterministic_ForAnyInput()
    {
        Gen.Select(GenHour, GenCluster, GenSpotFactor).Sample((hour, cluster, spot) =>
            Assert.Equal(MeterAt(hour, cluster, spot).Lines, MeterAt(hour, cluster, spot).Lines));
    }
}
