using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Addons.Installations;
using Portal.Core.Addons.Installations.Reconciler;
using Portal.Core.Cloud.Kubernetes;
using Portal.Core.Clusters;
using Portal.Core.Clusters.Bootstrap;
using Portal.Core.Common;
using Portal.Core.Environments;
using Portal.Testing;

namespace Portal.Core.Tests.Addons;

/// <summary>Installs, upgrades, drift and uninstalls through the reconciler against a cluster the emulator provisioned.</summary>
public sealed class AddonInstallationTests(PostgresDatabaseFixture database, AddonCloud cloud)
    : AddonTests(database, cloud), IClassFixture<PostgresDatabaseFixture>, IClassFixture<AddonCloud>
{
    [Fact]
    public async Task Install_ReachesHealthy_WithASchemaValidApplicationCarryingMergedValues()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);

        var view = await Addons.InstallAsync(owner, team.Slug, cluster.Name,
            new AddonInstallRequest("tracker", "1.0.0", JsonObject("""{"ingress":{"enabled":true}}""")), Ct);

        Assert.Equal((AddonPhase.Pending, 1L), (view.Installation.Phase, view.Installation.Generation));
        Assert.Contains(view.Installation.Id, Jobs.Jobs.Where(j => j.Type.Name == "ReconcileAddonJob").Select(j => (Guid)j.Args[0]));
        var healthy = await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);
        Assert.Equal((1L, "Synced", "Healthy"), (healthy!.ObservedGeneration, healthy.SyncStatus, healthy.HealthStatus));

        using var client = await KubernetesAsync(cluster);
        var app = (await ApplicationAsync(client, "tracker"))!;
        Assert.Equal(AddonManifests.Project, (string?)app["spec"]!["project"]);
        var source = app["spec"]!["source"]!;
        Assert.Equal((ChartsRepo, "mlflow", "1.0.0"), ((string?)source["repoURL"], (string?)source["chart"], (string?)source["targetRevision"]));
        // The catalogue's defaults with the user's overrides on top; the chart's own defaults are Helm's business.
        Assert.True(JsonNode.DeepEquals(JsonObject("""{"tracking":{"replicas":1},"ingress":{"enabled":true}}"""), source["helm"]!["valuesObject"]));
        Assert.Equal("addons", (string?)app["spec"]!["destination"]!["namespace"]);
        Assert.Contains("CreateNamespace=true", app["spec"]!["syncPolicy"]!["syncOptions"]!.AsArray().Select(o => (string?)o));
        Assert.Equal(true, (bool?)app["spec"]!["syncPolicy"]!["automated"]!["selfHeal"]);
        Assert.Contains(AddonManifests.Finalizer, app["metadata"]!["finalizers"]!.AsArray().Select(f => (string?)f));
        Assert.Equal((team.Slug, cluster.Name, "tracker"), ((string?)app["metadata"]!["labels"]![AddonManifests.TeamLabel],
            (string?)app["metadata"]!["labels"]![AddonManifests.ClusterLabel], (string?)app["metadata"]!["labels"]![AddonManifests.AddonLabel]));
        Assert.NotNull(await client.GetAsync(BootstrapManifests.ApplicationApiVersion, "AppProject", AddonManifests.Project, BootstrapManifests.ArgoNamespace, Ct));
        var steps = (await EventsAsync(view.Installation.Id)).Select(e => e.Step).ToList();
        Assert.Equal(["requested", "install", "healthy"], steps);
    }

    [Fact]
    public async Task GitSource_IsAppliedAsAPathAndRevision()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);

        var view = await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("pipelines"), Ct);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);

        using var client = await KubernetesAsync(cluster);
        var source = (await ApplicationAsync(client, "pipelines"))!["spec"]!["source"]!;
        Assert.Equal(("https://github.com/kubeflow/pipelines", "manifests/kustomize/env/platform-agnostic", "2.16.0", null),
            ((string?)source["repoURL"], (string?)source["path"], (string?)source["targetRevision"], source["chart"]));
    }

    [Fact]
    public async Task UnresolvableSource_EndsDegraded_WithArgosMessage()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);

        var view = await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("broken"), Ct);
        var degraded = await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Degraded);

        Assert.Contains("chart \"no-such-chart\" version \"0.1.0\" not found in repository https://charts.example.com/nothing", degraded!.Message);
        Assert.Equal(1, degraded.ObservedGeneration);
        Assert.Contains(await EventsAsync(view.Installation.Id), e => e.Step == "degraded" && e.Message.Contains("not found in repository"));
    }

    [Fact]
    public async Task ValuesTheSchemaRejects_Are400WithEachJsonPath_AndNothingIsApplied()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);

        var error = await Assert.ThrowsAsync<DomainValidationException>(() => Addons.InstallAsync(owner, team.Slug, cluster.Name,
            new AddonInstallRequest("tracker", "1.0.0", JsonObject("""{"tracking":{"replicas":0},"ingress":{"enabled":"yes"}}""")), Ct));

        Assert.Contains("values.tracking.replicas", error.Errors.Keys);
        Assert.Contains("values.ingress.enabled", error.Errors.Keys);
        await using var db = Database.CreateContext();
        Assert.False(await db.AddonInstallations.AnyAsync(a => a.ClusterId == cluster.Id, Ct));
        using var client = await KubernetesAsync(cluster);
        Assert.Null(await ApplicationAsync(client, "tracker"));
    }

    [Fact]
    public async Task Dependencies_AreRefusedWithoutConfirmation_AndInstalledFirstWithIt()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);

        var refused = await Assert.ThrowsAsync<ConflictException>(() =>
            Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("needs-base"), Ct));
        Assert.Equal("installDependencies", refused.Field);
        Assert.Contains("base", refused.Message);

        var view = await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("needs-base", InstallDependencies: true), Ct);
        await using (var db = Database.CreateContext())
        {
            var rows = await db.AddonInstallations.AsNoTracking().Where(a => a.ClusterId == cluster.Id).OrderBy(a => a.AddonId).ToListAsync(Ct);
            Assert.Equal(["base", "needs-base"], rows.Select(r => r.AddonId));
        }

        // The dependent waits for what it requires, then installs.
        await Reconciler.ReconcileAsync(view.Installation.Id, Ct);
        var waiting = await RowAsync(view.Installation.Id);
        Assert.Equal(AddonPhase.Pending, waiting!.Phase);
        Assert.Contains("base", waiting.Message);
        using var client = await KubernetesAsync(cluster);
        Assert.Null(await ApplicationAsync(client, "needs-base"));

        var baseId = (await Addons.GetAsync(owner, team.Slug, cluster.Name, "base", Ct)).Installation.Id;
        await ReconcileUntilAsync(baseId, r => r?.Phase == AddonPhase.Healthy);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);

        // And the required one cannot go while the dependent stays.
        var blocked = await Assert.ThrowsAsync<ConflictException>(() => Addons.UninstallAsync(owner, team.Slug, cluster.Name, "base", null, Ct));
        Assert.Contains("needs-base", blocked.Message);
    }

    [Fact]
    public async Task DeletedApplication_IsRestored_WithAnEvent()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);
        var view = await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("tracker", "1.0.0"), Ct);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);
        using var client = await KubernetesAsync(cluster);

        // Someone deletes it with kubectl: Argo CD's finalizer removes the workload, then the object goes.
        await client.DeleteAsync(BootstrapManifests.ApplicationApiVersion, "Application", "tracker", BootstrapManifests.ArgoNamespace, Ct);
        await WaitAsync(async () => await ApplicationAsync(client, "tracker") is null);

        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Installing);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);
        Assert.NotNull(await ApplicationAsync(client, "tracker"));
        Assert.Contains(await EventsAsync(view.Installation.Id), e => e.Step == "restored" && e.Message.Contains("deleted"));
    }

    [Fact]
    public async Task SettledInstallations_HaveNoJobOfTheirOwn_AndAreCheckedForDriftTogetherPerCluster()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);
        var tracker = (await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("tracker", "1.0.0"), Ct)).Installation.Id;
        var pipelines = (await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("pipelines"), Ct)).Installation.Id;
        await ReconcileUntilAsync(tracker, r => r?.Phase == AddonPhase.Healthy);
        await ReconcileUntilAsync(pipelines, r => r?.Phase == AddonPhase.Healthy);

        // Healthy and observed: the run that said so scheduled nothing, and the row is due for the next drift check.
        var before = Jobs.Jobs.Count;
        await Reconciler.ReconcileAsync(tracker, Ct);
        Assert.Equal(before, Jobs.Jobs.Count);
        var settled = (await RowAsync(tracker))!;
        Assert.Equal(AddonPhase.Healthy, settled.Phase);
        Assert.True(settled.NextAttemptAtUnixMs > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        // Once due, the resync asks for one check of the cluster, not a reconcile per installation.
        await using (var db = Database.CreateContext())
            await db.AddonInstallations.Where(a => a.ClusterId == cluster.Id).ExecuteUpdateAsync(u => u.SetProperty(a => a.NextAttemptAtUnixMs, 0L), Ct);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var db = Database.CreateContext())
        {
            Assert.DoesNotContain(tracker, await AddonsServiceCollectionExtensions.FindDueAsync(db, now, now + 30_000, Ct));
            // Other tests' clusters share this database: only this cluster's presence is this test's business.
            Assert.Contains(cluster.Id, await AddonsServiceCollectionExtensions.FindDriftChecksDueAsync(db, now, now + 30_000, Ct));
            Assert.DoesNotContain(cluster.Id, await AddonsServiceCollectionExtensions.FindDriftChecksDueAsync(db, now, now + 30_000, Ct));
        }

        // Nothing changed: the check reconciles nothing.
        before = Jobs.Jobs.Count;
        await Reconciler.CheckDriftAsync(cluster.Id, Ct);
        Assert.Equal(before, Jobs.Jobs.Count);

        // Someone edits one Application: only that installation gets a reconcile, which restores it.
        using var client = await KubernetesAsync(cluster);
        var patch = new V1Patch("""{"spec":{"source":{"targetRevision":"9.9.9"}}}""", V1Patch.PatchType.MergePatch);
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, "argoproj.io", "v1alpha1", BootstrapManifests.ArgoNamespace, "applications", "tracker",
            cancellationToken: Ct);
        await Reconciler.CheckDriftAsync(cluster.Id, Ct);
        var enqueued = Jobs.Jobs.Skip(before).Where(j => j.Type.Name == "ReconcileAddonJob").Select(j => (Guid)j.Args[0]).ToList();
        Assert.Equal([tracker], enqueued);
        await ReconcileUntilAsync(tracker, r => r?.Phase == AddonPhase.Installing);
        await ReconcileUntilAsync(tracker, r => r?.Phase == AddonPhase.Healthy);
        Assert.Equal("1.0.0", (string?)(await ApplicationAsync(client, "tracker"))!["spec"]!["source"]!["targetRevision"]);
    }

    [Fact]
    public async Task EditedApplication_IsRestored_WithAnEvent()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);
        var view = await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("tracker", "1.0.0"), Ct);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);
        using var client = await KubernetesAsync(cluster);

        // Someone pins another chart version by hand (a merge patch, as kubectl edit sends).
        var patch = new V1Patch("""{"spec":{"source":{"targetRevision":"9.9.9"}}}""", V1Patch.PatchType.MergePatch);
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, "argoproj.io", "v1alpha1", BootstrapManifests.ArgoNamespace, "applications", "tracker",
            cancellationToken: Ct);
        Assert.Equal("9.9.9", (string?)(await ApplicationAsync(client, "tracker"))!["spec"]!["source"]!["targetRevision"]);

        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Installing);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);
        Assert.Equal("1.0.0", (string?)(await ApplicationAsync(client, "tracker"))!["spec"]!["source"]!["targetRevision"]);
        Assert.Contains(await EventsAsync(view.Installation.Id), e => e.Step == "restored" && e.Message.Contains("changed"));
    }

    [Fact]
    public async Task Upgrade_AppliesTheNewVersion_AndIsObservedOnceHealthy()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);
        var view = await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("tracker", "0.9.0"), Ct);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);
        var current = await Addons.GetAsync(owner, team.Slug, cluster.Name, "tracker", Ct);

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Addons.UpdateAsync(owner, team.Slug, cluster.Name, "tracker",
            new AddonChanges("1.0.0"), current.Installation.Version - 1, Ct));
        var updated = await Addons.UpdateAsync(owner, team.Slug, cluster.Name, "tracker",
            new AddonChanges("1.0.0", JsonObject("""{"tracking":{"replicas":3}}""")), current.Installation.Version, Ct);
        Assert.Equal(2, updated.Installation.Generation);

        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy && r.ObservedGeneration == 2);
        using var client = await KubernetesAsync(cluster);
        var source = (await ApplicationAsync(client, "tracker"))!["spec"]!["source"]!;
        Assert.Equal("1.0.0", (string?)source["targetRevision"]);
        Assert.Equal(3, (int?)source["helm"]!["valuesObject"]!["tracking"]!["replicas"]);
        Assert.Contains(await EventsAsync(view.Installation.Id), e => e.Step == "upgrade");
    }

    [Fact]
    public async Task Uninstall_RemovesTheApplication_AndTheRowOnlyAfterTheClusterConfirms()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);
        var view = await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("tracker", "1.0.0"), Ct);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);
        using var client = await KubernetesAsync(cluster);
        // Hold Argo CD's finalizer back, as a slow workload removal would: the row must stay meanwhile.
        var hold = new V1Patch($$$"""{"metadata":{"finalizers":["{{{AddonManifests.Finalizer}}}","example.com/hold"]}}""", V1Patch.PatchType.MergePatch);
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(hold, "argoproj.io", "v1alpha1", BootstrapManifests.ArgoNamespace, "applications", "tracker",
            cancellationToken: Ct);

        var uninstalling = await Addons.UninstallAsync(owner, team.Slug, cluster.Name, "tracker", null, Ct);
        Assert.Equal(AddonPhase.Uninstalling, uninstalling.Installation.Phase);
        await Reconciler.ReconcileAsync(view.Installation.Id, Ct);
        await Task.Delay(300);
        await Reconciler.ReconcileAsync(view.Installation.Id, Ct);

        var app = await ApplicationAsync(client, "tracker");
        Assert.NotNull(app!["metadata"]!["deletionTimestamp"]);
        Assert.Equal(AddonPhase.Uninstalling, (await RowAsync(view.Installation.Id))!.Phase);

        // The last finalizer goes: the cluster confirms, the row goes.
        var release = new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch);
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(release, "argoproj.io", "v1alpha1", BootstrapManifests.ArgoNamespace, "applications", "tracker",
            cancellationToken: Ct);
        await ReconcileUntilAsync(view.Installation.Id, r => r is null);
        Assert.Null(await ApplicationAsync(client, "tracker"));
        Assert.Contains(await EventsAsync(view.Installation.Id), e => e.Step == "uninstalled");
    }

    [Fact]
    public async Task DeletingTheCluster_UninstallsItsAddonsFirst()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);
        var view = await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("tracker", "1.0.0"), Ct);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);

        await Get<ClusterService>().DeleteClusterAsync(owner, team.Slug, cluster.Name, null, Ct);
        await Get<Portal.Core.Clusters.Reconciler.ClusterReconciler>().ReconcileAsync(cluster.Id, Ct);

        var row = await RowAsync(view.Installation.Id);
        Assert.Equal(AddonPhase.Uninstalling, row!.Phase);
        await using (var db = Database.CreateContext())
            Assert.Contains("add-ons", (await db.Clusters.AsNoTracking().SingleAsync(c => c.Id == cluster.Id, Ct)).Message);
        await ReconcileUntilAsync(view.Installation.Id, r => r is null);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException("The condition did not hold within 10 s.");
            await Task.Delay(50);
        }
    }
}

