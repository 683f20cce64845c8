using System.Text.Json.Nodes;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Cloud.Aws;
using Portal.Core.Cloud.Kubernetes;
using Portal.Core.Clusters;
using Portal.Core.Clusters.Bootstrap;
using Portal.Core.Clusters.Reconciler;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Emulator;
using Portal.Emulator.Kubernetes;
using Portal.Emulator.Shared;

namespace Portal.Web.Tests.Reconciliation;

/// <summary>
/// The cluster lifecycle end to end: real portal hosts with Hangfire servers on PostgreSQL, the cloud emulator over
/// HTTP (it validates every Kubernetes object against the upstream schemas on write).
/// </summary>
[Collection(HangfireCollection.Name)]
public sealed class ClusterLifecycleTests
{
    private static async Task<AwsSession> SessionAsync(ClusterWorld world)
    {
        var environment = await world.Services.GetRequiredService<EnvironmentService>().GetAsync(world.Owner, world.Team.Slug, EnvironmentName.Dev, default);
        return await world.Services.GetRequiredService<AwsSessions>().AssumeAsync(environment.ProvisionerRoleArn, environment.ExternalId, "us-east-1", "test", default);
    }

    private static async Task<EksNodegroup> NodegroupAsync(ClusterWorld world, Cluster cluster, string name) =>
        await world.Services.GetRequiredService<EksClient>().DescribeNodegroupAsync(await SessionAsync(world), cluster.EksName, name);

    private static async Task<JsonObject?> ApplicationAsync(ClusterWorld world, Cluster cluster, string name)
    {
        var session = await SessionAsync(world);
        using var client = world.Services.GetRequiredService<KubernetesClientFactory>().Create(session, cluster.EksName, cluster.KubernetesEndpoint!, cluster.CertificateAuthority!);
        return await client.GetAsync(BootstrapManifests.ApplicationApiVersion, "Application", name, BootstrapManifests.ArgoNamespace);
    }

