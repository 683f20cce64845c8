using Portal.Core.Catalog;
using Portal.Core.Clusters;
using Portal.Core.Costs;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Prices;
using Portal.Core.Environments;

namespace Portal.Core.Tests.Costs;

public sealed class CostMeterTests
{
    internal static readonly InstanceTypeCatalog Catalog = new();
    internal static readonly RegionPrices UsEast1 = new PriceBook(Catalog).ForRegion("us-east-1");
    private static readonly CostMeter Meter = new(Catalog);
    // November: 30 days, so one hour of EBS is 1/720 of its monthly price.
    private static readonly DateTimeOffset Hour = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private static readonly Guid ClusterId = Guid.Parse("3f2b8c1e-0000-4000-8000-000000000001");

    private static readonly Price SpotM5XLarge = new(Money.UsdOf(0.0768m), PriceUnit.Hour, new PriceSource("test spot", new DateOnly(2026, 11, 24)), Estimated: true);

    internal static HourPrices PricesFor(ClusterHourObservation cluster, Func<string, Price?>? spot = null)
    {
        var instances = new Dictionary<(string, CapacityType), Price>();
        foreach (var group in cluster.NodePools.SelectMany(p => p.Nodes))
        {
            var price = group.CapacityType == CapacityType.Spot ? spot?.Invoke(group.InstanceType) : UsEast1.OnDemandHourly(group.InstanceType);
            if (price is not null) instances[(group.InstanceType, group.CapacityType)] = price;
        }
        return new HourPrices(UsEast1.ControlPlaneHourly(ControlPlaneSupport.Standard), UsEast1.ControlPlaneHourly(ControlPlaneSupport.Extended),
            UsEast1.EbsGp3PerGbMonth(), instances);
    }

    private static ClusterHourObservation MlDev(IReadOnlyList<EndpointGpuClaim>? endpoints = null, ControlPlaneSupport support = ControlPlaneSupport.Standard,
        int gpuNodes = 2) => new(
        ClusterId, "ml-dev", "ml", EnvironmentName.Dev, "us-east-1", "1.33", support,
        [
            new NodePoolObservation("general", [new NodeCount("m5.large", CapacityType.OnDemand, 3)], 20),
            new NodePoolObservation("spot", [new NodeCount("m5.xlarge", CapacityType.Spot, 2)], 50),
            new NodePoolObservation("gpu", [new NodeCount("g5.12xlarge", CapacityType.OnDemand, gpuNodes)], 100),
        ],
        endpoints ?? [new EndpointGpuClaim("llm", "gpu", 3), new EndpointGpuClaim("ranker", "gpu", 1)]);

    private static MeteredHour MeterMlDev(ClusterHourObservation cluster) => Meter.Meter(Hour, cluster, PricesFor(cluster, t => t == "m5.xlarge" ? SpotM5XLarge : null));

    [Fact]
    public void AnHour_IsPricedLineByLine_ControlPlaneNodesAndDisks()
    {
        var hour = MeterMlDev(MlDev());

        var controlPlane = hour.Lines.Single(l => l.Category == CostCategory.ControlPlane);
        Assert.Equal(0.10m, controlPlane.Amount.Amount);
        Assert.Null(controlPlane.NodePool);
        Assert.Equal(PublishedPrices.EksControlPlane, controlPlane.Source);

        var general = hour.Lines.Single(l => l.NodePool == "general" && l.Category == CostCategory.Compute);
        Assert.Equal((3m, CostMeter.NodeHours, 0.288m), (general.Quantity, general.Unit, general.Amount.Amount));
        Assert.Equal(("ml", EnvironmentName.Dev, "ml-dev", "m5.large", CapacityType.OnDemand), (general.Team, general.Environment, general.Cluster, general.InstanceType, general.CapacityType));

        var spot = hour.Lines.Single(l => l.NodePool == "spot" && l.Category == CostCategory.Compute);
        Assert.Equal(0.1536m, spot.Amount.Amount);
        Assert.True(spot.Estimated);

        var disks = hour.Lines.Where(l => l.Category == CostCategory.Storage).ToDictionary(l => l.NodePool!);
        Assert.Equal(60m, disks["general"].Quantity);
        Assert.Equal(0.0066666667m, disks["general"].Amount.Amount);
        Assert.Equal(200m, disks["gpu"].Quantity);
        Assert.Empty(hour.Unpriced);
    }

