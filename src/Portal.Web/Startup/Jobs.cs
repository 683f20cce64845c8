using System.ComponentModel.DataAnnotations;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.Logging;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters.Reconciler;
using Portal.Core.Costs;
using Portal.Core.Costs.Jobs;
using Portal.Core.Costs.Hibernation;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Idempotency;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;

namespace Portal.Web.Startup;

/// <summary>
/// Hangfire in one place (STYLE rule 14): job storage, the processing server on worker processes, the recurring resync
/// and the dashboard at <see cref="DashboardPath"/> for platform admins.
/// </summary>
/// <remarks>
/// Storage follows the database: PostgreSQL (own schema, shared by every portal process, so jobs spread across the
/// workers) or, in the embedded SQLite mode, Hangfire.InMemory. Losing the in-memory queue on a restart is safe: the
/// database holds each resource's truth, and the resync re-enqueues whatever is not converged.
/// </remarks>
public static class Jobs
{
    public const string DashboardPath = "/ops/jobs";
    public const string DashboardPolicy = "platform-admin-cookie";
    public const string HangfireSchema = "hangfire";

    public static WebApplicationBuilder AddPortalJobs(this WebApplicationBuilder builder)
    {
        var roles = PortalRoles.From(builder.Configuration);
        builder.Services.AddSingleton(roles);
        builder.Services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // Every reconciler and its resync target; later resources add theirs here.
        builder.Services.AddClusterReconciler();
        builder.Services.AddAddonReconciler();
        builder.Services.AddEndpointReconciler();

        var database = builder.Configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var production = builder.Environment.IsProduction();
        // AddHangfire resolves storage and activator from process-wide statics (JobStorage.Current, JobActivator.Current)
        // that the last host to configure Hangfire wins. Registered here first, each host's client, recurring manager,
        // server and dashboard use its own storage and its own services even when one process holds several hosts
        // (the test suites do), instead of another host's database or a disposed container.
        builder.Services.AddSingleton<JobStorage>(sp => database.Provider == DatabaseProvider.Postgres
            ? PostgresJobStorage(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString
                                 ?? throw new InvalidOperationException("Database:Provider is Postgres but no connection string is configured."), production,
                sp.GetRequiredService<IOptions<JobsOptions>>().Value)
            : new InMemoryStorage());
        builder.Services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        builder.Services.AddHangfire((sp, configuration) =>
        {
            configuration
                .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                // The log provider is a static too; a stopped host's disposed logger factory must not fail every later job.
                .UseLogProvider(new HostLogProvider(sp.GetRequiredService<ILoggerFactory>()))
                .UseStorage(sp.GetRequiredService<JobStorage>());
        });

        if (roles.Worker)
        {
            builder.Services.AddHangfireServer((sp, server) =>
            {
                var jobs = sp.GetRequiredService<IOptions<JobsOptions>>().Value;
                server.ServerName = sp.GetRequiredService<ResourceLeases>().WorkerId;
                if (jobs.WorkerCount > 0) server.WorkerCount = jobs.WorkerCount;
                // Reconcilers reschedule themselves for short polls (EKS CREATING → ACTIVE); Hangfire's default 15 s would dominate them.
                server.SchedulePollingInterval = jobs.SchedulePollingInterval;
                server.ShutdownTimeout = jobs.ShutdownTimeout;
            });
            builder.Services.AddHostedService<RecurringJobsRegistration>();
        }

        // The host must wait for Hangfire to hand back its running jobs, or a stopping worker is killed mid-step.
        var shutdown = builder.Configuration.GetSection(JobsOptions.SectionName).Get<JobsOptions>()?.ShutdownTimeout ?? new JobsOptions().ShutdownTimeout;
        builder.Services.Configure<HostOptions>(o =>
        {
            if (o.ShutdownTimeout < shutdown + TimeSpan.FromSeconds(5)) o.ShutdownTimeout = shutdown + TimeSpan.FromSeconds(5);
        });

        builder.Services.AddAuthorizationBuilder().AddPolicy(DashboardPolicy, policy => policy
            .AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .RequireClaim(PortalActor.ClaimTypes.PlatformAdmin, "true"));
        return builder;
    }

