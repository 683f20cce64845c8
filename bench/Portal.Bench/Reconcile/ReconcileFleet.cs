using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tokens;
using Portal.Core.Users;
using Portal.Emulator;
using Portal.Emulator.Kubernetes;
using Portal.Testing;

namespace Portal.Bench.Reconcile;

/// <summary>How big a fleet is: teams, each with a dev environment in its own AWS account holding its clusters.</summary>
public sealed record FleetSize(int Teams, int ClustersPerTeam, int AddonsPerCluster)
{
    /// <summary>The fleet (1,000 clusters with 2 node pools, 10,000 add-ons) times <paramref name="scale"/>, in whole teams of 10 clusters.</summary>
    public static FleetSize For(double scale) => new(Math.Max(1, (int)Math.Round(100 * scale)), 10, 10);

    public int Clusters => Teams * ClustersPerTeam;

    public int Addons => Clusters * AddonsPerCluster;

    public override string ToString() => $"{Clusters:N0} clusters, {Addons:N0} add-ons";
}

/// <summary>
/// One benchmark fleet: the cloud emulator in this process (instant lifecycles, every Kubernetes controller delay zero),
/// a fresh PostgreSQL database, the portal's API as its own OS process, and worker processes that can be replaced. Teams,
/// environments and an access token are seeded with the Core services; clusters and add-ons go through the REST API
/// with that token, as a script would create them.
/// </summary>
public sealed class ReconcileFleet : IAsyncDisposable
{
    public const string RoleName = "unicron-provisioner";

    /// <summary>The add-ons every cluster gets: catalogue entries without requirements whose names do not collide with the core components.</summary>
    public static readonly string[] AddonIds =
    [
        "airflow", "argo-workflows", "cert-manager", "dask", "jupyterhub",
        "kubeflow-notebooks", "luigi", "kubeflow-training-operator", "mlflow", "spark-operator",
    ];

    private static int _counter;
    private readonly BenchContext _context;
    private readonly string _adminConnectionString;
    private readonly string _database;
    private readonly string _keysPath;
    private readonly List<PortalProcess> _workers = [];
    private PortalProcess? _api;
    private HttpClient? _http;