    [Fact]
    public void TwoEndpointsSharingAGpuPool_PayInProportionToGpusRequested_AndTheRestIsIdle()
    {
        // 2 × g5.12xlarge = 8 GPUs for 11.344 USD; llm asks 3, ranker 1, 4 are unclaimed.
        var hour = MeterMlDev(MlDev());

        var gpu = hour.Lines.Where(l => l.NodePool == "gpu" && l.Category != CostCategory.Storage).ToList();
        Assert.DoesNotContain(gpu, l => l.Category == CostCategory.Compute);
        var llm = gpu.Single(l => l.Endpoint == "llm");
        var ranker = gpu.Single(l => l.Endpoint == "ranker");
        var idle = gpu.Single(l => l.Category == CostCategory.Idle);
        Assert.Equal(4.254m, llm.Amount.Amount);
        Assert.Equal(1.418m, ranker.Amount.Amount);
        Assert.Equal(5.672m, idle.Amount.Amount);
        Assert.Equal((3m, CostMeter.GpuHours), (llm.Quantity, llm.Unit));
        Assert.Equal(4m, idle.Quantity);
        Assert.Null(idle.Endpoint);
        Assert.Equal(3m * ranker.Amount.Amount, llm.Amount.Amount);
        Assert.Equal(2 * 5.672m, gpu.Sum(l => l.Amount.Amount));
    }

    [Fact]
    public void EndpointsAskingForMoreGpusThanThePoolHas_ShareTheWholeCost_WithNoIdle()
    {
        var hour = MeterMlDev(MlDev([new EndpointGpuClaim("a", "gpu", 6), new EndpointGpuClaim("b", "gpu", 4)]));

        var gpu = hour.Lines.Where(l => l.NodePool == "gpu" && l.Category != CostCategory.Storage).ToList();
        Assert.Equal(6.8064m, gpu.Single(l => l.Endpoint == "a").Amount.Amount);
        Assert.Equal(4.5376m, gpu.Single(l => l.Endpoint == "b").Amount.Amount);
        Assert.DoesNotContain(gpu, l => l.Category == CostCategory.Idle);
    }

    [Fact]
    public void AGpuPoolNobodyClaims_IsAllIdle_NotHidden()
    {
        var hour = MeterMlDev(MlDev([new EndpointGpuClaim("elsewhere", "no-such-pool", 2)]));

        var idle = hour.Lines.Single(l => l.Category == CostCategory.Idle);
        Assert.Equal(11.344m, idle.Amount.Amount);
        Assert.Equal(8m, idle.Quantity);
        Assert.DoesNotContain(hour.Lines, l => l.Category == CostCategory.Endpoint);
    }

    [Fact]
    public void ClaimsOfOneEndpointOnOnePool_AreAddedUp()
    {
        var hour = MeterMlDev(MlDev([new EndpointGpuClaim("llm", "gpu", 2), new EndpointGpuClaim("llm", "gpu", 2)]));

        var llm = hour.Lines.Single(l => l.Endpoint == "llm");
        Assert.Equal(4m, llm.Quantity);
        Assert.Equal(5.672m, llm.Amount.Amount);
    }

    [Fact]
    public void ExtendedSupport_CostsSixtyCentsAnHour()
    {
        var hour = MeterMlDev(MlDev(support: ControlPlaneSupport.Extended));

        Assert.Equal(0.60m, hour.Lines.Single(l => l.Category == CostCategory.ControlPlane).Amount.Amount);
    }