    [Fact]
    public async Task CreateCluster_ReachesReadyWithOneCreatePerResourceAndTheCoreInstalled()
    {
        await using var world = await ClusterWorld.CreateAsync();

        var view = await world.RequestAsync("main", "1.34", ClusterWorld.Pool("general"), ClusterWorld.Pool("gpu", "g5.xlarge", 0, 1, 2, CapacityType.Spot));
        var ready = await world.WaitForReadyAsync(view.Cluster.Id);

        Assert.Equal(1, world.Emulator.Calls.Count("eks", "CreateCluster"));
        Assert.Equal(2, world.Emulator.Calls.Count("eks", "CreateNodegroup"));
        Assert.Equal("1.34", ready.CurrentVersion);
        Assert.StartsWith("https://", ready.KubernetesEndpoint);
        Assert.All(new[] { ClusterReconciler.ControlPlaneReady, ClusterReconciler.NodePoolsReady, ClusterReconciler.CoreInstalled },
            type => Assert.Equal("True", ready.Conditions.Single(c => c.Type == type).Status));
        Assert.Null(ready.LastError);

        var gpu = await NodegroupAsync(world, ready, "gpu");
        Assert.Equal((EksAmiTypes.Al2023Nvidia, EksCapacityTypes.Spot), (gpu.AmiType, gpu.CapacityType));
        Assert.Contains(gpu.Taints!, t => t.Key == "nvidia.com/gpu" && t.Effect == EksTaintEffects.NoSchedule);
        Assert.Equal(ready.Id.ToString(), gpu.Tags![ClusterReconciler.ClusterIdTag]);
        Assert.Equal("CC-42", gpu.Tags[ClusterReconciler.CostCentreTag]);

        // Every core component is an Argo CD Application the emulator accepted against the upstream CRD and synced.
        foreach (var component in BootstrapManifests.Components)
        {
            var app = await ApplicationAsync(world, ready, component.Name);
            Assert.NotNull(app);
            Assert.Equal(("Synced", "Healthy"), (app!["status"]!["sync"]!["status"]!.GetValue<string>(), app["status"]!["health"]!["status"]!.GetValue<string>()));
        }
        // The foundation the Applications stand on: Argo CD's upstream CRDs, its namespace and the platform project.
        var session = await SessionAsync(world);
        using (var client = world.Services.GetRequiredService<KubernetesClientFactory>().Create(session, ready.EksName, ready.KubernetesEndpoint!, ready.CertificateAuthority!))
        {
            Assert.NotNull(await client.GetAsync("apiextensions.k8s.io/v1", "CustomResourceDefinition", BootstrapManifests.ApplicationCrdName));
            Assert.NotNull(await client.GetAsync("apiextensions.k8s.io/v1", "CustomResourceDefinition", "appprojects.argoproj.io"));
            Assert.NotNull(await client.GetAsync("v1", "Namespace", BootstrapManifests.ArgoNamespace));
            var project = await client.GetAsync(BootstrapManifests.ApplicationApiVersion, "AppProject", BootstrapManifests.Project, BootstrapManifests.ArgoNamespace);
            Assert.Equal(KubernetesObjects.FieldManager, project!["metadata"]!["managedFields"]![0]!["manager"]!.GetValue<string>());
            // Argo CD itself runs in the cluster, every object of its install accepted by the API server's schemas.
            foreach (var manifest in ArgoCdInstall.Objects())
                Assert.NotNull(await client.GetAsync(manifest["apiVersion"]!.GetValue<string>(), manifest["kind"]!.GetValue<string>(),
                    manifest["metadata"]!["name"]!.GetValue<string>(), manifest["metadata"]!["namespace"]?.GetValue<string>()));
            foreach (var (kind, name) in ArgoCdInstall.Workloads)
            {
                var workload = await client.GetAsync("apps/v1", kind, name, BootstrapManifests.ArgoNamespace);
                Assert.Null(ArgoCdInstall.NotAvailable(workload));
                var pod = workload!["spec"]!["template"]!["spec"]!;
                var images = (pod["containers"]!.AsArray()).Concat(pod["initContainers"]?.AsArray() ?? []).Select(c => c!["image"]!.GetValue<string>());
                Assert.Contains(ArgoCdInstall.Image, images);
            }
        }
        Assert.Equal("True", ready.Conditions.Single(c => c.Type == ClusterReconciler.ArgoCdReady).Status);
        var steps = (await world.EventsAsync(ready.Id)).Select(e => e.Step).ToList();
        Assert.Equal("requested", steps[0]);
        Assert.Contains("control-plane", steps);
        Assert.Contains("nodegroup:gpu", steps);
        // Argo CD is running before the first Application is applied.
        Assert.True(steps.IndexOf("argocd") < steps.LastIndexOf("core"), string.Join(", ", steps));
        Assert.Equal("ready", steps[^1]);
    }

    [Fact]
    public async Task Bootstrap_WaitsForArgoCdToBeAvailableBeforeApplyingTheCoreApplications()
    {
        await using var world = await ClusterWorld.CreateAsync();
        // Argo CD's pods take their time: the reconciler must not apply Applications nobody would sync.
        KubernetesApi.Options(world.Emulator.Services).DeploymentReadyDelay = TimeSpan.FromSeconds(3);
        var view = await world.RequestAsync("patient");

        var waiting = await world.WaitForAsync(view.Cluster.Id,
            c => c?.Conditions.Any(x => x.Type == ClusterReconciler.ArgoCdReady && x.Status == "False") == true);
        Assert.Contains("Waiting for Argo CD", waiting!.Conditions.Single(c => c.Type == ClusterReconciler.ArgoCdReady).Message);
        Assert.Null(await ApplicationAsync(world, waiting, "keda"));
        Assert.Equal(0, world.Emulator.Calls.Count("kubernetes", "patch applications"));

        var ready = await world.WaitForReadyAsync(view.Cluster.Id);
        Assert.NotNull(await ApplicationAsync(world, ready, "keda"));
        var events = await world.EventsAsync(ready.Id);
        var argo = events.Single(e => e.Step == "argocd" && e.Outcome == EventOutcome.Succeeded);
        Assert.Contains(ArgoCdInstall.Version, argo.Message);
    }

