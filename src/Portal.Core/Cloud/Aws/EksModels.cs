using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Core.Cloud.Aws;

// The subset of the EKS model (shared/specs/aws/eks-2017-11-01.service-2.json) the portal uses, named as the model
// names its shapes and members. Enum-typed members stay strings so a value AWS adds later still deserialises;
// the constants below name the values the portal sends. JSON names are the model's (camelCase) member names.

public static class EksClusterStatus
{
    public const string Creating = "CREATING";
    public const string Active = "ACTIVE";
    public const string Deleting = "DELETING";
    public const string Failed = "FAILED";
    public const string Updating = "UPDATING";
    public const string Pending = "PENDING";
}

public static class EksNodegroupStatus
{
    public const string Creating = "CREATING";
    public const string Active = "ACTIVE";
    public const string Updating = "UPDATING";
    public const string Deleting = "DELETING";
    public const string CreateFailed = "CREATE_FAILED";
    public const string DeleteFailed = "DELETE_FAILED";
    public const string Degraded = "DEGRADED";
}

public static class EksUpdateStatus
{
    public const string InProgress = "InProgress";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";
    public const string Successful = "Successful";
}

/// <summary>Model shape <c>AMITypes</c> (the values the portal uses).</summary>
public static class EksAmiTypes
{
    public const string Al2023Standard = "AL2023_x86_64_STANDARD";
    public const string Al2023Arm64Standard = "AL2023_ARM_64_STANDARD";
    /// <summary>Amazon Linux 2023 with NVIDIA drivers: the AMI for GPU node groups.</summary>
    public const string Al2023Nvidia = "AL2023_x86_64_NVIDIA";
    /// <summary>The older Amazon Linux 2 GPU AMI (AL2 reaches end of support with Kubernetes 1.32).</summary>
    public const string Al2Gpu = "AL2_x86_64_GPU";
}

/// <summary>Model shape <c>CapacityTypes</c>.</summary>
public static class EksCapacityTypes
{
    public const string OnDemand = "ON_DEMAND";
    public const string Spot = "SPOT";
    public const string CapacityBlock = "CAPACITY_BLOCK";
}

/// <summary>Model shape <c>TaintEffect</c> (EKS spells Kubernetes' NoSchedule as NO_SCHEDULE).</summary>
public static class EksTaintEffects
{
    public const string NoSchedule = "NO_SCHEDULE";
    public const string NoExecute = "NO_EXECUTE";
    public const string PreferNoSchedule = "PREFER_NO_SCHEDULE";
}

