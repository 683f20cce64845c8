using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Cloud;

/// <summary>
/// Section <c>Cloud</c>: where the portal's EKS, STS and Kubernetes clients go and how hard they retry.
/// Empty endpoints mean the real AWS regional endpoints; the embedded mode points both at the emulator.
/// </summary>
public sealed class CloudOptions
{
    public const string SectionName = "Cloud";

    /// <summary>Base URL of the EKS API (e.g. the emulator's <c>http://127.0.0.1:4566</c>). Null: <c>https://eks.{region}.amazonaws.com</c>.</summary>
    [Url]
    public string? EksEndpoint { get; set; }

    /// <summary>Base URL of STS. Null: the regional endpoint <c>https://sts.{region}.amazonaws.com</c>.</summary>
    [Url]
    public string? StsEndpoint { get; set; }

    /// <summary>The region used when a caller names none.</summary>
    [Required, RegularExpression("^[a-z]{2}(-[a-z]+)+-[0-9]$")]
    public string Region { get; set; } = "us-east-1";

    /// <summary>
    /// The portal's own long-term key. Empty: the AWS SDK's default chain (environment, profile, web identity,
    /// container and instance roles), which is what production uses; the embedded emulator sets these.
    /// </summary>
    public string? AccessKeyId { get; set; }

    public string? SecretAccessKey { get; set; }

    /// <summary>Only with <see cref="AccessKeyId"/>: a session token when the portal's own key is temporary.</summary>
    public string? SessionToken { get; set; }

    /// <summary>Prefix of every STS role session name, so CloudTrail shows the portal (and then the acting user).</summary>
    [Required, RegularExpression(@"^[\w+=,.@-]{2,32}$")]
    public string SessionName { get; set; } = "unicron-portal";

    /// <summary>Lifetime asked of AssumeRole; the role's MaxSessionDuration caps it (AWS: 900 to 43200 seconds).</summary>
    [Range(900, 43200)]
    public int SessionDurationSeconds { get; set; } = 3600;

    /// <summary>Attempts per AWS call including the first (the SDKs' standard mode uses 3; reconcilers prefer a few more).</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first retry waits at least this long; each further retry doubles the window.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>No single wait between attempts is longer than this (the SDKs cap at 20 seconds).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Timeout of one HTTP attempt against EKS.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal Uri EksBaseAddress(string region) => Normalise(EksEndpoint ?? $"https://eks.{region}.amazonaws.com");

    internal Uri StsBaseAddress(string region) => Normalise(StsEndpoint ?? $"https://sts.{region}.amazonaws.com");

    private static Uri Normalise(string url) => new(url.TrimEnd('/') + "/");
}
