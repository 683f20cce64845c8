using System.Collections.Concurrent;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Core.Access;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;
using Portal.Core.Teams;
using Portal.Core.Users;
using Portal.Emulator;
using Portal.Emulator.Kubernetes;
using Portal.Testing;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;

namespace Portal.Reliability.Tests.Infrastructure;

/// <summary>
/// Tests that start worker processes, a private PostgreSQL and Hangfire statics: one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection
{
    public const string Name = "Reliability worlds";
}

/// <summary>
/// One suite run's topology: a private PostgreSQL server (so it may be restarted without touching anyone else's), the
/// cloud emulator in this process (it outlives every worker), the portal's workers as separate OS processes, and the
/// real Core services here to ask for clusters, add-ons and endpoints as the API would. A team with a dev environment
/// in its own emulated account is ready.
/// </summary>
public sealed class ReliabilityWorld : IAsyncDisposable
{
    public const string Account = "444444444444";
    public const string RoleName = "unicron-provisioner";

    private readonly List<WorkerProcess> _workers = [];
    private readonly Dictionary<string, string> _workerSettings;
    private readonly ServiceProvider _services;
    private int _workerNumber;

    private ReliabilityWorld(PostgresInstance postgres, string connectionString, EmulatorHost emulator, PostgreSqlStorage jobs,
        ServiceProvider services, Dictionary<string, string> workerSettings, string logDirectory)
    {
        Postgres = postgres;
        ConnectionString = connectionString;
        Emulator = emulator;
        JobStorage = jobs;
        _services = services;
        _workerSettings = workerSettings;
        LogDirectory = logDirectory;
    }

    public PostgresInstance Postgres { get; }
    public string ConnectionString { get; }
    public EmulatorHost Emulator { get; }
    public PostgreSqlStorage JobStorage { get; }
    public string LogDirectory { get; }
    public PortalActor Owner { get; private set; } = null!;
    public string TeamSlug { get; private set; } = null!;

    public int WorkersStarted { get; private set; }
    public int WorkersKilled { get; private set; }

    public ClusterService Clusters => _services.GetRequiredService<ClusterService>();
    public AddonService Addons => _services.GetRequiredService<AddonService>();
    public EndpointService Endpoints => _services.GetRequiredService<EndpointService>();

    /// <param name="settings">Worker settings on top of the fast defaults (faults tests slow the retries down).</param>
    public static async Task<ReliabilityWorld> CreateAsync(int faultSeed, IReadOnlyDictionary<string, string>? settings = null)
    {
        var postgres = await PostgresServer.StartPrivateServerAsync();
        EmulatorHost? emulator = null;
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString) { Database = "portal" }.ConnectionString;
            await using (var admin = new NpgsqlConnection(postgres.AdminConnectionString))
            {
                await admin.OpenAsync();
                await using var create = new NpgsqlCommand("CREATE DATABASE portal", admin);
                await create.ExecuteNonQueryAsync();
            }
            // Migrated here once: two workers starting together must not race each other's migrations.
            await using (var db = PostgresServer.CreateContext(connectionString)) await db.Database.MigrateAsync();

            emulator = await EmulatorHost.StartAsync(new EmulatorOptions
            {
                Port = 0,
                Lifecycle = LifecycleOptions.Instant,
                FaultSeed = faultSeed,
                Kubernetes = new KubernetesEmulatorOptions
                {
                    ApplicationSyncDelay = TimeSpan.FromMilliseconds(100),
                    DeploymentReadyDelay = TimeSpan.Zero,
                    NamespaceDeletionDelay = TimeSpan.Zero,
                },
            });