    [Fact]
    public async Task WorkerStoppedMidProvisioning_NewWorkerResumesAndCreatesNothingTwice()
    {
        await using var world = await ClusterWorld.CreateAsync();
        var view = await world.RequestAsync("resume", "1.34", ClusterWorld.Pool("a"), ClusterWorld.Pool("b"));

        // Stop the worker at three points of provisioning; each time a fresh process takes over.
        (string Service, string Operation, int Count)[] points = [("eks", "CreateCluster", 1), ("eks", "CreateNodegroup", 1), ("eks", "CreateNodegroup", 2)];
        foreach (var (service, operation, count) in points)
        {
            await world.WaitForCallsAsync(service, operation, count);
            await world.StopWorkerAsync(world.Workers.Single());
            await world.StartWorkerAsync();
        }
        var ready = await world.WaitForReadyAsync(view.Cluster.Id);

        Assert.Equal(1, world.Emulator.Calls.Count("eks", "CreateCluster"));
        Assert.Equal(2, world.Emulator.Calls.Count("eks", "CreateNodegroup"));
        Assert.Equal(ClusterPhase.Ready, ready.Phase);
    }

    [Fact]
    public async Task CrashedWorkersLease_ExpiresAndTheNextWorkerTakesOver()
    {
        await using var world = await ClusterWorld.CreateAsync();
        var view = await world.RequestAsync("crashed");
        await world.WaitForCallsAsync("eks", "CreateCluster");
        await world.StopWorkerAsync(world.Workers.Single());

        // What a worker killed mid-step leaves behind: its lease, unreleased, and no job in any queue.
        await using (var db = world.CreateContext())
        {
            var until = DateTimeOffset.UtcNow.AddSeconds(3).ToUnixTimeMilliseconds();
            await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ExecuteUpdateAsync(
                db.Clusters.Where(c => c.Id == view.Cluster.Id),
                s => s.SetProperty(c => c.LeaseOwner, "crashed-worker/1/dead").SetProperty(c => c.LeaseUntilUnixMs, until));
        }
        var restarted = DateTimeOffset.UtcNow;
        await world.StartWorkerAsync();
        await world.WaitForReadyAsync(view.Cluster.Id);

        Assert.True(DateTimeOffset.UtcNow - restarted >= TimeSpan.FromSeconds(2.5), "the new worker must wait out the dead worker's lease");
        Assert.Equal(1, world.Emulator.Calls.Count("eks", "CreateCluster"));
        // A Ready cluster is looked at again on schedule, so a later run may hold the lease at the moment we read
        // (CI saw it once). The dead worker's lease must be gone, and the cluster must come to rest unleased (the wait throws if it never does).
        await world.WaitForAsync(view.Cluster.Id, c => c is { Phase: ClusterPhase.Ready, LeaseOwner: null });
    }

    [Fact]
    public async Task ThrottlingAndServerErrorBursts_StillReachReady()
    {
        await using var world = await ClusterWorld.CreateAsync();
        world.Emulator.Faults.Add(new FaultRule("eks", "CreateCluster", FaultKind.Throttle, RemainingCalls: 5));
        world.Emulator.Faults.Add(new FaultRule("eks", "CreateNodegroup", FaultKind.ServerError, RemainingCalls: 4, StatusCode: 503));
        world.Emulator.Faults.Add(new FaultRule("eks", "DescribeCluster", FaultKind.ServerError, RemainingCalls: 3));

        var view = await world.RequestAsync("bursty");
        var ready = await world.WaitForReadyAsync(view.Cluster.Id);

        Assert.Equal(ClusterPhase.Ready, ready.Phase);
        Assert.Null(ready.LastError);
        Assert.Equal(0, ready.Attempt);
        var retries = (await world.EventsAsync(ready.Id)).Where(e => e.Step == "retry").ToList();
        Assert.NotEmpty(retries);
        Assert.All(retries, e => Assert.Equal(EventOutcome.Failed, e.Outcome));
    }