public sealed record EksCluster
{
    public string Name { get; init; } = "";
    public string? Arn { get; init; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTimeOffset? CreatedAt { get; init; }
    public string? Version { get; init; }
    public string? Endpoint { get; init; }
    public string? RoleArn { get; init; }
    public EksVpcConfigResponse? ResourcesVpcConfig { get; init; }
    public string? Status { get; init; }
    public EksCertificate? CertificateAuthority { get; init; }
    public string? ClientRequestToken { get; init; }
    public string? PlatformVersion { get; init; }
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
    public string? Id { get; init; }
    public EksHealth? Health { get; init; }

    public bool IsActive => Status == EksClusterStatus.Active;
}

public sealed record EksCertificate(string? Data);

public sealed record EksHealth(IReadOnlyList<EksIssue>? Issues);

/// <summary>Model shapes <c>Issue</c> and <c>ClusterIssue</c>.</summary>
public sealed record EksIssue(string? Code, string? Message, IReadOnlyList<string>? ResourceIds);

public sealed record EksVpcConfigRequest
{
    public IReadOnlyList<string> SubnetIds { get; init; } = [];
    public IReadOnlyList<string>? SecurityGroupIds { get; init; }
    public bool? EndpointPublicAccess { get; init; }
    public bool? EndpointPrivateAccess { get; init; }
    public IReadOnlyList<string>? PublicAccessCidrs { get; init; }
}

public sealed record EksVpcConfigResponse
{
    public IReadOnlyList<string>? SubnetIds { get; init; }
    public IReadOnlyList<string>? SecurityGroupIds { get; init; }
    public string? ClusterSecurityGroupId { get; init; }
    public string? VpcId { get; init; }
    public bool EndpointPublicAccess { get; init; }
    public bool EndpointPrivateAccess { get; init; }
    public IReadOnlyList<string>? PublicAccessCidrs { get; init; }
}

public sealed record CreateClusterRequest
{
    public required string Name { get; init; }
    public string? Version { get; init; }
    public required string RoleArn { get; init; }
    public required EksVpcConfigRequest ResourcesVpcConfig { get; init; }
    /// <summary>Same token, same answer: a retried or re-run create never makes a second cluster.</summary>
    public string? ClientRequestToken { get; init; }
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}

public sealed record EksScalingConfig(int? MinSize, int? MaxSize, int? DesiredSize);

public sealed record EksTaint(string Key, string? Value, string Effect);

public sealed record EksNodegroup
{
    public string NodegroupName { get; init; } = "";
    public string? NodegroupArn { get; init; }
    public string? ClusterName { get; init; }
    public string? Version { get; init; }
    public string? ReleaseVersion { get; init; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTimeOffset? CreatedAt { get; init; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTimeOffset? ModifiedAt { get; init; }
    public string? Status { get; init; }
    public string? CapacityType { get; init; }
    public EksScalingConfig? ScalingConfig { get; init; }
    public IReadOnlyList<string>? InstanceTypes { get; init; }
    public IReadOnlyList<string>? Subnets { get; init; }
    public string? AmiType { get; init; }
    public string? NodeRole { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public IReadOnlyList<EksTaint>? Taints { get; init; }
    public int? DiskSize { get; init; }
    public EksHealth? Health { get; init; }
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    public bool IsActive => Status == EksNodegroupStatus.Active;
}

public sealed record CreateNodegroupRequest
{
    public required string NodegroupName { get; init; }
    public EksScalingConfig? ScalingConfig { get; init; }
    public int? DiskSize { get; init; }
    public required IReadOnlyList<string> Subnets { get; init; }
    public IReadOnlyList<string>? InstanceTypes { get; init; }
    public string? AmiType { get; init; }
    public required string NodeRole { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public IReadOnlyList<EksTaint>? Taints { get; init; }
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
    public string? ClientRequestToken { get; init; }
    public string? CapacityType { get; init; }
    public string? Version { get; init; }
    public string? ReleaseVersion { get; init; }
}

/// <summary>Model shape <c>UpdateLabelsPayload</c>.</summary>
public sealed record EksLabelsUpdate(IReadOnlyDictionary<string, string>? AddOrUpdateLabels, IReadOnlyList<string>? RemoveLabels);

/// <summary>Model shape <c>UpdateTaintsPayload</c>.</summary>
public sealed record EksTaintsUpdate(IReadOnlyList<EksTaint>? AddOrUpdateTaints, IReadOnlyList<EksTaint>? RemoveTaints);

public sealed record UpdateNodegroupConfigRequest
{
    public EksLabelsUpdate? Labels { get; init; }
    public EksTaintsUpdate? Taints { get; init; }
    public EksScalingConfig? ScalingConfig { get; init; }
    public string? ClientRequestToken { get; init; }
}

public sealed record UpdateNodegroupVersionRequest
{
    public string? Version { get; init; }
    public string? ReleaseVersion { get; init; }
    public bool? Force { get; init; }
    public string? ClientRequestToken { get; init; }
}

public sealed record EksUpdate
{
    public string Id { get; init; } = "";
    public string? Status { get; init; }
    public string? Type { get; init; }
    public IReadOnlyList<EksUpdateParam>? Params { get; init; }
    [JsonConverter(typeof(AwsTimestampConverter))]
    public DateTimeOffset? CreatedAt { get; init; }
    public IReadOnlyList<EksErrorDetail>? Errors { get; init; }
}

public sealed record EksUpdateParam(string? Type, string? Value);

public sealed record EksErrorDetail(string? ErrorCode, string? ErrorMessage, IReadOnlyList<string>? ResourceIds);

/// <summary>One page of a List* call; <see cref="NextToken"/> is null on the last page.</summary>
public sealed record EksPage(IReadOnlyList<string> Items, string? NextToken);

/// <summary>
/// REST-JSON timestamps: the model's default for this protocol is epoch seconds (a JSON number, possibly fractional);
/// some implementations answer ISO 8601 strings, which are accepted as well.
/// </summary>
internal sealed class AwsTimestampConverter : JsonConverter<DateTimeOffset?>
{
    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.Number => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(reader.GetDouble() * 1000)),
        JsonTokenType.String when double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) =>
            DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000)),
        JsonTokenType.String => DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
        _ => throw new JsonException($"Unexpected {reader.TokenType} for a timestamp."),
    };

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();
        else writer.WriteNumberValue(value.Value.ToUnixTimeMilliseconds() / 1000.0);
    }
}
