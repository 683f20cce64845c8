using System.Text.Json.Nodes;
using Hangfire;
using k8s;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Access;
using Portal.Core.Addons.Catalog;
using Portal.Core.Addons.Installations;
using Portal.Core.Addons.Installations.Reconciler;
using Portal.Core.Cloud;
using Portal.Core.Cloud.Aws;
using Portal.Core.Cloud.Kubernetes;
using Portal.Core.Clusters;
using Portal.Core.Clusters.Bootstrap;
using Portal.Core.Clusters.Reconciler;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Reconciliation;
using Portal.Core.Teams;
using Portal.Core.Tests.Clusters;
using Portal.Core.Tests.Infrastructure;
using Portal.Emulator;
using Portal.Emulator.Kubernetes;
using Portal.Testing;

namespace Portal.Core.Tests.Addons;

/// <summary>
/// The cloud emulator for the add-on tests: instant EKS, a quick simulated Argo CD (so an Application settles within
/// a few hundred milliseconds), the Argo CD CRDs validating every Application the portal sends. One per test class.
/// </summary>
public sealed class AddonCloud : IAsyncLifetime
{
    public const string Account = "444444444444";
    public const string RoleName = "unicron-provisioner";

    public EmulatorHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await EmulatorHost.StartAsync(new EmulatorOptions
    {
        Port = 0,
        Lifecycle = LifecycleOptions.Instant,
        Kubernetes = new KubernetesEmulatorOptions
        {
            ApplicationSyncDelay = TimeSpan.FromMilliseconds(50),
            DeploymentReadyDelay = TimeSpan.Zero,
            NamespaceDeletionDelay = TimeSpan.Zero,
        },
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Base of the add-on tests: the real services on PostgreSQL, the real cluster and add-on reconcilers against the
/// emulator over HTTP (driven run by run, so each test sees every step), a small in-memory catalogue, and job
/// enqueues recorded instead of run.
/// </summary>
public abstract class AddonTests(PostgresDatabaseFixture database, AddonCloud cloud) : ServiceTests(database)
{
    public const string ChartsRepo = "https://community-charts.github.io/helm-charts";

    protected AddonCloud Cloud => cloud;
    protected AddonService Addons => Get<AddonService>();
    protected AddonReconciler Reconciler => Get<AddonReconciler>();
    protected RecordingJobClient Jobs => (RecordingJobClient)Get<IBackgroundJobClient>();

    protected override void Configure(IServiceCollection services)
    {
        services.AddSingleton<IBackgroundJobClient, RecordingJobClient>();
        // Real time: SigV4 and EKS tokens are checked against the emulator's clock.
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Catalog);
        services.AddPortalCloud();
        services.Configure<CloudOptions>(o =>
        {
            o.EksEndpoint = cloud.Host.BaseAddress.ToString().TrimEnd('/');
            o.StsEndpoint = cloud.Host.BaseAddress.ToString().TrimEnd('/');
            o.AccessKeyId = cloud.Host.PrimaryAccount.AccessKeyId;
            o.SecretAccessKey = cloud.Host.PrimaryAccount.SecretAccessKey;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(100);
            o.MaxAttempts = 2;
        });
        services.AddClusterReconciler();
        services.AddAddonReconciler();
        services.Configure<ReconciliationOptions>(o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(100);
            o.BaseBackoff = TimeSpan.FromMilliseconds(100);
            o.LeaseDuration = TimeSpan.FromSeconds(10);
        });
    }

    /// <summary>The catalogue the services use: the small one below, unless a test class needs the shipped one.</summary>
    protected virtual AddonCatalog Catalog => TestCatalog();

    // ---- the catalogue of these tests ----

    private static readonly JsonObject TrackerSchema = JsonNode.Parse("""
        {
          "type": "object",
          "properties": {
            "tracking": { "type": "object", "properties": { "replicas": { "type": "integer", "minimum": 1 } } },
            "ingress": { "type": "object", "properties": { "enabled": { "type": "boolean" } } }
          }
        }
        """)!.AsObject();

    private static AddonVersion Helm(string version, Maturity maturity, string chart, string repo = ChartsRepo, string ns = "addons",
        JsonObject? defaults = null, JsonObject? schema = null, IReadOnlyList<AddonRequirement>? requires = null,
        IReadOnlyList<string>? provides = null) =>
        new(version, maturity, new AddonSource(new HelmSource(repo, chart, version), null), ns, defaults ?? [], null, schema,
            requires ?? [], new KubernetesVersion(1, 30), null, provides ?? [], [], $"Release {version}.");

    private static AddonEntry Entry(string id, AddonCategory category, params AddonVersion[] versions) =>
        new(id, id, category, $"The {id} add-on.", new Uri($"https://example.com/{id}"), "Extension", versions);

    /// <summary>
    /// tracker: an MLflow-like chart the simulated Argo CD resolves, with a values schema (stable 1.0.0 and 0.9.0, alpha 2.0.0).
    /// broken: a chart no repository has. base / needs-base: a requirement. metrics-a / metrics-b: both provide the
    /// external metrics adapter. pipelines: a Git (kustomize) source.
    /// </summary>
    public static AddonCatalog TestCatalog() => new([
        Entry("tracker", AddonCategory.MlLifecycle,
            Helm("2.0.0", Maturity.Alpha, "mlflow", defaults: JsonObject("""{"tracking":{"replicas":1}}"""), schema: TrackerSchema),
            Helm("1.0.0", Maturity.Stable, "mlflow", defaults: JsonObject("""{"tracking":{"replicas":1}}"""), schema: TrackerSchema),
            Helm("0.9.0", Maturity.Stable, "mlflow", defaults: JsonObject("""{"tracking":{"replicas":1}}"""), schema: TrackerSchema)),
        Entry("broken", AddonCategory.Monitoring, Helm("0.1.0", Maturity.Stable, "no-such-chart", repo: "https://charts.example.com/nothing")),
        Entry("base", AddonCategory.DataProcessing, Helm("1.0.0", Maturity.Stable, "spark-operator", repo: "https://kubeflow.github.io/spark-operator")),
        Entry("needs-base", AddonCategory.Orchestration,
            Helm("1.0.0", Maturity.Stable, "argo-workflows", repo: "https://argoproj.github.io/argo-helm", requires: [new AddonRequirement("base", ">=1.0.0")])),
        Entry("metrics-a", AddonCategory.Monitoring,
            Helm("1.0.0", Maturity.Stable, "keda", repo: "https://kedacore.github.io/charts", provides: ["external-metrics-adapter"])),
        Entry("metrics-b", AddonCategory.Monitoring,
            Helm("1.0.0", Maturity.Stable, "datadog", repo: "https://helm.datadoghq.com", provides: ["external-metrics-adapter"])),
        Entry("pipelines", AddonCategory.Orchestration,
            new AddonVersion("2.16.0", Maturity.Stable, new AddonSource(null, new GitSource("https://github.com/kubeflow/pipelines", "manifests/kustomize/env/platform-agnostic", "2.16.0")),
                "kubeflow", [], null, null, [], null, null, [], [], "Kubeflow Pipelines 2.16.0.")),
    ]);

    protected static JsonObject JsonObject(string json) => JsonNode.Parse(json)!.AsObject();

    // ---- arranging teams and clusters ----

    /// <summary>A team owned by a new person, with a dev environment in the emulator's account (its role trusts the platform).</summary>
    protected async Task<(PortalActor Owner, Team Team)> TeamAsync(params EnvironmentName[] environments)
    {
        var (_, owner) = await SignInAsync("owner");
        var team = await CreateTeamAsync(owner, "addons");
        foreach (var name in environments.Length == 0 ? [EnvironmentName.Dev] : environments)
        {
            // One role per environment: each has its own external id in the role's trust policy.
            var role = $"{AddonCloud.RoleName}-{name.ToString().ToLowerInvariant()}";
            var environment = await Environments.RegisterAsync(owner, team.Slug,
                new NewEnvironment(name, AddonCloud.Account, "us-east-1", $"arn:aws:iam::{AddonCloud.Account}:role/{role}", null), Ct);
            cloud.Host.RegisterRole(AddonCloud.Account, role, environment.ExternalId, cloud.Host.PrimaryAccount.Id);
        }
        return (owner, team);
    }

    /// <summary>A cluster row marked Ready without provisioning: for the service's checks, which never touch the cloud.</summary>
    protected async Task<Cluster> ReadyRowAsync(Team team, EnvironmentName environment, string name)
    {
        await using var db = Database.CreateContext();
        var env = await db.Environments.SingleAsync(e => e.TeamId == team.Id && e.Name == environment, Ct);
        var cluster = new Cluster
        {
            TeamId = team.Id, EnvironmentId = env.Id, Name = name, EksName = $"{team.Slug}-{name}", KubernetesVersion = "1.34", CurrentVersion = "1.34",
            Generation = 1, ObservedGeneration = 1, Phase = ClusterPhase.Ready, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        };
        db.Clusters.Add(cluster);
        await db.SaveChangesAsync(Ct);
        return cluster;
    }

    /// <summary>A managed cluster provisioned for real by the cluster reconciler against the emulator, run by run until Ready.</summary>
    protected async Task<Cluster> ProvisionedClusterAsync(PortalActor owner, Team team, string name = "main")
    {
        var view = await Get<ClusterService>().RequestClusterAsync(owner, team.Slug,
            new NewCluster(name, EnvironmentName.Dev, [new NodePoolSpec("general", ["m5.large"], CapacityType.OnDemand, 1, 1, 2)], "1.34"), Ct);
        var reconciler = Get<ClusterReconciler>();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (DateTimeOffset.UtcNow < deadline)
        {
            await reconciler.ReconcileAsync(view.Cluster.Id, Ct);
            await using var db = Database.CreateContext();
            var cluster = await db.Clusters.AsNoTracking().SingleAsync(c => c.Id == view.Cluster.Id, Ct);
            if (cluster.Phase == ClusterPhase.Ready) return cluster;
            if (cluster.Phase == ClusterPhase.Failed) throw new InvalidOperationException($"The cluster failed: {cluster.LastError}");
            await Task.Delay(100);
        }
        throw new TimeoutException("The cluster did not become Ready.");
    }

    /// <summary>A Kubernetes client for the emulated cluster, as the portal builds it (EKS token from the environment's role).</summary>
    protected async Task<IKubernetes> KubernetesAsync(Cluster cluster)
    {
        await using var db = Database.CreateContext();
        var environment = await db.Environments.AsNoTracking().SingleAsync(e => e.Id == cluster.EnvironmentId, Ct);
        var session = await Get<AwsSessions>().AssumeAsync(environment.ProvisionerRoleArn, environment.ExternalId, environment.Region, "test", Ct);
        return Get<KubernetesClientFactory>().Create(session, cluster.EksName, cluster.KubernetesEndpoint!, cluster.CertificateAuthority!);
    }

    protected static Task<JsonObject?> ApplicationAsync(IKubernetes client, string name) =>
        client.GetAsync(BootstrapManifests.ApplicationApiVersion, "Application", name, BootstrapManifests.ArgoNamespace, Ct);

    protected async Task<AddonInstallation?> RowAsync(Guid id)
    {
        await using var db = Database.CreateContext();
        return await db.AddonInstallations.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, Ct);
    }

    protected async Task<List<ResourceEvent>> EventsAsync(Guid id)
    {
        await using var db = Database.CreateContext();
        return await db.ResourceEvents.AsNoTracking().Where(e => e.ResourceId == id).OrderBy(e => e.Id).ToListAsync(Ct);
    }

    /// <summary>Runs the add-on reconciler until <paramref name="done"/> holds for the row (null when the row is gone).</summary>
    protected async Task<AddonInstallation?> ReconcileUntilAsync(Guid id, Func<AddonInstallation?, bool> done, int seconds = 20)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(seconds);
        AddonInstallation? row = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            await Reconciler.ReconcileAsync(id, Ct);
            row = await RowAsync(id);
            if (done(row)) return row;
            await Task.Delay(60);
        }
        var events = string.Join("\n", (await EventsAsync(id)).Select(e => $"  {e.Step} {e.Outcome}: {e.Message}"));
        throw new TimeoutException($"Add-on {id} did not get there: phase {row?.Phase}, message '{row?.Message}', error '{row?.LastError}'.\n{events}");
    }
}