    [Fact]
    public void AHibernatedPool_CostsNothing()
    {
        var hour = MeterMlDev(MlDev(gpuNodes: 0));

        Assert.DoesNotContain(hour.Lines, l => l.NodePool == "gpu");
    }

    [Fact]
    public void UnpricedNodes_AreReported_NotGuessed_AndTheRestIsStillMetered()
    {
        var cluster = MlDev();
        var hour = Meter.Meter(Hour, cluster, PricesFor(cluster, spot: _ => null));

        var unpriced = Assert.Single(hour.Unpriced);
        Assert.Equal(("spot", "m5.xlarge", CapacityType.Spot, 2), (unpriced.NodePool, unpriced.InstanceType, unpriced.CapacityType, unpriced.Nodes));
        Assert.DoesNotContain(hour.Lines, l => l.NodePool == "spot" && l.Category == CostCategory.Compute);
        // The disks exist whatever the nodes cost.
        Assert.Contains(hour.Lines, l => l.NodePool == "spot" && l.Category == CostCategory.Storage);
    }

    [Fact]
    public async Task HourPrices_ResolveOnDemandFromTheTable_AndSpotWithoutASession_AsAnEstimate()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new CostOptions());
        var spot = new SpotPricing(new Ec2SpotPriceSource(options), options, Microsoft.Extensions.Logging.Abstractions.NullLogger<SpotPricing>.Instance);
        var cluster = MlDev();

        var prices = await HourPrices.ResolveAsync(UsEast1, spot, cluster, session: null, Hour);
        var hour = Meter.Meter(Hour, cluster, prices);

        Assert.Equal(0.096m, prices.Instances[("m5.large", CapacityType.OnDemand)].Amount.Amount);
        var spotPrice = prices.Instances[("m5.xlarge", CapacityType.Spot)];
        Assert.True(spotPrice.Estimated);
        Assert.Equal(0.192m * 0.4m, spotPrice.Amount.Amount);
        Assert.True(hour.Lines.Single(l => l.NodePool == "spot" && l.Category == CostCategory.Compute).Estimated);
        Assert.Empty(hour.Unpriced);
    }

    [Fact]
    public void MeteringAnHourTwice_GivesTheSameRows()
    {
        var first = MeterMlDev(MlDev());
        var second = MeterMlDev(MlDev());

        Assert.Equal(first.Lines, second.Lines);
        Assert.Equal(first.Total, second.Total);
    }

    [Fact]
    public void OnlyWholeUtcHours_CanBeMetered()
    {
        var cluster = MlDev();
        Assert.Throws<ArgumentException>(() => Meter.Meter(Hour.AddMinutes(30), cluster, PricesFor(cluster)));
        Assert.Throws<ArgumentException>(() => Meter.Meter(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.FromHours(1)), cluster, PricesFor(cluster)));
    }

    [Fact]
    public void Rollup_ByEndpoint_KeepsIdleAndNonEndpointCostsVisible_AndEveryGroupingHasTheSameTotal()
    {
        var lines = MeterMlDev(MlDev()).Lines;

        var byEndpoint = CostRollup.Rollup(lines, CostGrouping.Endpoint);

        Assert.Equal(["ml/ml-dev/(idle)", "ml/ml-dev/(not an endpoint)", "ml/ml-dev/llm", "ml/ml-dev/ranker"], byEndpoint.Select(g => g.Key));
        Assert.Equal(5.672m, byEndpoint.Single(g => g.Key.EndsWith("(idle)")).IdleAmount);
        var total = Money.Sum(lines.Select(l => l.Amount));
        foreach (var grouping in Enum.GetValues<CostGrouping>())
        {
            var groups = CostRollup.Rollup(lines, grouping);
            Assert.Equal(total, Money.Sum(groups.Select(g => g.Total)));
            Assert.Equal(total.Cents, groups.Sum(g => g.Cents));
        }
    }
}
