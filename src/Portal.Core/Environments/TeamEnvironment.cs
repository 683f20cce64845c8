using Portal.Core.Common;

namespace Portal.Core.Environments;

public enum EnvironmentName
{
    Dev = 0,
    Staging = 1,
    Prod = 2,
}

/// <summary>How much the platform team promises for clusters of this environment (on-call, upgrade windows).</summary>
public enum ReliabilityTier
{
    BestEffort = 0,
    Standard = 1,
    Critical = 2,
}

/// <summary>
/// One environment of a team: its own AWS account and region, reached by assuming the provisioner role with
/// the external id. Registering it creates nothing in AWS.
/// </summary>
public sealed class TeamEnvironment : IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TeamId { get; set; }
    public EnvironmentName Name { get; set; }
    public required string AwsAccountId { get; set; }
    public required string Region { get; set; }
    public required string ProvisionerRoleArn { get; set; }

    /// <summary>
    /// Passed to STS AssumeRole; the account owner puts it in the role's trust policy (the confused-deputy guard).
    /// Not a password, but shown in full only once: reads return a masked form.
    /// </summary>
    public required string ExternalId { get; set; }

    public ReliabilityTier ReliabilityTier { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public long Version { get; set; }
}