    public static WebApplication MapPortalJobs(this WebApplication app)
    {
        var roles = app.Services.GetRequiredService<PortalRoles>();
        var database = app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        if (!roles.Worker && database.Provider == DatabaseProvider.Sqlite)
        {
            app.Logger.LogWarning("Portal:Roles has no 'worker' and job storage is in memory: nothing will run the jobs this process enqueues.");
        }
        app.MapHangfireDashboard(DashboardPath, new DashboardOptions
        {
            DashboardTitle = "Unicron Portal jobs",
            AppPath = "/",
            // The endpoint policy already challenged or refused; the filter keeps the dashboard closed even if mapped elsewhere.
            Authorization = [new PlatformAdminDashboardFilter()],
            AsyncAuthorization = [],
        }).RequireAuthorization(DashboardPolicy);
        return app;
    }

    /// <summary>Hangfire.PostgreSql in its own schema, shared by every portal process on the database.</summary>
    private static PostgreSqlStorage PostgresJobStorage(string connectionString, bool production, JobsOptions jobs)
    {
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = HangfireSchema,
            // Without it, a job running past the invisibility timeout is handed to a second worker.
            UseSlidingInvisibilityTimeout = true,
            // Sliding, a live worker keeps renewing its fetched jobs, so the timeout only decides how long the job of a
            // killed worker sits in "Processing" before another worker picks it up (Hangfire's default: 30 minutes).
            InvisibilityTimeout = jobs.InvisibilityTimeout,
            // Hangfire's distributed locks (the schedule poller's, the recurring scheduler's, the resync's) are rows
            // without a heartbeat: one held by a killed worker blocks every worker's delayed and recurring jobs until it
            // is this old (Hangfire.PostgreSql's default: 10 minutes). Their holders finish in well under a second.
            DistributedLockTimeout = jobs.DistributedLockTimeout,
            // LISTEN/NOTIFY: an enqueued job starts within milliseconds instead of the next poll.
            EnableLongPolling = true,
            PrepareSchemaIfNecessary = true,
            // Resilient start-up: a worker that comes up a moment before PostgreSQL retries instead of crashing,
            // without holding up the host's start for long (an orchestrator restarts a process that gives up).
            StartupConnectionMaxRetries = 2,
            StartupConnectionBaseDelay = TimeSpan.FromMilliseconds(500),
            StartupConnectionMaxDelay = TimeSpan.FromSeconds(2),
            // A production worker must not come up "healthy" without its job storage; elsewhere the UI may start first.
            AllowDegradedModeWithoutStorage = !production,
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
    }

    /// <summary>Hangfire cron for an interval: with seconds below a minute (Hangfire 1.8 reads six fields), else whole minutes.</summary>
    public static string CronFor(TimeSpan interval)
    {
        if (interval < TimeSpan.FromMinutes(1)) return $"*/{Math.Max(1, (int)interval.TotalSeconds)} * * * * *";
        if (interval < TimeSpan.FromHours(1)) return $"*/{(int)interval.TotalMinutes} * * * *";
        return "0 * * * *";
    }

