using Portal.Core.Clusters;
using Portal.Core.Costs.Prices;
using Portal.Core.Environments;

namespace Portal.Core.Costs.Metering;

public enum CostCategory
{
    /// <summary>The EKS fee of the cluster.</summary>
    ControlPlane = 0,
    /// <summary>Node-hours of a pool, attributed to the pool.</summary>
    Compute = 1,
    /// <summary>GPU node-hours attributed to an inference endpoint by its share of the pool's GPUs.</summary>
    Endpoint = 2,
    /// <summary>GPU node-hours no endpoint requested: paid for, unused. Shown, never spread over the endpoints.</summary>
    Idle = 3,
    /// <summary>The nodes' EBS gp3 root volumes.</summary>
    Storage = 4,
}

/// <summary>
/// One priced fact of one hour: who it belongs to (team / environment / cluster / pool / endpoint), what it is, how
/// much of it (<paramref name="Quantity"/> in <paramref name="Unit"/>: node-hours, GPU-hours, GiB-hours, cluster-hours)
/// and what it cost, exactly (never rounded here), with the source of the price.
/// </summary>
public sealed record CostLine(
    DateTimeOffset Hour,
    string Team,
    EnvironmentName Environment,
    Guid ClusterId,
    string Cluster,
    string? NodePool,
    string? Endpoint,
    CostCategory Category,
    string? InstanceType,
    CapacityType? CapacityType,
    decimal Quantity,
    string Unit,
    Money Amount,
    PriceSource Source,
    bool Estimated);

/// <summary>A node group the meter could not price (no table entry): left out of the lines and reported, not guessed.</summary>
public sealed record UnpricedUsage(string NodePool, string InstanceType, CapacityType CapacityType, int Nodes, string Reason);

public sealed record MeteredHour(DateTimeOffset Hour, IReadOnlyList<CostLine> Lines, IReadOnlyList<UnpricedUsage> Unpriced)
{
    public Money Total => Money.Sum(Lines.Select(l => l.Amount));
}