    [Fact]
    public async Task CredentialsTheClusterRefuses_AreRenewed_AndTheBootstrapCarriesOn()
    {
        // CI saw it after a clock jump: a session expired mid-run, the cluster answered 401, and the cluster stopped as Failed.
        await using var world = await ClusterWorld.CreateAsync();
        world.Emulator.Faults.Add(new FaultRule("kubernetes", "*", FaultKind.ExpiredCredentials, RemainingCalls: 2));

        var view = await world.RequestAsync("refused-token");
        var ready = await world.WaitForReadyAsync(view.Cluster.Id);

        Assert.Equal(ClusterPhase.Ready, ready.Phase);
        Assert.Empty(world.Emulator.Faults.Rules); // both refusals were served
        var retry = (await world.EventsAsync(ready.Id)).Single(e => e.Step == "retry");
        Assert.Contains("Kubernetes answered 401", retry.Message);
        // The refused session was forgotten: the run after the 401 assumed the role again.
        Assert.True(world.Emulator.Calls.Count("sts", "AssumeRole") >= 2, "the portal kept the session the cluster refused");
    }

    [Fact]
    public async Task InvalidRequestToEks_EndsFailedWithAPlainMessageAndNoEndlessRetry()
    {
        // One subnet: EKS (and the emulator) refuse a cluster that does not span two availability zones.
        await using var world = await ClusterWorld.CreateAsync(settings: new Dictionary<string, string?> { ["Clusters:SubnetIds:dev:0"] = "subnet-lonely" });

        var view = await world.RequestAsync("refused");
        var failed = await world.WaitForAsync(view.Cluster.Id, c => c?.Phase == ClusterPhase.Failed);
        var calls = world.Emulator.Calls.Count("eks", "CreateCluster");
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // several resync intervals

        Assert.Contains("EKS refused CreateCluster", failed!.LastError);
        Assert.Contains("two different AZs", failed.LastError);
        Assert.Contains("Change the cluster's spec", failed.LastError);
        Assert.Equal(failed.Generation, failed.ObservedGeneration);
        Assert.Equal(calls, world.Emulator.Calls.Count("eks", "CreateCluster"));
    }

    [Fact]
    public async Task Upgrade_GoesOneMinorAtATime_ControlPlaneFirstThenNodeGroups()
    {
        await using var world = await ClusterWorld.CreateAsync();
        var view = await world.RequestAsync("upgrade", "1.32", ClusterWorld.Pool("a"), ClusterWorld.Pool("b"));
        var cluster = await world.WaitForReadyAsync(view.Cluster.Id);

        foreach (var (version, generation) in new[] { ("1.33", 2L), ("1.34", 3L) })
        {
            await world.RetryOnConflictAsync(() => world.Clusters.UpdateClusterAsync(world.Owner, world.Team.Slug, "upgrade", new ClusterChanges(KubernetesVersion: version), null, default));
            cluster = await world.WaitForReadyAsync(view.Cluster.Id, generation);
            Assert.Equal(version, cluster.CurrentVersion);
            foreach (var pool in new[] { "a", "b" }) Assert.Equal(version, (await NodegroupAsync(world, cluster, pool)).Version);
        }

        Assert.Equal(2, world.Emulator.Calls.Count("eks", "UpdateClusterVersion"));
        Assert.Equal(4, world.Emulator.Calls.Count("eks", "UpdateNodegroupVersion"));
        var upgrades = (await world.EventsAsync(cluster.Id)).Where(e => e.Step == "upgrade").Select(e => e.Message).ToList();
        Assert.Equal(2, upgrades.Count);
        Assert.Contains("from Kubernetes 1.32 to 1.33", upgrades[0]);
        Assert.Contains("from Kubernetes 1.33 to 1.34", upgrades[1]);
    }