    /// <summary>
    /// Registers (or updates) the recurring jobs when a worker starts; idempotent across processes sharing the storage.
    /// In the background and retried: job storage that is briefly unreachable must not stop the host from starting.
    /// </summary>
    private sealed class RecurringJobsRegistration(
        IRecurringJobManager recurring, IOptions<ReconciliationOptions> options, IOptions<CostOptions> costs,
        ILogger<RecurringJobsRegistration> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
            {
                try
                {
                    recurring.AddOrUpdate<ResyncResourcesJob>(ResyncResourcesJob.RecurringJobId,
                        job => job.RunAsync(CancellationToken.None), CronFor(options.Value.ResyncInterval));
                    recurring.AddOrUpdate<MeterCostsJob>(MeterCostsJob.RecurringJobId,
                        job => job.RunAsync(CancellationToken.None), CronFor(costs.Value.MeteringInterval));
                    recurring.AddOrUpdate<ApplyHibernationSchedulesJob>(ApplyHibernationSchedulesJob.RecurringJobId,
                        job => job.RunAsync(CancellationToken.None), CronFor(options.Value.ResyncInterval));
                    recurring.AddOrUpdate<PruneIdempotencyRecordsJob>(PruneIdempotencyRecordsJob.RecurringJobId,
                        job => job.RunAsync(CancellationToken.None), Cron.Hourly());
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Could not register the recurring resync job (attempt {Attempt}); retrying", attempt);
                }
                await Task.Delay(Backoff.Delay(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)), stoppingToken);
            }
        }
    }

    /// <summary>
    /// Hangfire's logs through the host's logger factory; once that is disposed (its host stopped while another in the
    /// same process runs on), nothing is logged instead of every job failing with ObjectDisposedException.
    /// </summary>
    private sealed class HostLogProvider(ILoggerFactory factory) : ILogProvider
    {
        private readonly AspNetCoreLogProvider _inner = new(factory);

        public ILog GetLogger(string name)
        {
            try
            {
                return new SafeLog(_inner.GetLogger(name));
            }
            catch (ObjectDisposedException)
            {
                return new SafeLog(null);
            }
        }

        private sealed class SafeLog(ILog? inner) : ILog
        {
            public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
            {
                if (inner is null) return false;
                try
                {
                    return inner.Log(logLevel, messageFunc, exception);
                }
                catch (ObjectDisposedException)
                {
                    return false;
                }
            }
        }
    }

    private sealed class PlatformAdminDashboardFilter : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) =>
            context.GetHttpContext().User is { Identity.IsAuthenticated: true } user
            && user.HasClaim(PortalActor.ClaimTypes.PlatformAdmin, "true");
    }
}

/// <summary>Section <c>Jobs</c>: the Hangfire server of a worker process.</summary>
public sealed class JobsOptions
{
    public const string SectionName = "Jobs";

    /// <summary>Concurrent jobs per worker process; 0 keeps Hangfire's default (5 per core, at most 20).</summary>
    [Range(0, 200)]
    public int WorkerCount { get; set; }

    /// <summary>How often delayed (rescheduled) and recurring jobs are checked for being due.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a stopping worker lets running jobs finish; the host waits 5 s longer than this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// PostgreSQL job storage: how long a job fetched by a worker that died (kill -9, lost node) stays invisible before
    /// another worker runs it. Live workers renew it while they run a job, so it does not cap a job's duration.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// PostgreSQL job storage: after how long a Hangfire lock counts as abandoned (its holder died). Reconcile
    /// rescheduling and the resync stall behind an abandoned lock for this long; holders need far less than a second.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan DistributedLockTimeout { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// What this process does (<c>Portal:Roles</c>): <c>web</c> (UI), <c>api</c> (REST API), <c>worker</c> (runs jobs).
/// All three by default, so one process does everything; an operator scales out by running copies with different
/// roles against one PostgreSQL. Accepts a list (<c>Portal:Roles:0=worker</c>) or a comma-separated value
/// (<c>Portal__Roles=web,api</c>).
/// </summary>
public sealed class PortalRoles(IReadOnlySet<string> roles)
{
    public const string SectionName = "Portal:Roles";
    public static readonly string[] All = ["web", "api", "worker"];

    public IReadOnlySet<string> Roles { get; } = roles;

    public bool Web => Roles.Contains("web");
    public bool Api => Roles.Contains("api");
    public bool Worker => Roles.Contains("worker");

    public static PortalRoles From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var values = section.GetChildren().Select(c => c.Value).Append(section.Value)
            .SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => v.ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);
        var unknown = values.Except(All).ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException($"Portal:Roles has unknown role(s) {string.Join(", ", unknown)}; the roles are {string.Join(", ", All)}.");
        return new PortalRoles(values.Count == 0 ? All.ToHashSet(StringComparer.Ordinal) : values);
    }
}
