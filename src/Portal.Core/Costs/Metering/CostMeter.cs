using Portal.Core.Catalog;
using Portal.Core.Clusters;

namespace Portal.Core.Costs.Metering;

/// <summary>
/// The metering math: one cluster's observed hour and that hour's prices in, priced lines out. Pure and
/// deterministic (same input, same lines in the same order), so re-metering an hour replaces it with identical rows.
/// </summary>
public sealed class CostMeter(InstanceTypeCatalog catalog)
{
    public const string ClusterHours = "cluster-hours";
    public const string NodeHours = "node-hours";
    public const string GpuHours = "gpu-hours";
    public const string GibHours = "GiB-hours";

    public MeteredHour Meter(DateTimeOffset hour, ClusterHourObservation cluster, HourPrices prices)
    {
        if (hour.Offset != TimeSpan.Zero || hour.Ticks % TimeSpan.TicksPerHour != 0)
            throw new ArgumentException("An hour to meter must be a whole UTC hour.", nameof(hour));

        var lines = new List<CostLine>();
        var unpriced = new List<UnpricedUsage>();

        CostLine Line(string? pool, string? endpoint, CostCategory category, string? type, CapacityType? capacity, decimal quantity, string unit,
            Money amount, Prices.Price price) =>
            new(hour, cluster.Team, cluster.Environment, cluster.ClusterId, cluster.Cluster, pool, endpoint, category, type, capacity,
                quantity, unit, amount, price.Source, price.Estimated);

        var controlPlane = cluster.Support == Prices.ControlPlaneSupport.Extended ? prices.ControlPlaneExtended : prices.ControlPlaneStandard;
        lines.Add(Line(null, null, CostCategory.ControlPlane, null, null, 1m, ClusterHours, controlPlane.Amount, controlPlane));

        // EBS is billed per GB-month, prorated: one hour is 1/(days in this month × 24) of a month.
        var hoursInMonth = DateTime.DaysInMonth(hour.Year, hour.Month) * 24m;

        foreach (var pool in cluster.NodePools)
        {
            var gpuCost = Money.Zero(controlPlane.Amount.Currency);
            var gpuCapacity = 0;
            var gpuTypes = new HashSet<string>(StringComparer.Ordinal);
            Prices.Price? gpuPrice = null;
            foreach (var group in pool.Nodes.Where(n => n.Count > 0))
            {
                if (!prices.Instances.TryGetValue((group.InstanceType, group.CapacityType), out var price))
                {
                    unpriced.Add(new UnpricedUsage(pool.Name, group.InstanceType, group.CapacityType, group.Count, "no price for this instance and capacity type in the region's table"));
                    continue;
                }
                var amount = price.Amount * group.Count;
                var gpusPerNode = catalog.Find(group.InstanceType)?.GpuCount ?? 0;
                if (gpusPerNode > 0)
                {
                    // GPU node-hours are split over the endpoints below instead of being charged to the pool.
                    gpuCost += amount;
                    gpuCapacity += gpusPerNode * group.Count;
                    gpuTypes.Add(group.InstanceType);
                    gpuPrice = gpuPrice is null || price.Estimated ? price : gpuPrice;
                }
                else
                {
                    lines.Add(Line(pool.Name, null, CostCategory.Compute, group.InstanceType, group.CapacityType, group.Count, NodeHours, amount, price));
                }
            }

            if (gpuCapacity > 0) lines.AddRange(AttributeGpus(pool, gpuCost, gpuCapacity, gpuTypes, gpuPrice!, cluster.Endpoints, Line));

            var nodes = pool.Nodes.Sum(n => Math.Max(0, n.Count));
            if (nodes > 0 && pool.DiskSizeGiB > 0)
            {
                var gibHours = (decimal)nodes * pool.DiskSizeGiB;
                var storage = prices.EbsGp3PerGbMonth;
                lines.Add(Line(pool.Name, null, CostCategory.Storage, null, null, gibHours, GibHours, (storage.Amount * gibHours / hoursInMonth).AtLineScale(), storage));
            }
        }
        return new MeteredHour(hour, lines, unpriced);
    }

    /// <summary>
    /// Splits a pool's GPU node cost by GPUs requested: endpoint e gets cost × requested(e) / max(capacity, Σ requested).
    /// When endpoints ask for less than the pool has, the rest is an Idle line; when they ask for more (pods pending),
    /// they share the whole cost by their requests and nothing is idle. Shares are held to Money.LineScale places and
    /// idle is the remainder, so the parts add up to the pool's cost exactly.
    /// </summary>
    private static IEnumerable<CostLine> AttributeGpus(NodePoolObservation pool, Money cost, int capacity, HashSet<string> types, Prices.Price price,
        IReadOnlyList<EndpointGpuClaim> endpoints,
        Func<string?, string?, CostCategory, string?, CapacityType?, decimal, string, Money, Prices.Price, CostLine> line)
    {
        var type = types.Count == 1 ? types.First() : null;
        var claims = endpoints.Where(e => e.NodePool == pool.Name && e.GpusRequested > 0)
            .GroupBy(e => e.Endpoint, StringComparer.Ordinal)
            .Select(g => (Endpoint: g.Key, Gpus: g.Sum(e => e.GpusRequested)))
            .OrderBy(c => c.Endpoint, StringComparer.Ordinal)
            .ToList();
        var requested = claims.Sum(c => c.Gpus);
        var divisor = (decimal)Math.Max(capacity, requested);
        var attributed = Money.Zero(cost.Currency);
        for (var i = 0; i < claims.Count; i++)
        {
            var (endpoint, gpus) = claims[i];
            // Over-claimed: the last endpoint takes the remainder, so held-to-scale shares leave no speck of "idle".
            var share = requested >= capacity && i == claims.Count - 1 ? cost - attributed : (cost * gpus / divisor).AtLineScale();
            attributed += share;
            yield return line(pool.Name, endpoint, CostCategory.Endpoint, type, null, gpus, GpuHours, share, price);
        }
        var idle = cost - attributed;
        if (idle.Amount != 0m || claims.Count == 0)
            yield return line(pool.Name, null, CostCategory.Idle, type, null, Math.Max(0, capacity - requested), GpuHours, idle, price);
    }
}