    [Fact]
    public async Task NodePools_ScaleAddAndRemove_FollowTheSpec()
    {
        await using var world = await ClusterWorld.CreateAsync();
        var view = await world.RequestAsync("pools", "1.34", ClusterWorld.Pool("general"), ClusterWorld.Pool("batch", "c5.large"));
        await world.WaitForReadyAsync(view.Cluster.Id);

        await world.RetryOnConflictAsync(() => world.Clusters.UpdateClusterAsync(world.Owner, world.Team.Slug, "pools", new ClusterChanges(NodePools:
        [
            ClusterWorld.Pool("general", min: 2, desired: 4, max: 6),
            ClusterWorld.Pool("gpu", "g5.xlarge", 0, 0, 2),
        ]), null, default));
        var cluster = await world.WaitForReadyAsync(view.Cluster.Id, 2);

        var general = await NodegroupAsync(world, cluster, "general");
        Assert.Equal(new EksScalingConfig(2, 6, 4), general.ScalingConfig);
        var gpu = await NodegroupAsync(world, cluster, "gpu");
        Assert.Equal(EksAmiTypes.Al2023Nvidia, gpu.AmiType);
        Assert.Contains(gpu.Taints!, t => t.Key == "nvidia.com/gpu");
        var names = await world.Services.GetRequiredService<EksClient>().ListAllNodegroupsAsync(await SessionAsync(world), cluster.EksName);
        Assert.Equal(["general", "gpu"], names.Order());
        Assert.Equal(1, world.Emulator.Calls.Count("eks", "UpdateNodegroupConfig"));
        Assert.Equal(1, world.Emulator.Calls.Count("eks", "DeleteNodegroup"));
        // The GPU pool brought the device plugin along.
        Assert.NotNull(await ApplicationAsync(world, cluster, "nvidia-device-plugin"));
    }

    [Fact]
    public async Task DeleteCluster_RemovesApplicationsNodeGroupsAndClusterThenTheRow()
    {
        await using var world = await ClusterWorld.CreateAsync();
        var view = await world.RequestAsync("doomed", "1.34", ClusterWorld.Pool("a"), ClusterWorld.Pool("gpu", "g5.xlarge", 0, 0, 1));
        await world.WaitForReadyAsync(view.Cluster.Id);

        await world.RetryOnConflictAsync(() => world.Clusters.DeleteClusterAsync(world.Owner, world.Team.Slug, "doomed", null, default));
        await world.WaitForAsync(view.Cluster.Id, c => c is null);

        var session = await SessionAsync(world);
        Assert.Empty(await world.Services.GetRequiredService<EksClient>().ListAllClustersAsync(session));
        Assert.Equal(2, world.Emulator.Calls.Count("eks", "DeleteNodegroup"));
        Assert.Equal(1, world.Emulator.Calls.Count("eks", "DeleteCluster"));
        var steps = (await world.EventsAsync(view.Cluster.Id)).Select(e => e.Step).ToList();
        Assert.Contains("delete:core", steps);
        Assert.Equal("deleted", steps[^1]);
    }