/// <summary>Attached clusters: reached through the kubeconfig they were attached with.</summary>
public sealed class AttachedClusterAddonTests(PostgresDatabaseFixture database, AddonCloud cloud)
    : AddonTests(database, cloud), IClassFixture<PostgresDatabaseFixture>, IClassFixture<AddonCloud>
{
    [Fact]
    public async Task AnAttachedCluster_GetsItsAddonThroughTheStoredKubeconfig()
    {
        var (owner, team) = await TeamAsync(EnvironmentName.Dev, EnvironmentName.Staging);
        var managed = await ProvisionedClusterAsync(owner, team);
        // "Someone else's" cluster: the emulated one, reached with an inline bearer token as a service account's would be.
        await using var db = Database.CreateContext();
        var environment = await db.Environments.AsNoTracking().SingleAsync(e => e.Id == managed.EnvironmentId, Ct);
        var session = await Get<Portal.Core.Cloud.Aws.AwsSessions>().AssumeAsync(environment.ProvisionerRoleArn, environment.ExternalId, environment.Region, "test", Ct);
        var token = Get<Portal.Core.Cloud.Aws.EksTokenGenerator>().CreateToken(session, managed.EksName);
        var kubeconfig = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: theirs
              cluster: {"{"}server: "{managed.KubernetesEndpoint}", certificate-authority-data: {managed.CertificateAuthority}{"}"}
            contexts:
            - name: theirs
              context: {"{"}cluster: theirs, user: portal{"}"}
            current-context: theirs
            users:
            - name: portal
              user: {"{"}token: "{token}"{"}"}
            """;
        await Get<ClusterService>().AttachClusterAsync(owner, team.Slug, new AttachedCluster("theirs", EnvironmentName.Staging, kubeconfig, "1.34"), Ct);

        var view = await Addons.InstallAsync(owner, team.Slug, "theirs", new AddonInstallRequest("pipelines"), Ct);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);

        using var client = await KubernetesAsync(managed);
        Assert.Equal("theirs", (string?)(await ApplicationAsync(client, "pipelines"))!["metadata"]!["labels"]![AddonManifests.ClusterLabel]);
    }

    [Fact]
    public async Task AnAttachedKubeconfigThatRunsACommand_IsNeverUsed_AndTheInstallFailsWithTheReason()
    {
        var (owner, team) = await TeamAsync();
        var marker = Path.Combine(Path.GetTempPath(), $"exec-ran-{Guid.NewGuid():N}");
        var kubeconfig = $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: theirs
              cluster: {server: "https://k8s.example.test:6443", certificate-authority-data: Q0E=}
            contexts:
            - name: theirs
              context: {cluster: theirs, user: exec}
            current-context: theirs
            users:
            - name: exec
              user:
                exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: /bin/sh, args: ["-c", "touch {{marker}}"]}
            """;
        // Attaching refuses it outright...
        var refused = await Assert.ThrowsAsync<DomainValidationException>(() =>
            Get<ClusterService>().AttachClusterAsync(owner, team.Slug, new AttachedCluster("theirs", EnvironmentName.Dev, kubeconfig, "1.34"), Ct));
        Assert.Contains("'exec'", Assert.Single(refused.Errors["kubeconfig"]));
        // ...and a row stored before that check existed is still never handed to the client library by the worker.
        var safe = kubeconfig[..kubeconfig.IndexOf("users:", StringComparison.Ordinal)] + "users:\n- name: exec\n  user: {token: abc}\n";
        var attached = await Get<ClusterService>().AttachClusterAsync(owner, team.Slug, new AttachedCluster("theirs", EnvironmentName.Dev, safe, "1.34"), Ct);
        var protectedExec = Get<KubeconfigProtector>().Protect(kubeconfig);
        await using (var db = Database.CreateContext())
            await db.Clusters.Where(c => c.Id == attached.Cluster.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.ProtectedKubeconfig, protectedExec), Ct);

        var view = await Addons.InstallAsync(owner, team.Slug, "theirs", new AddonInstallRequest("pipelines"), Ct);
        var failed = await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Failed);

        Assert.Contains("'exec'", failed!.LastError);
        Assert.False(File.Exists(marker), "the kubeconfig's exec command ran on the worker");
    }
}
