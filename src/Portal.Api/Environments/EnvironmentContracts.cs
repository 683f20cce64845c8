using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Portal.Api.Infrastructure;
using Portal.Core.Environments;

namespace Portal.Api.Environments;

/// <summary>Registers a team environment: an AWS account and region reached through the provisioner role.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateEnvironmentRequest(
    EnvironmentName Name,
    [property: MaxLength(12)] string AwsAccountId,
    [property: MaxLength(32)] string Region,
    [property: MaxLength(2048)] string ProvisionerRoleArn,
    ReliabilityTier? ReliabilityTier = null);

/// <summary>A partial update; the name and account are fixed once registered.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UpdateEnvironmentRequest(
    [property: MaxLength(32)] string? Region = null,
    [property: MaxLength(2048)] string? ProvisionerRoleArn = null,
    ReliabilityTier? ReliabilityTier = null);

/// <summary>
/// An environment. <c>externalId</c> is what the account's role trust policy must require; it is returned in full
/// only when the environment is created, and masked afterwards.
/// </summary>
public sealed record EnvironmentResponse(
    EnvironmentName Name,
    string AwsAccountId,
    string Region,
    string ProvisionerRoleArn,
    string ExternalId,
    bool ExternalIdMasked,
    ReliabilityTier ReliabilityTier,
    DateTimeOffset CreatedAt,
    long Version) : IVersionedResponse
{
    public static EnvironmentResponse From(TeamEnvironment e, bool revealExternalId = false) => new(
        e.Name, e.AwsAccountId, e.Region, e.ProvisionerRoleArn,
        revealExternalId ? e.ExternalId : EnvironmentService.MaskExternalId(e.ExternalId), !revealExternalId,
        e.ReliabilityTier, e.CreatedAt, e.Version);
}