    private ReconcileFleet(BenchContext context, FleetSize size, EmulatorHost emulator, string adminConnectionString, string database)
    {
        _context = context;
        Size = size;
        Emulator = emulator;
        _adminConnectionString = adminConnectionString;
        _database = database;
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database, MaxPoolSize = 20 }.ConnectionString;
        _keysPath = Path.Combine(Path.GetTempPath(), $"portal-bench-keys-{Environment.ProcessId}-{database}");
    }

    public FleetSize Size { get; }

    public EmulatorHost Emulator { get; }

    public string ConnectionString { get; }

    public IReadOnlyList<(string Team, string Cluster)> Clusters { get; private set; } = [];

    public IReadOnlyList<PortalProcess> Workers => _workers;

    /// <summary>Emulator, database, API process and the seeded teams; no workers yet.</summary>
    public static async Task<ReconcileFleet> CreateAsync(BenchContext context, FleetSize size, CancellationToken ct)
    {
        var emulator = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Port = 0,
            Lifecycle = LifecycleOptions.Instant,
            MaxClustersPerRegion = 1000,
            Kubernetes = new KubernetesEmulatorOptions
            {
                ApplicationSyncDelay = TimeSpan.Zero,
                DeploymentReadyDelay = TimeSpan.Zero,
                JobCompletionDelay = TimeSpan.Zero,
                NamespaceDeletionDelay = TimeSpan.Zero,
                ScaledObjectReadyDelay = TimeSpan.Zero,
            },
        }, ct);
        var database = $"portal_bench_rec_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
        await ExecuteAsync(context.Settings.PostgresConnectionString, $"CREATE DATABASE \"{database}\"", ct);
        var fleet = new ReconcileFleet(context, size, emulator, context.Settings.PostgresConnectionString, database);
        try
        {
            await fleet.StartApiAsync(ct);
            await fleet.SeedAsync(ct);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    private Dictionary<string, string> CommonSettings(string role) => new()
    {
        ["Portal:Roles"] = role,
        ["Urls"] = $"http://127.0.0.1:{PostgresServer.FreePort()}",
        ["Database:Provider"] = "Postgres",
        ["ConnectionStrings:Portal"] = ConnectionString,
        ["DataProtection:KeysPath"] = _keysPath,
        ["Cloud:Mode"] = "Aws",
        ["Cloud:EksEndpoint"] = Emulator.BaseAddress.ToString().TrimEnd('/'),
        ["Cloud:StsEndpoint"] = Emulator.BaseAddress.ToString().TrimEnd('/'),
        ["Cloud:AccessKeyId"] = Emulator.PrimaryAccount.AccessKeyId!,
        ["Cloud:SecretAccessKey"] = Emulator.PrimaryAccount.SecretAccessKey!,
        ["Cloud:Region"] = "us-east-1",
        ["Clusters:MaxClustersPerEnvironment"] = Size.ClustersPerTeam.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        // One script token creates the whole fleet (11,000 requests at full size): far beyond a person's budget.
        ["RateLimiting:PermitsPerMinute"] = "1000000",
        ["RateLimiting:Burst"] = "1000000",
    };

    private async Task StartApiAsync(CancellationToken ct)
    {
        var settings = CommonSettings("api");
        _api = PortalProcess.Start($"api-{_database}", settings);
        _http = new HttpClient { BaseAddress = new Uri(settings["Urls"] + "/"), Timeout = TimeSpan.FromSeconds(60) };
        // The API process applies the migrations at start; it answers /readyz once it serves.
        await WaitUntilAsync(async () =>
        {
            if (_api.HasExited) throw new InvalidOperationException($"The API process exited:\n{_api.Tail()}");
            try
            {
                return (await _http.GetAsync("readyz", ct)).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90), "the API process to be ready", ct);
    }

    /// <summary>Teams, their dev environments (one emulated account each, role trusted by the platform account) and a token.</summary>
    private async Task SeedAsync(CancellationToken ct)
    {
        await using var services = PortalServices.Create(PostgresServer.Options(ConnectionString),
            s => s.Replace(ServiceDescriptor.Singleton(TimeProvider.System)));
        var user = await services.GetRequiredService<UserService>().SignInAsync(
            new SignInIdentity("bench|owner", "owner@bench.example", "Bench Owner", []), ct);
        var actor = PortalActors.For(user);
        var clusters = new List<(string, string)>();
        for (var i = 0; i < Size.Teams; i++)
        {
            var slug = $"bench-{i:D3}";
            await services.GetRequiredService<TeamService>().CreateTeamAsync(actor, new NewTeam(slug, $"Bench {i}", null, "CC-BENCH"), ct);
            var account = (400000000000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var environment = await services.GetRequiredService<EnvironmentService>().RegisterAsync(actor, slug,
                new NewEnvironment(EnvironmentName.Dev, account, "us-east-1", $"arn:aws:iam::{account}:role/{RoleName}", null), ct);
            Emulator.RegisterRole(account, RoleName, environment.ExternalId, Emulator.PrimaryAccount.Id);
            for (var c = 0; c < Size.ClustersPerTeam; c++) clusters.Add((slug, $"c{c:D2}"));
        }
        Clusters = clusters;
        var token = await services.GetRequiredService<TokenService>().CreateAsync(actor,
            new NewToken("bench", TokenScopes.Read | TokenScopes.Write, DateTimeOffset.UtcNow.AddDays(1)), ct);
        _http!.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Secret);
    }

    /// <summary>Starts a worker process (Hangfire server, recurring resync) with these reconcile timings.</summary>
    public PortalProcess StartWorker(TimeSpan resyncInterval, int workerCount)
    {
        var settings = CommonSettings("worker");
        settings["Database:MigrateOnStartup"] = "false";
        // Instant lifecycles: the poll interval is how long a run waits to look again, not how long EKS takes.
        settings["Reconciliation:PollInterval"] = "00:00:00.500";
        settings["Reconciliation:ResyncInterval"] = resyncInterval.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        settings["Jobs:SchedulePollingInterval"] = "00:00:00.500";
        settings["Jobs:WorkerCount"] = workerCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var worker = PortalProcess.Start($"worker{_workers.Count + 1}-{_database}", settings);
        _workers.Add(worker);
        return worker;
    }

    public async Task StopWorkersAsync()
    {
        foreach (var worker in _workers) await worker.DisposeAsync();
        _workers.Clear();
    }

    /// <summary>POSTs every cluster (two node pools each) to the API, a few at a time.</summary>
    public async Task CreateClustersAsync(CancellationToken ct)
    {
        const string pools = """
            [{"name":"general","instanceTypes":["m5.large"],"minSize":1,"desiredSize":2,"maxSize":5},
             {"name":"spot","instanceTypes":["m5.xlarge"],"minSize":0,"desiredSize":1,"maxSize":10,"capacityType":"spot"}]
            """;
        await Parallel.ForEachAsync(Clusters, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (c, token) =>
            await PostAsync($"api/v1/teams/{c.Team}/clusters", $$"""{"name":"{{c.Cluster}}","environment":"dev","nodePools":{{pools}}}""", token));
    }

    /// <summary>POSTs every add-on installation of every cluster to the API (clusters must be Ready).</summary>
    public async Task InstallAddonsAsync(CancellationToken ct)
    {
        var installs = Clusters.SelectMany(c => AddonIds.Take(Size.AddonsPerCluster).Select(a => (c.Team, c.Cluster, Addon: a)));
        await Parallel.ForEachAsync(installs, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
            await PostAsync($"api/v1/teams/{i.Team}/clusters/{i.Cluster}/addons", $$"""{"addonId":"{{i.Addon}}"}""", token));
    }

    private async Task PostAsync(string path, string json, CancellationToken ct)
    {
        using var response = await _http!.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), ct);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }

    public async Task<(int Ready, int Failed)> ClusterCountsAsync(CancellationToken ct)
    {
        await using var db = PostgresServer.CreateContext(ConnectionString);
        var ready = await db.Clusters.CountAsync(c => c.Phase == ClusterPhase.Ready && c.ObservedGeneration == c.Generation, ct);
        var failed = await db.Clusters.CountAsync(c => c.Phase == ClusterPhase.Failed, ct);
        return (ready, failed);
    }

    public async Task<(int Healthy, int Failed)> AddonCountsAsync(CancellationToken ct)
    {
        await using var db = PostgresServer.CreateContext(ConnectionString);
        var healthy = await db.AddonInstallations.CountAsync(a => a.Phase == AddonPhase.Healthy && a.ObservedGeneration == a.Generation, ct);
        var failed = await db.AddonInstallations.CountAsync(a => a.Phase == AddonPhase.Failed, ct);
        return (healthy, failed);
    }

    /// <summary>Polls until <paramref name="count"/> reports everything converged; throws with the numbers when something failed or time ran out.</summary>
    public async Task WaitConvergedAsync(string what, int total, Func<CancellationToken, Task<(int Done, int Failed)>> count, TimeSpan patience, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var lastReport = Stopwatch.StartNew();
        while (true)
        {
            var (done, failed) = await count(ct);
            if (done >= total) return;
            if (failed > 0) throw new InvalidOperationException($"{failed} {what} failed ({done}/{total} converged); see the database {_database}");
            foreach (var worker in _workers.Where(w => w.HasExited))
                throw new InvalidOperationException($"Worker {worker.Name} exited:\n{worker.Tail()}");
            if (deadline.Elapsed > patience) throw new TimeoutException($"Only {done}/{total} {what} converged within {patience.TotalSeconds:0} s");
            if (lastReport.Elapsed > TimeSpan.FromSeconds(15))
            {
                _context.Log.WriteLine($"    … {done}/{total} {what} after {deadline.Elapsed.TotalSeconds:0} s");
                lastReport.Restart();
            }
            await Task.Delay(250, ct);
        }
    }

    /// <summary>The newest Hangfire job id: jobs after it were created from now on.</summary>
    public async Task<long> LastJobIdAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT coalesce(max(id), 0) FROM hangfire.job", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Jobs of <paramref name="type"/> (a class name) created after <paramref name="afterId"/> that ran to success.</summary>
    public async Task<int> SucceededJobsSinceAsync(long afterId, string type, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM hangfire.job WHERE id > @after AND statename = 'Succeeded' AND invocationdata->>'Type' LIKE @type", connection);
        command.Parameters.AddWithValue("after", afterId);
        command.Parameters.AddWithValue("type", $"%.{type},%");
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Jobs created after <paramref name="afterId"/> by class and method, most first: where a convergence's job traffic goes.</summary>
    public async Task<IReadOnlyList<(string Job, int Count)>> JobsSinceAsync(long afterId, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            SELECT regexp_replace(invocationdata->>'Type', '^.*\.([^.,]+),.*$', '\1') || '.' || (invocationdata->>'Method'), count(*)
            FROM hangfire.job WHERE id > @after GROUP BY 1 ORDER BY 2 DESC
            """, connection);
        command.Parameters.AddWithValue("after", afterId);
        var jobs = new List<(string, int)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) jobs.Add((reader.GetString(0), (int)reader.GetInt64(1)));
        return jobs;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan patience, string what, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > patience) throw new TimeoutException($"Gave up waiting for {what} after {patience.TotalSeconds:0} s");
            await Task.Delay(200, ct);
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await StopWorkersAsync();
        if (_api is not null) await _api.DisposeAsync();
        _http?.Dispose();
        await Emulator.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        try
        {
            await ExecuteAsync(_adminConnectionString, $"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            _context.Log.WriteLine($"    (could not drop {_database}: {e.Message})");
        }
        try
        {
            Directory.Delete(_keysPath, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