            // The same storage settings as the workers (schema, serializer), so this process enqueues what they run.
            GlobalConfiguration.Configuration
                .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            var storageOptions = new PostgreSqlStorageOptions { SchemaName = "hangfire", PrepareSchemaIfNecessary = true, EnableLongPolling = true };
            var jobs = new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, storageOptions), storageOptions);

            var services = PortalServices.Create(PostgresServer.Options(connectionString), s =>
            {
                s.AddSingleton<TimeProvider>(TimeProvider.System);
                s.AddSingleton<IBackgroundJobClient>(new BackgroundJobClient(jobs));
            }, new Dictionary<string, string?> { ["Clusters:MaxClustersPerEnvironment"] = "100" });

            var endpoint = emulator.BaseAddress.ToString().TrimEnd('/');
            var workerSettings = new Dictionary<string, string>
            {
                ["urls"] = "http://127.0.0.1:0",
                ["Portal:Roles"] = "worker",
                ["Database:Provider"] = "Postgres",
                ["Database:MigrateOnStartup"] = "false",
                ["ConnectionStrings:Portal"] = connectionString,
                ["DataProtection:KeysPath"] = Path.Combine(Path.GetTempPath(), $"portal-rel-keys-{Environment.ProcessId}"),
                ["Cloud:Mode"] = "Aws",
                ["Cloud:EksEndpoint"] = endpoint,
                ["Cloud:StsEndpoint"] = endpoint,
                ["Cloud:AccessKeyId"] = emulator.PrimaryAccount.AccessKeyId!,
                ["Cloud:SecretAccessKey"] = emulator.PrimaryAccount.SecretAccessKey!,
                ["Cloud:Region"] = "us-east-1",
                ["Cloud:MaxAttempts"] = "2",
                ["Cloud:RetryBaseDelay"] = "00:00:00.020",
                ["Cloud:RetryMaxDelay"] = "00:00:00.100",
                ["Reconciliation:PollInterval"] = "00:00:00.200",
                ["Reconciliation:BaseBackoff"] = "00:00:00.200",
                ["Reconciliation:MaxBackoff"] = "00:00:01.500",
                ["Reconciliation:LeaseDuration"] = "00:00:03",
                ["Reconciliation:ResyncInterval"] = "00:00:01",
                ["Jobs:SchedulePollingInterval"] = "00:00:00.200",
                ["Jobs:ShutdownTimeout"] = "00:00:02",
                ["Jobs:WorkerCount"] = "4",
                // A killed worker's fetched jobs go back to the queue this soon (live workers keep renewing theirs).
                ["Jobs:InvisibilityTimeout"] = "00:00:04",
                // ...and a Hangfire lock it held (schedule poller, recurring scheduler) is taken over this soon.
                ["Jobs:DistributedLockTimeout"] = "00:00:08",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Portal"] = "Information",
                ["Logging:LogLevel:Hangfire"] = "Information",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) workerSettings[key] = value;
            var logs = Path.Combine(Path.GetTempPath(), "portal-reliability", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
            var world = new ReliabilityWorld(postgres, connectionString, emulator, jobs, services, workerSettings, logs);
            await world.ArrangeTeamAsync();
            return world;
        }
        catch
        {
            if (emulator is not null) await emulator.DisposeAsync();
            await postgres.DisposeAsync();
            throw;
        }
    }

    private async Task ArrangeTeamAsync()
    {
        var email = $"owner-{Guid.NewGuid():N}"[..20] + "@example.com";
        var user = await _services.GetRequiredService<UserService>().SignInAsync(new SignInIdentity($"sub-{email}", email, "Owner", []), default);
        Owner = PortalActors.For(user);
        TeamSlug = $"t-{Guid.NewGuid():N}"[..10];
        await _services.GetRequiredService<TeamService>().CreateTeamAsync(Owner, new NewTeam(TeamSlug, $"Team {TeamSlug}", null, "CC-9"), default);
        var environment = await _services.GetRequiredService<EnvironmentService>().RegisterAsync(Owner, TeamSlug,
            new NewEnvironment(EnvironmentName.Dev, Account, "us-east-1", $"arn:aws:iam::{Account}:role/{RoleName}", null), default);
        // What the account owner does with the external id the portal showed once: trust the platform account.
        Emulator.RegisterRole(Account, RoleName, environment.ExternalId, Emulator.PrimaryAccount.Id);
    }

    // ---- workers ----

    public IReadOnlyList<WorkerProcess> Workers
    {
        get { lock (_workers) return _workers.ToList(); }
    }

    public WorkerProcess StartWorker()
    {
        lock (_workers)
        {
            // Should the test process die before its dispose, the workers must not outlive it.
            if (_workerNumber == 0) AppDomain.CurrentDomain.ProcessExit += (_, _) => { foreach (var w in Workers) w.Dispose(); };
            var worker = WorkerProcess.Start($"worker-{++_workerNumber}", _workerSettings, LogDirectory);
            _workers.Add(worker);
            WorkersStarted++;
            return worker;
        }
    }

    public void Kill(WorkerProcess worker)
    {
        lock (_workers)
        {
            worker.Kill();
            _workers.Remove(worker);
            worker.Dispose();
            WorkersKilled++;
        }
    }

    /// <summary>Process ids of the workers alive now: lease owners and Hangfire server names carry them.</summary>
    public IReadOnlySet<int> LiveWorkerPids() => Workers.Where(w => !w.HasExited).Select(w => w.ProcessId).ToHashSet();

    // ---- requests, as the API makes them ----

    /// <summary>Retries a spec write that raced a reconciler's status write (412), as a client without If-Match would.</summary>
    public static async Task<T> RetryOnConflictAsync<T>(Func<Task<T>> write)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write();
            }
            catch (Portal.Core.Common.PreconditionFailedException) when (attempt < 30)
            {
                await Task.Delay(50);
            }
        }
    }

    public PortalDbContext CreateContext() => PostgresServer.CreateContext(ConnectionString);

    /// <summary>
    /// Reads through a PostgreSQL restart: the suites poll while the server is down, and a poll that fails is simply
    /// tried again at the next tick.
    /// </summary>
    public async Task<T?> TryReadAsync<T>(Func<PortalDbContext, Task<T>> read)
    {
        try
        {
            await using var db = CreateContext();
            return await read(db);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException || e.InnerException is NpgsqlException)
        {
            return default;
        }
    }

    /// <summary>
    /// For a failure message: reads on a connection of its own, outside the pool (a pooled one may be a broken leftover
    /// of a restart), trying for up to half a minute; the last error when every try failed.
    /// </summary>
    public async Task<string> ReadFreshAsync(Func<PortalDbContext, Task<string>> read)
    {
        var unpooled = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false, Timeout = 5, CommandTimeout = 10 }.ConnectionString;
        Exception? last = null;
        for (var deadline = DateTimeOffset.UtcNow.AddSeconds(30); DateTimeOffset.UtcNow < deadline; await Task.Delay(500))
        {
            try
            {
                await using var db = PostgresServer.CreateContext(unpooled);
                return await read(db);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                last = e;
            }
        }
        return $"(could not read with a fresh connection: {last?.GetType().Name}: {last?.Message})";
    }

    /// <summary>
    /// For a failure message: every Hangfire job whose arguments name <paramref name="id"/> (state, when, the state's
    /// reason and its queue entry) and the resync's recurring-job record, read fresh from the job storage's tables.
    /// </summary>
    public Task<string> DescribeJobsAsync(Guid id) => ReadFreshAsync(async db =>
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await connection.OpenAsync();
        var lines = new List<string>();
        await using (var jobs = new NpgsqlCommand($"""
            SELECT j.id::bigint, j.statename, j.createdat::timestamp, j.invocationdata::jsonb->>'Type', s.reason, s.data::text,
                   (SELECT string_agg(coalesce(q.fetchedat::text, 'not fetched'), ', ') FROM {Portal.Web.Startup.Jobs.HangfireSchema}.jobqueue q WHERE q.jobid = j.id)
            FROM {Portal.Web.Startup.Jobs.HangfireSchema}.job j LEFT JOIN {Portal.Web.Startup.Jobs.HangfireSchema}.state s ON s.id = j.stateid
            WHERE j.arguments::text LIKE '%' || @id || '%' ORDER BY j.id
            """, connection))
        {
            jobs.Parameters.AddWithValue("id", id.ToString());
            await using var reader = await jobs.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var type = reader.IsDBNull(3) ? "?" : reader.GetString(3).Split(',')[0].Split('.')[^1];
                lines.Add($"job {reader.GetInt64(0)} {type}: {(reader.IsDBNull(1) ? "no state" : reader.GetString(1))} (created {reader.GetDateTime(2):HH:mm:ss.fff})"
                          + (reader.IsDBNull(4) ? "" : $", reason '{reader.GetString(4)}'")
                          + (reader.IsDBNull(1) || reader.GetString(1) is not ("Failed" or "Processing") || reader.IsDBNull(5) ? "" : $", {Truncate(reader.GetString(5), 300)}")
                          + (reader.IsDBNull(6) ? "" : $", queued: {reader.GetString(6)}"));
            }
        }
        await using (var resync = new NpgsqlCommand($"""
            SELECT field, value FROM {Portal.Web.Startup.Jobs.HangfireSchema}.hash
            WHERE key = 'recurring-job:{ResyncResourcesJob.RecurringJobId}' AND field IN ('LastExecution', 'LastJobId', 'NextExecution', 'Error')
            ORDER BY field
            """, connection))
        {
            await using var reader = await resync.ExecuteReaderAsync();
            var fields = new List<string>();
            while (await reader.ReadAsync())
            {
                var value = reader.IsDBNull(1) ? "" : reader.GetString(1);
                // Hangfire keeps these times as unix milliseconds.
                if (reader.GetString(0).EndsWith("Execution", StringComparison.Ordinal) && long.TryParse(value, out var ms))
                    value = DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
                fields.Add($"{reader.GetString(0)} {value}");
            }
            lines.Add($"resync (now {DateTimeOffset.UtcNow:HH:mm:ss.fff}): {(fields.Count == 0 ? "not registered" : string.Join(", ", fields))}");
        }
        return lines.Count == 1 ? $"no job names it; {lines[0]}" : string.Join("; ", lines);
    });

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length] + "…";

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in Workers)
        {
            try
            {
                worker.Dispose();
            }
            catch (Exception)
            {
                // Keep cleaning up the others.
            }
        }
        await _services.DisposeAsync();
        await Emulator.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await Postgres.DisposeAsync();
    }
}
