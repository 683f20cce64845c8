using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Cloud.Aws;
using Portal.Core.Clusters;
using Portal.Core.Costs.Prices;
using Portal.Core.Costs.Storage;
using Portal.Core.Endpoints.Rendering;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;

namespace Portal.Core.Costs.Metering;

/// <summary>What one metering run did: the hours it wrote, the lines per hour, and what it could not meter (with why).</summary>
public sealed record MeteringRun(IReadOnlyList<DateTimeOffset> Hours, int Lines, IReadOnlyList<string> Skipped)
{
    public static MeteringRun Empty { get; } = new([], 0, []);
}

/// <summary>
/// The I/O around <see cref="CostMeter"/>: observes every managed cluster once (EKS DescribeCluster and
/// DescribeNodegroup through the environment's assumed role: node counts, instance and capacity types, disk sizes,
/// control-plane version), resolves each hour's prices, and stores each hour's lines, replacing whatever that hour held
/// for those clusters in one transaction. Metering an hour twice therefore gives the same rows; after downtime the
/// missed hours (<see cref="MeteringWindow"/>) are metered from the state observed now.
/// </summary>
/// <remarks>
/// Observed node counts come from the cloud, not from the cluster rows: the reconciler stores each node group's status
/// and version but not its size, and the spec is what was asked for, not what ran.
/// </remarks>
public sealed class CostMetering(
    IDbContextFactory<PortalDbContext> contexts,
    EksClient eks,
    AwsSessions sessions,
    PriceTableStore prices,
    SpotPricing spot,
    CostMeter meter,
    GpuTypes gpuTypes,
    IOptions<CostOptions> options,
    IOptions<ClusterOptions> clusterOptions,
    IOptions<EnvironmentRoleHooks> roleHooks,
    TimeProvider clock,
    ILogger<CostMetering> logger)
{
    public const string ActingUser = "cost-metering";

    private sealed record Observed(Guid TeamId, ClusterHourObservation Observation, AwsSession Session, RegionPrices Prices);

    /// <summary>The hours that ended since the watermark (at most <see cref="CostOptions.MaxCatchUpHours"/>): the recurring job's call.</summary>
    public async Task<MeteringRun> MeterDueAsync(CancellationToken ct)
    {
        var last = await LastMeteredHourAsync(ct);
        var hours = MeteringWindow.HoursToMeter(last, clock.GetUtcNow(), options.Value.MaxCatchUpHours);
        return await MeterHoursAsync(hours, ct);
    }

    /// <summary>
    /// Every whole UTC hour starting in [<paramref name="from"/>, <paramref name="to"/>) that has ended, metered again
    /// from the state observed now (the operator command <c>costs meter --from --to</c>).
    /// </summary>
    public Task<MeteringRun> MeterRangeAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var hours = new List<DateTimeOffset>();
        var current = MeteringWindow.StartOfHour(clock.GetUtcNow());
        var first = MeteringWindow.StartOfHour(from);
        if (first < from) first = first.AddHours(1);
        for (var h = first; h < to && h < current; h = h.AddHours(1)) hours.Add(h);
        return MeterHoursAsync(hours, ct);
    }

    /// <summary>The start of the last metered hour, null before the first run.</summary>
    public async Task<DateTimeOffset?> LastMeteredHourAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var mark = await db.MeteringWatermarks.AsNoTracking().FirstOrDefaultAsync(w => w.Name == MeteringWatermark.Hourly, ct);
        return mark is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(mark.LastMeteredHourUnixMs);
    }

    public async Task<MeteringRun> MeterHoursAsync(IReadOnlyList<DateTimeOffset> hours, CancellationToken ct)
    {
        if (hours.Count == 0) return MeteringRun.Empty;
        var skipped = new List<string>();
        var observed = await ObserveAsync(skipped, ct);
        var lines = 0;
        foreach (var hour in hours)
        {
            var records = new List<CostLineRecord>();
            foreach (var o in observed)
            {
                var hourPrices = await HourPrices.ResolveAsync(o.Prices, spot, o.Observation, o.Session, hour, ct);
                var metered = meter.Meter(hour, o.Observation, hourPrices);
                foreach (var u in metered.Unpriced)
                    skipped.Add($"{o.Observation.Team}/{o.Observation.Cluster}/{u.NodePool}: {u.Nodes} × {u.InstanceType} not priced ({u.Reason})");
                records.AddRange(metered.Lines.Select(l => CostLineRecord.From(l, o.TeamId)));
            }
            await StoreHourAsync(hour, observed.Select(o => o.Observation.ClusterId).ToList(), records, ct);
            lines += records.Count;
        }
        logger.LogInformation("Metered {Hours} hour(s) from {First:u} to {Last:u}: {Lines} line(s), {Skipped} skipped",
            hours.Count, hours[0], hours[^1], lines, skipped.Count);
        return new MeteringRun(hours, lines, skipped);
    }

    /// <summary>
    /// Replaces an hour's lines of the observed clusters and moves the watermark, in one transaction. The watermark row
    /// is written first: on PostgreSQL its row lock makes two workers metering the same hour take turns, so the second
    /// replaces the first's rows instead of adding to them.
    /// </summary>
    private async Task StoreHourAsync(DateTimeOffset hour, IReadOnlyList<Guid> clusterIds, List<CostLineRecord> records, CancellationToken ct)
    {
        var hourMs = hour.ToUnixTimeMilliseconds();
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            try
            {
                var now = clock.GetUtcNow();
                var moved = await db.MeteringWatermarks.Where(w => w.Name == MeteringWatermark.Hourly)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(w => w.LastMeteredHourUnixMs, w => w.LastMeteredHourUnixMs > hourMs ? w.LastMeteredHourUnixMs : hourMs)
                        .SetProperty(w => w.UpdatedAt, now), ct);
                if (moved == 0)
                {
                    db.MeteringWatermarks.Add(new MeteringWatermark { Name = MeteringWatermark.Hourly, LastMeteredHourUnixMs = hourMs, UpdatedAt = now });
                    await db.SaveChangesAsync(ct);
                }
                await db.CostLines.Where(l => l.HourUnixMs == hourMs && clusterIds.Contains(l.ClusterId)).ExecuteDeleteAsync(ct);
                db.CostLines.AddRange(records.Select(r => Copy(r)));
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return;
            }
            catch (DbUpdateException e) when (SaveChangesExtensions.IsUniqueViolation(e) && attempt < 3)
            {
                // Two first runs created the watermark at once; the loser updates it instead.
            }
        }
    }

    private static CostLineRecord Copy(CostLineRecord r) => new()
    {
        HourUnixMs = r.HourUnixMs, TeamId = r.TeamId, Team = r.Team, Environment = r.Environment, ClusterId = r.ClusterId, Cluster = r.Cluster,
        NodePool = r.NodePool, Endpoint = r.Endpoint, Category = r.Category, InstanceType = r.InstanceType, CapacityType = r.CapacityType,
        Quantity = r.Quantity, Unit = r.Unit, Amount = r.Amount, Currency = r.Currency, PriceSource = r.PriceSource, PriceAsOf = r.PriceAsOf,
        Estimated = r.Estimated,
    };

    /// <summary>Every managed cluster that exists in its account, as described now. A cluster that cannot be read is skipped and reported.</summary>
    private async Task<List<Observed>> ObserveAsync(List<string> skipped, CancellationToken ct)
    {
        var book = await prices.LoadBookAsync(ct);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var clusters = await db.Clusters.AsNoTracking().Include(c => c.NodePools)
            .Where(c => c.Kind == ClusterKind.Managed && c.EksArn != null)
            .OrderBy(c => c.Id)
            .ToListAsync(ct);
        var environments = await db.Environments.AsNoTracking().ToDictionaryAsync(e => e.Id, ct);
        var teams = await db.Teams.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Slug, ct);
        var result = new List<Observed>();
        foreach (var cluster in clusters)
        {
            var environment = environments[cluster.EnvironmentId];
            var name = $"{teams[cluster.TeamId]}/{cluster.Name}";
            if (!book.TryGetRegion(environment.Region, out var regionPrices))
            {
                skipped.Add($"{name}: {PriceBook.MissingTable(environment.Region)}");
                continue;
            }
            try
            {
                // As the reconcilers do: in the embedded mode the hook registers the role with the in-process emulator,
                // which a fresh process (the `costs meter` command, a restarted portal) has not done yet.
                await roleHooks.Value.BeforeAssumeRoleAsync(environment, ct);
                var session = await sessions.AssumeAsync(environment.ProvisionerRoleArn, environment.ExternalId, environment.Region, ActingUser, ct);
                var described = await eks.TryDescribeClusterAsync(session, cluster.EksName, ct);
                if (described is null) continue; // gone from the account: nothing runs, nothing to bill
                var pools = new List<NodePoolObservation>();
                foreach (var groupName in await eks.ListAllNodegroupsAsync(session, cluster.EksName, ct))
                {
                    if (await eks.TryDescribeNodegroupAsync(session, cluster.EksName, groupName, ct) is not { } group) continue;
                    pools.Add(ObservePool(group, cluster.NodePools.FirstOrDefault(p => p.Name == groupName)));
                }
                var version = described.Version ?? cluster.CurrentVersion ?? cluster.KubernetesVersion;
                result.Add(new Observed(cluster.TeamId, new ClusterHourObservation(
                    cluster.Id, cluster.Name, teams[cluster.TeamId], environment.Name, environment.Region, version, SupportOf(version),
                    pools, await EndpointGpuClaimsAsync(db, cluster, ct)), session, regionPrices));
            }
            catch (Exception e) when (e is AwsServiceException or HttpRequestException or Amazon.Runtime.AmazonServiceException)
            {
                logger.LogWarning(e, "Could not observe cluster {Cluster} for metering", name);
                skipped.Add($"{name}: not observed ({e.Message})");
            }
        }
        return result;
    }

    /// <summary>
    /// A node group's nodes as EKS reports them: its desired size (what the group's auto scaling group runs), of its
    /// first instance type (EKS does not report the mix of a multi-type group) and capacity type.
    /// </summary>
    private static NodePoolObservation ObservePool(EksNodegroup group, NodePool? spec)
    {
        var nodes = group.Status == EksNodegroupStatus.CreateFailed ? 0 : group.ScalingConfig?.DesiredSize ?? 0;
        var type = group.InstanceTypes?.FirstOrDefault() ?? spec?.InstanceTypes.FirstOrDefault();
        var capacity = group.CapacityType == EksCapacityTypes.Spot ? CapacityType.Spot : CapacityType.OnDemand;
        var counts = nodes > 0 && type is not null ? new List<NodeCount> { new(type, capacity, nodes) } : [];
        return new NodePoolObservation(group.NodegroupName, counts, group.DiskSize ?? spec?.DiskSizeGiB ?? NodePool.DefaultDiskSizeGiB);
    }

    /// <summary>
    /// Extended support is billed once a version has left standard support. The portal's offered versions
    /// (<c>Clusters:KubernetesVersions</c>) are those in standard support, so a control plane older than all of them is in extended support.
    /// </summary>
    private ControlPlaneSupport SupportOf(string version)
    {
        var offered = clusterOptions.Value.KubernetesVersions.Select(v => KubernetesVersion.TryParse(v, out var k) ? k : (KubernetesVersion?)null)
            .Where(v => v is not null).Select(v => v!.Value).ToList();
        return offered.Count > 0 && KubernetesVersion.TryParse(version, out var observed) && observed < offered.Min()
            ? ControlPlaneSupport.Extended
            : ControlPlaneSupport.Standard;
    }

    /// <summary>
    /// The GPUs each inference endpoint of the cluster requests on its pool (desired replicas × GPUs per replica): the
    /// share of a GPU pool's cost each endpoint pays. Endpoints place their replicas on the pool named after their GPU
    /// type (GpuCapacity.PoolName); what no endpoint requests stays idle.
    /// </summary>
    private async Task<IReadOnlyList<EndpointGpuClaim>> EndpointGpuClaimsAsync(PortalDbContext db, Cluster cluster, CancellationToken ct)
    {
        var endpoints = await db.InferenceEndpoints.AsNoTracking()
            .Where(e => e.ClusterId == cluster.Id && e.DesiredReplicas > 0)
            .Select(e => new { e.Name, e.Spec, e.DesiredReplicas })
            .ToListAsync(ct);
        return [.. endpoints
            .Where(e => gpuTypes.Find(e.Spec.Gpu.Type) is not null)
            .Select(e => new EndpointGpuClaim(e.Name, GpuCapacity.PoolName(gpuTypes.Find(e.Spec.Gpu.Type)!), e.DesiredReplicas * e.Spec.Gpu.Count))];
    }
}
