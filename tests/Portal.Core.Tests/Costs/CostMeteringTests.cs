using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Access;
using Portal.Core.Cloud;
using Portal.Core.Cloud.Aws;
using Portal.Core.Clusters;
using Portal.Core.Costs.Budgets;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Storage;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Tests.Cloud.Support;
using Portal.Core.Tests.Infrastructure;
using Portal.Testing;

namespace Portal.Core.Tests.Costs;

/// <summary>
/// Metering and budgets end to end: the real metering service against the cloud emulator over HTTP (assumed roles,
/// DescribeCluster, DescribeNodegroup) and a real PostgreSQL; webhooks to a real local Kestrel receiver.
/// </summary>
public sealed class CostMeteringTests(PostgresDatabaseFixture database, CloudEmulator cloud)
    : ServiceTests(database), IClassFixture<PostgresDatabaseFixture>, IClassFixture<CloudEmulator>
{
    private const string Account = "444455556666";

    protected override void Configure(IServiceCollection services)
    {
        services.AddPortalCloud();
        services.Configure<CloudOptions>(o =>
        {
            o.EksEndpoint = cloud.Host.BaseAddress.ToString();
            o.StsEndpoint = cloud.Host.BaseAddress.ToString();
            o.AccessKeyId = cloud.Host.PrimaryAccount.AccessKeyId;
            o.SecretAccessKey = cloud.Host.PrimaryAccount.SecretAccessKey;
        });
        services.Configure<BudgetWebhookOptions>(o =>
        {
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(200);
        });
    }

    private CostMetering Metering => Get<CostMetering>();

    /// <summary>
    /// Now, on a whole hour plus ten minutes, close to the machine's clock: the emulator checks request signatures
    /// against its own clock (within the skew it allows).
    /// </summary>
    private DateTimeOffset StartClock()
    {
        var now = MeteringWindow.StartOfHour(DateTimeOffset.UtcNow).AddHours(-2).AddMinutes(10);
        Clock.SetUtcNow(now);
        return now;
    }

    /// <summary>A team with a dev environment, and a cluster in the emulated account: 2 × m5.large on demand and an unused GPU pool.</summary>
    private async Task<(PortalActor Owner, string Team, Guid ClusterId)> ArrangeClusterAsync()
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner, "cost");
        var roleName = $"provisioner-{team.Slug}";
        var roleArn = $"arn:aws:iam::{Account}:role/{roleName}";
        var environment = await Environments.RegisterAsync(owner, team.Slug, new NewEnvironment(EnvironmentName.Dev, Account, "us-east-1", roleArn, null), Ct);
        cloud.Host.RegisterRole(Account, roleName, environment.ExternalId, cloud.Host.PrimaryAccount.Id);

        var session = await Get<AwsSessions>().AssumeAsync(roleArn, environment.ExternalId, "us-east-1", "test", Ct);
        var eks = Get<EksClient>();
        var eksName = $"{team.Slug}-dev-main";
        var described = await eks.CreateClusterAsync(session, CloudServices.Cluster(eksName, version: "1.34"), Ct);
        await eks.CreateNodegroupAsync(session, eksName, CloudServices.Nodegroup("general") with
        {
            InstanceTypes = ["m5.large"], ScalingConfig = new EksScalingConfig(1, 3, 2), DiskSize = 50,
        }, Ct);
        await eks.CreateNodegroupAsync(session, eksName, CloudServices.Nodegroup("gpu") with
        {
            InstanceTypes = ["g5.xlarge"], ScalingConfig = new EksScalingConfig(0, 2, 1), DiskSize = 100, AmiType = NodePool.NvidiaAmiType,
        }, Ct);

        await using var db = Database.CreateContext();
        var cluster = new Cluster
        {
            TeamId = team.Id, EnvironmentId = environment.Id, Name = "main", EksName = eksName, KubernetesVersion = "1.34", Kind = ClusterKind.Managed,
            Phase = ClusterPhase.Ready, EksArn = described.Arn ?? $"arn:aws:eks:us-east-1:{Account}:cluster/{eksName}", Generation = 1, ObservedGeneration = 1,
        };
        db.Clusters.Add(cluster);
        await db.SaveChangesAsync(Ct);
        return (owner, team.Slug, cluster.Id);
    }

    private async Task<List<CostLineRecord>> LinesAsync(Guid clusterId)
    {
        await using var db = Database.CreateContext();
        return await db.CostLines.AsNoTracking().Where(l => l.ClusterId == clusterId).OrderBy(l => l.HourUnixMs).ThenBy(l => l.Id).ToListAsync(Ct);
    }

    private static object Shape(CostLineRecord l) =>
        (l.HourUnixMs, l.Team, l.Cluster, l.NodePool, l.Endpoint, l.Category, l.InstanceType, l.CapacityType, l.Quantity, l.Unit, l.Amount, l.PriceSource, l.Estimated);

    [Fact]
    public async Task MeteringAnHourTwice_GivesTheSameRows_FromTheObservedState()
    {
        var now = StartClock();
        var (_, team, clusterId) = await ArrangeClusterAsync();
        var hour = MeteringWindow.StartOfHour(now).AddHours(-1);

        await Metering.MeterHoursAsync([hour], Ct);
        var first = await LinesAsync(clusterId);
        await Metering.MeterHoursAsync([hour], Ct);
        var second = await LinesAsync(clusterId);

        Assert.Equal(first.Select(Shape), second.Select(Shape));
        Assert.Equal(
            [(CostCategory.ControlPlane, (string?)null), (CostCategory.Compute, "general"), (CostCategory.Storage, "general"),
             (CostCategory.Idle, "gpu"), (CostCategory.Storage, "gpu")],
            second.Select(l => (l.Category, l.NodePool)).OrderBy(x => x.NodePool ?? "", StringComparer.Ordinal).ThenBy(x => x.Category).ToList());
        // The observed size (2 × m5.large at the shipped us-east-1 price), not the spec.
        var compute = second.Single(l => l.Category == CostCategory.Compute);
        Assert.Equal((2m, "m5.large", 0.192m), (compute.Quantity, compute.InstanceType, compute.Amount));
        Assert.All(second, l => Assert.Equal(team, l.Team));
    }

    [Fact]
    public async Task GpuPoolHours_GoToTheEndpointsOnThePool_ByGpusRequested_AndTheRestIsIdle()
    {
        var now = StartClock();
        var (_, team, clusterId) = await ArrangeClusterAsync();
        // The pool endpoints get for A10G (GpuCapacity.PoolName): 3 × g5.xlarge (one A10G each) observed running.
        TeamEnvironment environment;
        await using (var db = Database.CreateContext())
            environment = await db.Environments.AsNoTracking().SingleAsync(e => e.Id == db.Clusters.Single(c => c.Id == clusterId).EnvironmentId, Ct);
        var session = await Get<AwsSessions>().AssumeAsync(environment.ProvisionerRoleArn, environment.ExternalId, "us-east-1", "test", Ct);
        await Get<EksClient>().CreateNodegroupAsync(session, $"{team}-dev-main", CloudServices.Nodegroup("gpu-a10g") with
        {
            InstanceTypes = ["g5.xlarge"], ScalingConfig = new EksScalingConfig(0, 4, 3), DiskSize = 100, AmiType = NodePool.NvidiaAmiType,
        }, Ct);
        await using (var db = Database.CreateContext())
        {
            var teamId = await db.Clusters.Where(c => c.Id == clusterId).Select(c => c.TeamId).SingleAsync(Ct);
            db.InferenceEndpoints.Add(Endpoint("embed", teamId, clusterId, replicas: 2));
            db.InferenceEndpoints.Add(Endpoint("classify", teamId, clusterId, replicas: 0)); // scaled to zero: claims nothing
            await db.SaveChangesAsync(Ct);
        }

        await Metering.MeterHoursAsync([MeteringWindow.StartOfHour(now).AddHours(-1)], Ct);

        var pool = (await LinesAsync(clusterId)).Where(l => l.NodePool == "gpu-a10g" && l.Category is CostCategory.Endpoint or CostCategory.Idle).ToList();
        var embed = Assert.Single(pool, l => l.Category == CostCategory.Endpoint);
        var idle = Assert.Single(pool, l => l.Category == CostCategory.Idle);
        Assert.Equal("embed", embed.Endpoint);
        Assert.Equal(2 * idle.Amount, embed.Amount); // 2 of the 3 GPUs requested
        Assert.Equal(3 * 1.006m, embed.Amount + idle.Amount); // 3 × g5.xlarge at the shipped us-east-1 price
    }

    private static InferenceEndpoint Endpoint(string name, Guid teamId, Guid clusterId, int replicas) => new()
    {
        Name = name, TeamId = teamId, ClusterId = clusterId, DesiredReplicas = replicas, ReadyReplicas = replicas,
        Spec = new EndpointSpec(name, EndpointRuntime.Triton, new ModelSource($"s3://models/{name}", name, "1"), EndpointProtocol.Grpc,
            new GpuRequest("A10G", 1), new ComputeRequest("2", "8Gi"),
            new AutoscalingSpec(1, 4, [new ScalingTrigger(ScalingTriggerKind.Cpu, 70)])),
    };

    [Fact]
    public async Task SixHourOutage_IsCaughtUp_AndTheWatermarkMoves()
    {
        var now = StartClock();
        var (_, _, clusterId) = await ArrangeClusterAsync();
        var lastMetered = MeteringWindow.StartOfHour(now).AddHours(-1);
        await Metering.MeterHoursAsync([lastMetered], Ct);
        await using (var db = Database.CreateContext())
        {
            // Whatever other tests of the class did: the last run metered exactly this hour.
            await db.MeteringWatermarks.ExecuteUpdateAsync(s => s.SetProperty(w => w.LastMeteredHourUnixMs, lastMetered.ToUnixTimeMilliseconds()), Ct);
        }

        Clock.Advance(TimeSpan.FromHours(6)); // the workers were down for six hours
        var run = await Metering.MeterDueAsync(Ct);

        Assert.Equal(Enumerable.Range(1, 6).Select(h => lastMetered.AddHours(h)), run.Hours);
        var lines = await LinesAsync(clusterId);
        var perHour = lines.GroupBy(l => l.HourUnixMs).ToDictionary(g => g.Key, g => g.Sum(l => l.Amount));
        Assert.Equal(7, perHour.Count);
        Assert.Single(perHour.Values.Distinct());
        Assert.Equal(lastMetered.AddHours(6), await Metering.LastMeteredHourAsync(Ct));

        // Nothing new has ended: a second run meters nothing.
        Assert.Empty((await Metering.MeterDueAsync(Ct)).Hours);
    }

    [Fact]
    public async Task BudgetThresholds_FireOncePerMonth_AndTheWebhookIsRetriedNotDuplicated()
    {
        var now = StartClock();
        var (owner, team, clusterId) = await ArrangeClusterAsync();
        var received = new ConcurrentQueue<(string Key, string Attempt)>();
        var seen = new ConcurrentDictionary<string, int>();
        await using var receiver = await LocalReceiver.StartAsync(async http =>
        {
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            received.Enqueue((key, http.Request.Headers["X-Unicron-Delivery-Attempt"].ToString()));
            // Each notification's first attempt fails: the sender must retry it, with the same key.
            http.Response.StatusCode = seen.AddOrUpdate(key, 1, (_, n) => n + 1) == 1 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            await http.Response.CompleteAsync();
        });
        var budgets = Get<BudgetService>();

        var hour = MeteringWindow.StartOfHour(now).AddHours(-1);
        await Metering.MeterHoursAsync([hour], Ct);
        var spentPerHour = (await LinesAsync(clusterId)).Sum(l => l.Amount);
        // One hour is 60 % of the budget: 50 % is crossed; a second hour makes 120 %: 80 and 100.
        var limit = Math.Round(spentPerHour / 0.6m, 2);
        await budgets.PutAsync(owner, team, new BudgetChange(limit, null, null, receiver.BaseAddress + "hook", "secret"), null, Ct);

        // The forecast overrun (run rate × the month's hours > limit) fires in whichever round first projects past the
        // limit, depending on how much of the month has passed: counted across both rounds.
        var first = await CrossingsOfAsync(budgets);
        Assert.Equal(0, await CrossingsOfAsync(budgets)); // evaluated again: nothing new
        var delivered = await budgets.DeliverPendingAsync(Ct);

        Clock.Advance(TimeSpan.FromHours(1));
        await Metering.MeterHoursAsync([hour.AddHours(1)], Ct);
        await Metering.MeterHoursAsync([hour, hour.AddHours(1)], Ct); // re-metering changes nothing either
        var second = await CrossingsOfAsync(budgets);
        Assert.Equal(0, await CrossingsOfAsync(budgets));
        delivered += await budgets.DeliverPendingAsync(Ct);
        Assert.Equal(0, await budgets.DeliverPendingAsync(Ct));
        Assert.Equal((4, 4), (first + second, delivered));
        Assert.InRange(first, 1, 2);

        var month = BudgetMonth.Of(hour).ToString();
        var prefix = $"budget:{team}:all:{month}:";
        var mine = received.Where(r => r.Key.StartsWith($"budget:{team}:", StringComparison.Ordinal)).ToList();
        // Each notification: a failed first attempt and a retry with the same key, then never again.
        Assert.Equal(
            new[] { "forecast-overrun", "threshold-100", "threshold-50", "threshold-80" }.SelectMany(k => new[] { (prefix + k, "1"), (prefix + k, "2") }),
            mine.OrderBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Attempt, StringComparer.Ordinal));

        var view = await budgets.GetAsync(owner, team, Ct);
        Assert.Equal([50, 80, 100], view.Scopes.Single().NotifiedThresholds);
        await using var db = Database.CreateContext();
        var teamId = await db.Teams.Where(t => t.Slug == team).Select(t => t.Id).SingleAsync(Ct);
        var events = await db.ResourceEvents.AsNoTracking().Where(e => e.TeamId == teamId && e.ResourceType == BudgetService.EventResource).ToListAsync(Ct);
        Assert.Equal(3, events.Count(e => e.Step == BudgetWebhookPayload.ThresholdType));
        Assert.Single(events, e => e.Step == BudgetWebhookPayload.ForecastType);
        Assert.True(view.Scopes.Single().ForecastOverrunNotified);
    }

    /// <summary>New crossings of this run, whatever other teams of the class's database do.</summary>
    private static Task<int> CrossingsOfAsync(BudgetService budgets) => budgets.EvaluateAsync(Ct);
}
