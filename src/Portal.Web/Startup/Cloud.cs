using Portal.Core.Cloud;
using Portal.Core.Persistence;
using Portal.Core.Reconciliation;
using Portal.Emulator;

namespace Portal.Web.Startup;

/// <summary>Where the portal's real EKS, STS and Kubernetes clients go.</summary>
public enum CloudMode
{
    /// <summary>Embedded default: the cloud emulator, started in this process on loopback. No AWS account needed.</summary>
    Emulator,
    /// <summary>Production: AWS, with the portal's credentials from the SDK's default chain (or <c>Cloud:AccessKeyId</c>).</summary>
    Aws,
}

/// <summary>
/// The cloud clients, and in <see cref="CloudMode.Emulator"/> mode (<c>Cloud:Mode</c>, the default in
/// appsettings.json) the emulator they talk to. The clients are the same either way: only endpoints and credentials
/// differ, as ARCHITECTURE.md's "two ways to run, one code path" asks.
/// </summary>
public static class Cloud
{
    public const string ModeKey = "Cloud:Mode";

    /// <summary>The embedded emulator's options (port, state file, lifecycle delays, Kubernetes controllers): <see cref="EmulatorOptions"/>.</summary>
    public const string EmulatorSection = "Cloud:Emulator";

    /// <summary>
    /// The cloud clients; in emulator mode also the emulator, started as the first hosted service after migrations.
    /// Its port is chosen now (a free loopback port unless <c>Cloud:Emulator:Port</c> says) so the clients' endpoints
    /// are known before anything resolves them. It is not started here, before the portal's host exists: a host built
    /// first would be taken for the portal's by WebApplicationFactory and other tools that intercept host building.
    /// </summary>
    public static WebApplicationBuilder AddPortalCloud(this WebApplicationBuilder builder)
    {
        builder.Services.AddPortalCloud();
        builder.Services.AddOptions<EnvironmentRoleHooks>();
        var mode = builder.Configuration.GetValue(ModeKey, CloudMode.Aws);
        if (mode != CloudMode.Emulator) return builder;

        var options = EmbeddedOptions(builder.Configuration);
        if (options.Port == 0) options.Port = FreeLoopbackPort();
        // Only the AWS APIs need a known address; the Kubernetes endpoints come back from DescribeCluster.
        options.HttpsPort ??= 0;
        var platform = options.EffectiveAccounts.First(a => a.AccessKeyId is not null);
        var endpoint = $"http://127.0.0.1:{options.Port}";
        var embedded = new EmbeddedEmulator(options);
        builder.Services.AddSingleton(embedded);
        builder.Services.AddHostedService(sp => new EmbeddedEmulatorLifetime(embedded, sp.GetRequiredService<ILogger<EmbeddedEmulator>>()));
        builder.Services.PostConfigure<CloudOptions>(o =>
        {
            o.EksEndpoint = endpoint;
            o.StsEndpoint = endpoint;
            o.AccessKeyId = platform.AccessKeyId;
            o.SecretAccessKey = platform.SecretAccessKey;
            o.SessionToken = null;
        });
        // Whatever account and role a newcomer registers for an environment, the emulator trusts the portal's platform
        // account to assume it with the external id the portal generated, as the account owner's trust policy would.
        builder.Services.Configure<EnvironmentRoleHooks>(hooks => hooks.BeforeAssumeRole = (environment, _) =>
        {
            if (RoleArn.TryParse(environment.ProvisionerRoleArn) is { } role)
                embedded.Host?.RegisterRole(role.AccountId, role.Name, environment.ExternalId, platform.Id);
            return Task.CompletedTask;
        });
        return builder;
    }

    /// <summary>
    /// <see cref="EmulatorOptions"/> from <see cref="EmulatorSection"/>, with embedded defaults: a free port, short
    /// lifecycles (a newcomer sees CREATING → ACTIVE without waiting ten minutes), and a state file beside the SQLite
    /// database, so clusters survive restarts together with the rows that describe them (and a fresh database never
    /// meets an old emulator state). With PostgreSQL the state stays in memory unless a file is configured.
    /// </summary>
    public static EmulatorOptions EmbeddedOptions(IConfiguration configuration)
    {
        var options = new EmulatorOptions
        {
            Port = 0,
            Lifecycle = new LifecycleOptions
            {
                ClusterCreate = TimeSpan.FromSeconds(8),
                ClusterUpdate = TimeSpan.FromSeconds(8),
                ClusterDelete = TimeSpan.FromSeconds(4),
                NodegroupCreate = TimeSpan.FromSeconds(4),
                NodegroupUpdate = TimeSpan.FromSeconds(4),
                NodegroupDelete = TimeSpan.FromSeconds(4),
            },
        };
        configuration.GetSection(EmulatorSection).Bind(options);
        var database = configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (string.IsNullOrWhiteSpace(options.StateFile) && database.Provider == DatabaseProvider.Sqlite)
            options.StateFile = Path.ChangeExtension(Path.GetFullPath(database.SqlitePath), ".emulator.json");
        return options;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts and stops the emulator with the host; the Hangfire server, registered later, starts after it and stops before it.</summary>
    private sealed class EmbeddedEmulatorLifetime(EmbeddedEmulator embedded, ILogger logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            var host = await embedded.StartAsync(ct);
            logger.LogInformation("Cloud: embedded emulator (EKS, STS, Kubernetes) at {Endpoint}; state {State}",
                host.BaseAddress, host.Options.StateFile ?? "in memory");
        }

        public Task StopAsync(CancellationToken ct) => embedded.DisposeAsync().AsTask();
    }

    /// <summary>arn:aws:iam::ACCOUNT:role/[path/]NAME → account and name.</summary>
    private sealed record RoleArn(string AccountId, string Name)
    {
        public static RoleArn? TryParse(string arn)
        {
            var parts = arn.Split(':', 6);
            if (parts.Length != 6 || parts[2] != "iam" || !parts[5].StartsWith("role/", StringComparison.Ordinal)) return null;
            return new RoleArn(parts[4], parts[5][(parts[5].LastIndexOf('/') + 1)..]);
        }
    }
}

/// <summary>The in-process emulator of the embedded mode, once started (tests and the environment hook reach it here).</summary>
public sealed class EmbeddedEmulator(EmulatorOptions options) : IAsyncDisposable
{
    public EmulatorOptions Options { get; } = options;

    /// <summary>Null until the host has started.</summary>
    public EmulatorHost? Host { get; private set; }

    internal async Task<EmulatorHost> StartAsync(CancellationToken ct) => Host ??= await EmulatorHost.StartAsync(Options, ct);

    public async ValueTask DisposeAsync()
    {
        if (Host is { } host)
        {
            Host = null;
            await host.DisposeAsync();
        }
    }
}
