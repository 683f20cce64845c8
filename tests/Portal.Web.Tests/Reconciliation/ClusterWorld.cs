using System.Collections.Concurrent;
using Hangfire;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Core.Access;
using Portal.Core.Clusters;
using Portal.Core.Clusters.Reconciler;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Users;
using Portal.Emulator;
using Portal.Emulator.Kubernetes;
using Portal.Testing;
using Portal.Web.Tests.Host;

namespace Portal.Web.Tests.Reconciliation;

/// <summary>
/// Tests that start portal hosts with Hangfire servers. <c>AddHangfire</c> sets static globals, so they never run in
/// parallel with each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HangfireCollection
{
    public const string Name = "Hangfire hosts";
}

/// <summary>
/// One test's world: the cloud emulator over HTTP, a PostgreSQL database, and worker hosts (the real portal with
/// the worker role, in AWS mode pointed at the emulator) that can be stopped and started at will. A team with a dev
/// environment in its own emulated account is ready to ask for clusters.
/// </summary>
public sealed class ClusterWorld : IAsyncDisposable
{
    public const string Account = "333333333333";
    public const string RoleName = "unicron-provisioner";
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly List<PortalHostFactory> _hosts = [];
    private readonly string _connectionString;
    private readonly IDictionary<string, string?> _settings;

    private readonly Action<ILoggingBuilder>? _logging;
    private readonly TimeProvider? _clock;

    private ClusterWorld(EmulatorHost emulator, string connectionString, IDictionary<string, string?> settings, Action<ILoggingBuilder>? logging, TimeProvider? clock)
    {
        Emulator = emulator;
        _connectionString = connectionString;
        _settings = settings;
        _logging = logging;
        _clock = clock;
    }

    public EmulatorHost Emulator { get; }

    /// <summary>Claim and release lines of every host's reconciler, in the order they were logged.</summary>
    public ConcurrentQueue<(DateTimeOffset At, string Host, EventId Event, string Message)> ReconcilerLog { get; } = new();

    public PortalActor Owner { get; private set; } = null!;
    public string OwnerEmail { get; private set; } = null!;
    public Team Team { get; private set; } = null!;

    public ClusterService Clusters => Services.GetRequiredService<ClusterService>();

    /// <summary>The services of the most recently started host.</summary>
    public IServiceProvider Services => _hosts.Last().Services;