    [Fact]
    public async Task FailedDeletion_RestartsOnASecondDelete_AndStsSessionsNameWhoeverChangedTheClusterLast()
    {
        await using var world = await ClusterWorld.CreateAsync();
        var view = await world.RequestAsync("twice");
        await world.WaitForReadyAsync(view.Cluster.Id);
        var (maintainer, email) = await world.MemberAsync(Portal.Core.Teams.TeamRole.Maintainer);
        var externalId = await world.ExternalIdAsync();

        // The account's owner breaks the trust: the deletion the maintainer asks for assumes the role anew, under the
        // maintainer's name, and is refused.
        world.Emulator.RegisterRole(ClusterWorld.Account, ClusterWorld.RoleName, "not-the-external-id", world.Emulator.PrimaryAccount.Id);
        await world.RetryOnConflictAsync(() => world.Clusters.DeleteClusterAsync(maintainer, world.Team.Slug, "twice", null, default));
        var failed = await world.WaitForAsync(view.Cluster.Id, c => c?.Phase == ClusterPhase.Failed);
        Assert.NotNull(failed!.DeletionRequestedAt);
        Assert.Contains("could not act in AWS account", failed.LastError);

        // Trust restored; a second DELETE starts the deletion over and it runs to the end.
        world.Emulator.RegisterRole(ClusterWorld.Account, ClusterWorld.RoleName, externalId, world.Emulator.PrimaryAccount.Id);
        var restarted = await world.RetryOnConflictAsync(() => world.Clusters.DeleteClusterAsync(maintainer, world.Team.Slug, "twice", null, default));
        Assert.Equal((ClusterPhase.Deleting, null), (restarted.Cluster.Phase, restarted.Cluster.LastError));
        await world.WaitForAsync(view.Cluster.Id, c => c is null);
        // What CloudTrail in the team's account would show: the creator's name while creating, the maintainer's once
        // the maintainer asked for the deletion (as the emulator received AssumeRole's RoleSessionName).
        var sessions = world.Emulator.Calls.All.Where(c => c is { Service: "sts", Operation: "AssumeRole" }).Select(c => c.Detail).ToList();
        Assert.Empty(await world.Services.GetRequiredService<EksClient>().ListAllClustersAsync(await SessionAsync(world)));
        var steps = (await world.EventsAsync(view.Cluster.Id)).Select(e => e.Step).ToList();
        Assert.Contains("deletion-restarted", steps);
        Assert.Equal("deleted", steps[^1]);

        Assert.Equal(AwsSessions.SessionNameFor("unicron-portal", world.OwnerEmail), sessions[0]);
        Assert.Equal(AwsSessions.SessionNameFor("unicron-portal", email), sessions[^1]);
        Assert.StartsWith("unicron-portal@member-", sessions[^1]);
        Assert.DoesNotContain(sessions.SkipWhile(s => s!.Contains("@owner-")), s => s!.Contains("@owner-"));
    }

    [Fact]
    public async Task DeleteWhileProvisioning_WaitsForEksThenRemovesEverything()
    {
        var slow = LifecycleOptions.Instant;
        slow.ClusterCreate = TimeSpan.FromSeconds(2);
        await using var world = await ClusterWorld.CreateAsync(slow);
        var view = await world.RequestAsync("hasty");
        await world.WaitForCallsAsync("eks", "CreateCluster");

        await world.RetryOnConflictAsync(() => world.Clusters.DeleteClusterAsync(world.Owner, world.Team.Slug, "hasty", null, default));
        await world.WaitForAsync(view.Cluster.Id, c => c is null);

        Assert.Empty(await world.Services.GetRequiredService<EksClient>().ListAllClustersAsync(await SessionAsync(world)));
        Assert.Equal(0, world.Emulator.Calls.Count("eks", "CreateNodegroup"));
    }

    [Fact]
    public async Task TwoWorkers_NeverReconcileTheSameClusterAtOnce()
    {
        await using var world = await ClusterWorld.CreateAsync();
        await world.StartWorkerAsync();
        var view = await world.RequestAsync("shared", "1.34", ClusterWorld.Pool("a"), ClusterWorld.Pool("b"));
        // A crowd of jobs for the one cluster, spread over both workers' Hangfire servers.
        for (var i = 0; i < 20; i++) world.Jobs.Enqueue<Portal.Core.Clusters.Jobs.ReconcileClusterJob>(j => j.RunAsync(view.Cluster.Id, CancellationToken.None));
        await world.WaitForReadyAsync(view.Cluster.Id);

        var runs = world.ReconcilerLog.Where(l => l.Message.Contains(view.Cluster.Id.ToString())).ToList();
        Assert.Contains(runs, r => r.Host == "worker-1");
        Assert.Contains(runs, r => r.Host == "worker-2");
        var holding = 0;
        foreach (var run in runs)
        {
            holding += run.Event.Id == ClusterReconciler.RunStarted.Id ? 1 : -1;
            Assert.InRange(holding, 0, 1);
        }
        Assert.Equal(1, world.Emulator.Calls.Count("eks", "CreateCluster"));
        Assert.Equal(2, world.Emulator.Calls.Count("eks", "CreateNodegroup"));
    }
}
