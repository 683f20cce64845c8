using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Portal.Emulator.Kubernetes;

namespace Portal.Emulator;

/// <summary>
/// How the emulator is configured: section <c>Emulator</c> when it runs standalone, or built in code by the
/// portal (embedded mode) and by tests.
/// </summary>
public sealed class EmulatorOptions
{
    public const string SectionName = "Emulator";

    /// <summary>Loopback port for <see cref="EmulatorHost.StartAsync"/>; 0 picks a free one.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>
    /// Also listen on HTTPS with a certificate issued by the emulator's cluster CA (the CA DescribeCluster returns), and
    /// advertise clusters' Kubernetes endpoints there, as EKS does: kubectl (client-go) sends no bearer token to an
    /// http:// server. The AWS APIs stay reachable over plain HTTP as well.
    /// </summary>
    public bool Https { get; set; } = true;

    /// <summary>Port of the HTTPS listener; 0 picks a free one. Empty: the first HTTP port + 1 (4567 standalone), free when that is 0.</summary>
    [Range(0, 65535)]
    public int? HttpsPort { get; set; }

    /// <summary>The region printed for the preconfigured account and used when a request names none.</summary>
    [Required, RegularExpression("^[a-z]{2}(-[a-z]+)+-[0-9]$")]
    public string Region { get; set; } = "us-east-1";

    /// <summary>
    /// The base URL clusters' Kubernetes endpoints are built on (<c>{PublicBaseUrl}/k8s/{key}</c>). Empty: the HTTPS
    /// listener (<c>https://127.0.0.1:PORT</c>), or the scheme and host the EKS request arrived on when HTTPS is off.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Accounts, their long-term keys and their roles. Empty: <see cref="DefaultAccounts"/>.</summary>
    public List<AccountOptions> Accounts { get; set; } = [];

    /// <summary>Kubernetes versions CreateCluster accepts, oldest first; the last is the default. Empty: 1.30 to 1.34.</summary>
    public List<string> KubernetesVersions { get; set; } = [];

    /// <summary>The configured versions, or the defaults (configuration binding appends to a pre-filled list, so defaults live here).</summary>
    public IReadOnlyList<string> EffectiveKubernetesVersions => KubernetesVersions.Count > 0 ? KubernetesVersions : ["1.30", "1.31", "1.32", "1.33", "1.34"];

    public LifecycleOptions Lifecycle { get; set; } = new();

    /// <summary>
    /// The Kubernetes half: controller delays, known Helm charts, watch limits (section <c>Emulator:Kubernetes</c>).
    /// The host keeps this instance, so changes after start apply to the next controller step as well.
    /// </summary>
    public KubernetesEmulatorOptions Kubernetes { get; set; } = new();

    /// <summary>Clusters one account may hold per region (ResourceLimitExceededException beyond).</summary>
    [Range(1, 10_000)]
    public int MaxClustersPerRegion { get; set; } = 100;

    /// <summary>Node groups one cluster may hold (ResourceLimitExceededException beyond).</summary>
    [Range(1, 10_000)]
    public int MaxNodegroupsPerCluster { get; set; } = 30;

    /// <summary>How far a request's X-Amz-Date may be from the emulator's clock, as AWS allows (15 minutes).</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>JSON file the AWS state is saved to after every change and loaded from at start. Empty: memory only.</summary>
    public string? StateFile { get; set; }

    /// <summary>Seed for fault-injection rates, so a test can make "rate 0.5" deterministic.</summary>
    public int? FaultSeed { get; set; }

    /// <summary>The clock of lifecycles, expiries and signatures. Tests pass one they can advance; not bound from configuration.</summary>
    [JsonIgnore]
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>The configured accounts, or the two preconfigured ones when none are configured.</summary>
    public IReadOnlyList<AccountOptions> EffectiveAccounts => Accounts.Count > 0 ? Accounts : DefaultAccounts();

    /// <summary>
    /// A platform account whose keys are printed at start, and a team account holding a provisioner role that the
    /// platform account may assume with an external id — the shape the portal uses against real AWS.
    /// </summary>
    public static List<AccountOptions> DefaultAccounts() =>
    [
        new()
        {
            Id = "111111111111",
            Name = "platform",
            AccessKeyId = "AKIAEMULATORPLATFORM",
            SecretAccessKey = "emulator/platform/secret/key/000000000000",
        },
        new()
        {
            Id = "222222222222",
            Name = "team-dev",
            AccessKeyId = "AKIAEMULATORTEAMDEV1",
            SecretAccessKey = "emulator/team-dev/secret/key/00000000000",
            Roles =
            [
                new() { Name = "unicron-provisioner", ExternalId = "unicron-emulator-external-id", TrustedAccounts = ["111111111111"] },
            ],
        },
    ];
}

public sealed class AccountOptions
{
    /// <summary>Twelve digits, as AWS account ids are.</summary>
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>Long-term key of the account's emulator user (AKIA...). Optional: an account may be reachable only by role.</summary>
    public string? AccessKeyId { get; set; }

    public string? SecretAccessKey { get; set; }

    /// <summary>The IAM user the long-term key belongs to.</summary>
    public string UserName { get; set; } = "emulator";

    public List<RoleOptions> Roles { get; set; } = [];
}

public sealed class RoleOptions
{
    public string Name { get; set; } = "";

    /// <summary>When set, AssumeRole must pass exactly this external id (else AccessDenied), as a trust policy's sts:ExternalId condition.</summary>
    public string? ExternalId { get; set; }

    /// <summary>Accounts whose principals may assume the role. Empty: only the role's own account.</summary>
    public List<string> TrustedAccounts { get; set; } = [];

    /// <summary>The role's MaxSessionDuration; AssumeRole's DurationSeconds may not exceed it.</summary>
    public int MaxSessionDurationSeconds { get; set; } = 3600;
}

/// <summary>How long EKS takes to settle. <see cref="Instant"/> for fast test runs; real EKS takes ~10 minutes to create.</summary>
public sealed class LifecycleOptions
{
    public TimeSpan ClusterCreate { get; set; } = TimeSpan.FromSeconds(20);
    public TimeSpan ClusterUpdate { get; set; } = TimeSpan.FromSeconds(20);
    public TimeSpan ClusterDelete { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan NodegroupCreate { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan NodegroupUpdate { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan NodegroupDelete { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Every transition completes by the next call (the answer to the call that starts it still shows CREATING etc.).</summary>
    public static LifecycleOptions Instant => new()
    {
        ClusterCreate = TimeSpan.Zero,
        ClusterUpdate = TimeSpan.Zero,
        ClusterDelete = TimeSpan.Zero,
        NodegroupCreate = TimeSpan.Zero,
        NodegroupUpdate = TimeSpan.Zero,
        NodegroupDelete = TimeSpan.Zero,
    };
}
