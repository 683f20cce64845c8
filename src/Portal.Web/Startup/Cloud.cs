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

    /// <summary>Starts the embedded emulator first when configured, so its endpoints are known before any client is built.</summary>
    public static async Task<WebApplicationBuilder> AddPortalCloudAsync(this WebApplicationBuilder builder)
    {
        builder.Services.AddPortalCloud();
        builder.Services.AddOptions<EnvironmentRoleHooks>();
        var mode = builder.Configuration.GetValue(ModeKey, CloudMode.Aws);
        if (mode != CloudMode.Emulator) return builder;

        var options = EmbeddedOptions(builder.Configuration);
        var emulator = await EmulatorHost.StartAsync(options);
        builder.Services.AddSingleton(emulator);
        builder.Services.AddHostedService<EmbeddedEmulatorLifetime>();

        var platform = emulator.PrimaryAccount;
        var endpoint = emulator.BaseAddress.ToString().TrimEnd('/');
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
                emulator.RegisterRole(role.AccountId, role.Name, environment.ExternalId, platform.Id);
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

    /// <summary>Stops the embedded emulator with the host (after the workers, which stop first: hosted services stop in reverse).</summary>
    private sealed class EmbeddedEmulatorLifetime(EmulatorHost emulator, ILogger<EmbeddedEmulatorLifetime> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken ct)
        {
            logger.LogInformation("Cloud: embedded emulator (EKS, STS, Kubernetes) at {Endpoint}; state {State}",
                emulator.BaseAddress, emulator.Options.StateFile ?? "in memory");
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken ct) => await emulator.DisposeAsync();
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
