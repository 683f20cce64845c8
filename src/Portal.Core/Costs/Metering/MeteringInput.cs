using Portal.Core.Clusters;
using Portal.Core.Costs.Prices;
using Portal.Core.Environments;

namespace Portal.Core.Costs.Metering;

/// <summary>
/// What one cluster ran during one hour, as the cloud reported it (describe cluster / node groups), not as the spec
/// asked: the metering job builds this from observed state.
/// </summary>
public sealed record ClusterHourObservation(
    Guid ClusterId,
    string Cluster,
    string Team,
    EnvironmentName Environment,
    string Region,
    string KubernetesVersion,
    ControlPlaneSupport Support,
    IReadOnlyList<NodePoolObservation> NodePools,
    IReadOnlyList<EndpointGpuClaim> Endpoints);

/// <summary>One node pool: its nodes grouped by instance and capacity type, and the root volume of each node.</summary>
public sealed record NodePoolObservation(string Name, IReadOnlyList<NodeCount> Nodes, int DiskSizeGiB);

public sealed record NodeCount(string InstanceType, CapacityType CapacityType, int Count);

/// <summary>An inference endpoint's GPUs requested on a pool (replicas × GPUs per replica) during the hour.</summary>
public sealed record EndpointGpuClaim(string Endpoint, string NodePool, int GpusRequested);

/// <summary>
/// The prices for one region and hour, resolved before metering (spot lookups are I/O) so the meter stays pure.
/// </summary>
public sealed record HourPrices(
    Price ControlPlaneStandard,
    Price ControlPlaneExtended,
    Price EbsGp3PerGbMonth,
    IReadOnlyDictionary<(string InstanceType, CapacityType Capacity), Price> Instances)
{
    /// <summary>Resolves every price the observation needs: on-demand from the table, spot through <paramref name="spot"/>.</summary>
    public static async Task<HourPrices> ResolveAsync(RegionPrices prices, SpotPricing spot, ClusterHourObservation observation,
        Cloud.Aws.AwsSession? session, DateTimeOffset hour, CancellationToken ct = default)
    {
        var instances = new Dictionary<(string, CapacityType), Price>();
        foreach (var (type, capacity) in observation.NodePools.SelectMany(p => p.Nodes).Select(n => (n.InstanceType, n.CapacityType)).Distinct())
        {
            var price = capacity == CapacityType.Spot
                ? await spot.HourlyAsync(prices, type, session, hour, ct)
                : prices.OnDemandHourly(type);
            if (price is not null) instances[(type, capacity)] = price;
        }
        return new HourPrices(prices.ControlPlaneHourly(ControlPlaneSupport.Standard), prices.ControlPlaneHourly(ControlPlaneSupport.Extended),
            prices.EbsGp3PerGbMonth(), instances);
    }
}