    /// <param name="logging">Extra logging set-up for every worker host (the secrets suite captures all of it).</param>
    /// <param name="clock">
    /// One clock for the portal's workers and the emulator (a <see cref="TestClock"/> to jump through a day): SigV4
    /// signatures and session expiry compare both sides' time, so they must agree.
    /// </param>
    public static async Task<ClusterWorld> CreateAsync(LifecycleOptions? lifecycle = null, IDictionary<string, string?>? settings = null,
        Action<ILoggingBuilder>? logging = null, TimeProvider? clock = null)
    {
        var emulator = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Port = 0,
            TimeProvider = clock,
            // The AWS SDK signs STS calls with the machine's time, whatever the test clock says.
            MaxClockSkew = clock is null ? TimeSpan.FromMinutes(15) : TimeSpan.FromDays(3650),
            Lifecycle = lifecycle ?? LifecycleOptions.Instant,
            Kubernetes = new KubernetesEmulatorOptions
            {
                ApplicationSyncDelay = TimeSpan.FromMilliseconds(100),
                DeploymentReadyDelay = TimeSpan.Zero,
                NamespaceDeletionDelay = TimeSpan.Zero,
            },
        });
        var all = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["Cloud:Mode"] = "Aws",
            ["Cloud:EksEndpoint"] = emulator.BaseAddress.ToString().TrimEnd('/'),
            ["Cloud:StsEndpoint"] = emulator.BaseAddress.ToString().TrimEnd('/'),
            ["Cloud:AccessKeyId"] = emulator.PrimaryAccount.AccessKeyId,
            ["Cloud:SecretAccessKey"] = emulator.PrimaryAccount.SecretAccessKey,
            ["Cloud:Region"] = "us-east-1",
            // The EKS client gives up quickly, so bursts of faults reach the reconciler's own backoff.
            ["Cloud:MaxAttempts"] = "2",
            ["Cloud:RetryBaseDelay"] = "00:00:00.020",
            ["Cloud:RetryMaxDelay"] = "00:00:00.100",
            ["Reconciliation:PollInterval"] = "00:00:00.150",
            ["Reconciliation:BaseBackoff"] = "00:00:00.150",
            ["Reconciliation:MaxBackoff"] = "00:00:01",
            ["Reconciliation:LeaseDuration"] = "00:00:04",
            ["Reconciliation:ResyncInterval"] = "00:00:01",
            ["Jobs:SchedulePollingInterval"] = "00:00:00.150",
            ["Jobs:ShutdownTimeout"] = "00:00:05",
            ["Jobs:WorkerCount"] = "4",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        var world = new ClusterWorld(emulator, await PostgresServer.CreateEmptyDatabaseAsync(), all, logging, clock);
        await world.StartWorkerAsync();
        await world.ArrangeTeamAsync();
        return world;
    }

    /// <summary>Starts another portal process with the worker role on the same database.</summary>
    public async Task<PortalHostFactory> StartWorkerAsync()
    {
        var name = $"worker-{_hosts.Count + 1}";
        var settings = new Dictionary<string, string?>(_settings) { ["ConnectionStrings:Portal"] = _connectionString };
        var host = new PortalHostFactory("Testing", settings, builder =>
        {
            builder.ConfigureLogging(logging =>
            {
                logging.AddProvider(new ReconcilerLogSink(name, ReconcilerLog));
                logging.AddFilter<ReconcilerLogSink>(typeof(ClusterReconciler).FullName, LogLevel.Debug);
                _logging?.Invoke(logging);
            });
            if (_clock is { } clock) builder.ConfigureTestServices(services => services.AddSingleton(clock));
        });
        _hosts.Add(host);
        // Building the host starts it: migrations, then the Hangfire server.
        _ = host.Server;
        await Task.Yield();
        return host;
    }

    /// <summary>Stops a worker as an orchestrator would (SIGTERM): Hangfire cancels running jobs, the host waits for them.</summary>
    public async Task StopWorkerAsync(PortalHostFactory host)
    {
        _hosts.Remove(host);
        await host.DisposeAsync();
    }

    public IReadOnlyList<PortalHostFactory> Workers => _hosts;

    private async Task ArrangeTeamAsync()
    {
        var email = $"owner-{Guid.NewGuid():N}"[..20] + "@example.com";
        var user = await Services.GetRequiredService<UserService>().SignInAsync(new SignInIdentity($"sub-{email}", email, "Owner", []), default);
        Owner = PortalActors.For(user);
        OwnerEmail = email;
        var slug = $"t-{Guid.NewGuid():N}"[..10];
        Team = (await Services.GetRequiredService<TeamService>().CreateTeamAsync(Owner, new NewTeam(slug, $"Team {slug}", null, "CC-42"), default)).Team;
        var environment = await Services.GetRequiredService<EnvironmentService>().RegisterAsync(Owner, Team.Slug,
            new NewEnvironment(EnvironmentName.Dev, Account, "us-east-1", $"arn:aws:iam::{Account}:role/{RoleName}", null), default);
        // What the account owner does with the external id the portal showed once: trust the platform account.
        Emulator.RegisterRole(Account, RoleName, environment.ExternalId, Emulator.PrimaryAccount.Id);
    }

    /// <summary>Another person of the team, signed in once and added by the owner with <paramref name="role"/>.</summary>
    public async Task<(PortalActor Actor, string Email)> MemberAsync(TeamRole role)
    {
        var email = $"member-{Guid.NewGuid():N}"[..20] + "@example.com";
        var user = await Services.GetRequiredService<UserService>().SignInAsync(new SignInIdentity($"sub-{email}", email, "Member", []), default);
        await Services.GetRequiredService<MemberService>().AddMemberAsync(Owner, Team.Slug, email, role, default);
        return (PortalActors.For(user), email);
    }

    /// <summary>The environment's external id, as the account owner was shown it.</summary>
    public async Task<string> ExternalIdAsync() =>
        (await Services.GetRequiredService<EnvironmentService>().GetAsync(Owner, Team.Slug, EnvironmentName.Dev, default)).ExternalId;

    public static NodePoolSpec Pool(string name = "general", string type = "m5.large", int min = 1, int desired = 2, int max = 3,
        CapacityType capacity = CapacityType.OnDemand) => new(name, [type], capacity, min, desired, max);

    public Task<ClusterView> RequestAsync(string name = "main", string version = "1.34", params NodePoolSpec[] pools) =>
        Clusters.RequestClusterAsync(Owner, Team.Slug, new NewCluster(name, EnvironmentName.Dev, pools.Length == 0 ? [Pool()] : pools, version), default);

    /// <summary>
    /// A spec write as a client without If-Match makes it: the reconciler's status writes bump the row version, so a
    /// write that loses that race is answered 412 and the client reads again and retries.
    /// </summary>
    public async Task<ClusterView> RetryOnConflictAsync(Func<Task<ClusterView>> write)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write();
            }
            catch (Portal.Core.Common.PreconditionFailedException) when (attempt < 20)
            {
                await Task.Delay(50);
            }
        }
    }

    public PortalDbContext CreateContext() => PostgresServer.CreateContext(_connectionString);

    public async Task<Cluster?> FindAsync(Guid id)
    {
        await using var db = CreateContext();
        return await db.Clusters.AsNoTracking().Include(c => c.NodePools).FirstOrDefaultAsync(c => c.Id == id);
    }

    public async Task<List<ResourceEvent>> EventsAsync(Guid id)
    {
        await using var db = CreateContext();
        return await db.ResourceEvents.AsNoTracking().Where(e => e.ResourceId == id).OrderBy(e => e.Id).ToListAsync();
    }

    /// <summary>Polls the row until <paramref name="done"/> holds (or the row is gone when it is null).</summary>
    public async Task<Cluster?> WaitForAsync(Guid id, Func<Cluster?, bool> done, TimeSpan? patience = null)
    {
        var deadline = DateTimeOffset.UtcNow + (patience ?? Patience);
        Cluster? cluster = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            cluster = await FindAsync(id);
            if (done(cluster)) return cluster;
            await Task.Delay(100);
        }
        var events = string.Join("\n", (await EventsAsync(id)).Select(e => $"  {e.Step} {e.Outcome}: {e.Message}"));
        throw new TimeoutException($"Cluster {id} did not get there: phase {cluster?.Phase}, message '{cluster?.Message}', " +
                                   $"last error '{cluster?.LastError}'.\nEvents:\n{events}");
    }

    public Task<Cluster> WaitForReadyAsync(Guid id, long generation = 1) =>
        WaitForAsync(id, c => c is { Phase: ClusterPhase.Ready } && c.ObservedGeneration >= generation)!;

    /// <summary>Waits until the emulator has answered <paramref name="operation"/> at least <paramref name="count"/> times.</summary>
    public async Task WaitForCallsAsync(string service, string operation, int count = 1)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (Emulator.Calls.Count(service, operation) < count)
        {
            if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException($"No {count} {service} {operation} call(s) within {Patience}.");
            await Task.Delay(20);
        }
    }

    public IBackgroundJobClient Jobs => Services.GetRequiredService<IBackgroundJobClient>();

    /// <summary>A Kubernetes client for a ready cluster, built the way the portal builds it (assumed role, EKS token, cluster CA).</summary>
    public async Task<k8s.IKubernetes> KubernetesAsync(Cluster cluster)
    {
        var environment = await Services.GetRequiredService<EnvironmentService>().GetAsync(Owner, Team.Slug, EnvironmentName.Dev, default);
        var session = await Services.GetRequiredService<Portal.Core.Cloud.Aws.AwsSessions>()
            .AssumeAsync(environment.ProvisionerRoleArn, environment.ExternalId, "us-east-1", "test", default);
        return Services.GetRequiredService<Portal.Core.Cloud.Kubernetes.KubernetesClientFactory>()
            .Create(session, cluster.EksName, cluster.KubernetesEndpoint!, cluster.CertificateAuthority!);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts.ToList()) await host.DisposeAsync();
        await Emulator.DisposeAsync();
    }

    private sealed class ReconcilerLogSink(string host, ConcurrentQueue<(DateTimeOffset, string, EventId, string)> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(host, categoryName == typeof(ClusterReconciler).FullName ? lines : null);

        public void Dispose() { }

        private sealed class Logger(string host, ConcurrentQueue<(DateTimeOffset, string, EventId, string)>? lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => lines is not null;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (lines is null) return;
                if (eventId.Id == ClusterReconciler.RunStarted.Id || eventId.Id == ClusterReconciler.RunEnded.Id)
                    lines.Enqueue((DateTimeOffset.UtcNow, host, eventId, formatter(state, exception)));
            }
        }
    }
}
