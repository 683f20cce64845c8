using System.Text.Json.Nodes;

namespace Portal.Emulator.Aws.Eks;

/// <summary>A status change that completes at <see cref="At"/>: lifecycles advance lazily, on the next look at the resource.</summary>
public sealed record PendingTransition(DateTimeOffset At, string To, string? UpdateId = null);

/// <summary>An emulated EKS cluster (mutable; guarded by <see cref="AwsState.Gate"/>).</summary>
public sealed class ClusterState
{
    public required string Key { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Name { get; init; }
    public required string Arn { get; init; }
    public required string RoleArn { get; init; }
    public required string Version { get; set; }
    public string PlatformVersion { get; set; } = "eks.1";
    public string Status { get; set; } = "CREATING";
    public DateTimeOffset CreatedAt { get; init; }
    public string? ClientRequestToken { get; init; }
    public Dictionary<string, string> Tags { get; set; } = [];

    /// <summary>The CreateCluster input, echoed back where Describe returns what was asked for (VPC, logging, network).</summary>
    public JsonObject Request { get; init; } = [];

    public PendingTransition? Pending { get; set; }
    public List<UpdateState> Updates { get; set; } = [];
    public Dictionary<string, NodegroupState> Nodegroups { get; set; } = new(StringComparer.Ordinal);
}

public sealed class NodegroupState
{
    public required string Name { get; init; }
    public required string Arn { get; init; }
    public required string ClusterName { get; init; }
    public required string Version { get; set; }
    public required string ReleaseVersion { get; set; }
    public string Status { get; set; } = "CREATING";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ModifiedAt { get; set; }
    public string? ClientRequestToken { get; init; }
    public Dictionary<string, string> Tags { get; set; } = [];

    /// <summary>The node group as Describe shows it, minus the fields kept above (scaling, labels, taints...).</summary>
    public JsonObject Spec { get; set; } = [];

    /// <summary>Configuration an in-progress update applies when it completes.</summary>
    public JsonObject? PendingSpec { get; set; }
    public PendingTransition? Pending { get; set; }
}

public sealed class UpdateState
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public string Status { get; set; } = "InProgress";
    public DateTimeOffset CreatedAt { get; init; }
    public string? NodegroupName { get; init; }
    public string? ClientRequestToken { get; init; }
    public List<KeyValuePair<string, string>> Params { get; init; } = [];
}

/// <summary>An EKS error: the model's error shape name and message, plus the members the shape carries (clusterName...).</summary>
public sealed class EksException(string errorType, string message, string? clusterName = null, string? nodegroupName = null) : Exception(message)
{
    public string ErrorType { get; } = errorType;
    public string? ClusterName { get; } = clusterName;
    public string? NodegroupName { get; } = nodegroupName;
}
