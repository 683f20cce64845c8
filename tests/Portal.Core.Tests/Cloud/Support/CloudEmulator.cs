using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Core.Cloud;
using Portal.Core.Cloud.Aws;
using Portal.Core.Cloud.Kubernetes;
using Portal.Emulator;

namespace Portal.Core.Tests.Cloud.Support;

/// <summary>
/// The cloud emulator in-process on a free loopback port (instant lifecycles, a clock tests can jump) and the portal's
/// cloud clients wired by <see cref="CloudServiceCollectionExtensions.AddPortalCloud"/> against it, as the embedded
/// mode wires them. One per test class.
/// </summary>
public sealed class CloudEmulator : IAsyncLifetime
{
    /// <summary>Short backoff so retry tests run fast; the tests assert that gaps are at least this long.</summary>
    public static readonly TimeSpan RetryBase = TimeSpan.FromMilliseconds(50);

    public ShiftableClock Clock { get; } = new();

    public EmulatorHost Host { get; private set; } = null!;

    public (string RoleArn, string ExternalId, string AccountId) Role { get; private set; }

    public async Task InitializeAsync()
    {
        Host = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Port = 0,
            Lifecycle = LifecycleOptions.Instant,
            TimeProvider = Clock,
            // AWSSDK.SecurityToken signs AssumeRole with the machine's clock, which lags the shifted one by up to hours.
            MaxClockSkew = TimeSpan.FromHours(6),
            Kubernetes = new() { DeploymentReadyDelay = TimeSpan.Zero, NamespaceDeletionDelay = TimeSpan.Zero },
        });
        var role = Host.ProvisionerRole!.Value;
        Role = (role.RoleArn, role.ExternalId!, role.AccountId);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    /// <summary>A fresh container (fresh caches) of the portal's cloud clients pointed at this emulator.</summary>
    public ServiceProvider Services(int maxAttempts = 5) => CloudServices.Build(Clock, new Dictionary<string, string?>
    {
        ["Cloud:EksEndpoint"] = Host.BaseAddress.ToString(),
        ["Cloud:StsEndpoint"] = Host.BaseAddress.ToString(),
        ["Cloud:AccessKeyId"] = Host.PrimaryAccount.AccessKeyId,
        ["Cloud:SecretAccessKey"] = Host.PrimaryAccount.SecretAccessKey,
        ["Cloud:MaxAttempts"] = maxAttempts.ToString(),
        ["Cloud:RetryBaseDelay"] = RetryBase.ToString(),
        ["Cloud:RetryMaxDelay"] = TimeSpan.FromMilliseconds(400).ToString(),
    });

    public Task<AwsSession> AssumeAsync(ServiceProvider services, string actingUser = "alice@example.com") =>
        services.GetRequiredService<AwsSessions>().AssumeAsync(Role.RoleArn, Role.ExternalId, "us-east-1", actingUser);
}

public static class CloudServices
{
    public static ServiceProvider Build(TimeProvider clock, IDictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(clock);
        services.AddPortalCloud();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static EksClient Eks(this IServiceProvider services) => services.GetRequiredService<EksClient>();

    public static KubernetesClientFactory Kubernetes(this IServiceProvider services) => services.GetRequiredService<KubernetesClientFactory>();

    public static CreateClusterRequest Cluster(string name, string? token = null, string? version = null, IReadOnlyDictionary<string, string>? tags = null) => new()
    {
        Name = name,
        Version = version,
        RoleArn = "arn:aws:iam::222222222222:role/eks-cluster",
        ResourcesVpcConfig = new EksVpcConfigRequest { SubnetIds = ["subnet-a", "subnet-b"] },
        ClientRequestToken = token,
        Tags = tags,
    };

    public static CreateNodegroupRequest Nodegroup(string name, string? token = null) => new()
    {
        NodegroupName = name,
        Subnets = ["subnet-a", "subnet-b"],
        NodeRole = "arn:aws:iam::222222222222:role/eks-node",
        InstanceTypes = ["m6i.large"],
        ScalingConfig = new EksScalingConfig(1, 3, 2),
        ClientRequestToken = token,
    };
}
