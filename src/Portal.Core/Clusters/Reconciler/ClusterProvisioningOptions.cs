using System.ComponentModel.DataAnnotations;
using Portal.Core.Environments;

namespace Portal.Core.Clusters.Reconciler;

/// <summary>
/// Section <c>Clusters</c> (beside <see cref="ClusterOptions"/>): what the reconciler needs in each team account that
/// the spec does not say — the VPC subnets and the IAM roles of the control plane and the nodes. The platform's
/// account baseline creates them with these names in every team account.
/// </summary>
public sealed class ClusterProvisioningOptions
{
    /// <summary>The emulator (like EKS) wants subnets in two availability zones; real accounts configure their own.</summary>
    public static readonly IReadOnlyList<string> DefaultSubnetIds = ["subnet-0unicron0000000a", "subnet-0unicron0000000b"];

    /// <summary>
    /// Subnet ids per environment (<c>Clusters:SubnetIds:dev:0</c>, <c>...:prod:1</c>) or for all of them
    /// (<c>Clusters:SubnetIds:default:0</c>). Empty: <see cref="DefaultSubnetIds"/>.
    /// </summary>
    public Dictionary<string, List<string>> SubnetIds { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The EKS cluster service role in each team account: <c>arn:aws:iam::ACCOUNT:role/{name}</c>.</summary>
    [Required, RegularExpression(@"^[\w+=,.@-]{1,64}$")]
    public string ClusterRoleName { get; set; } = "unicron-eks-cluster";

    /// <summary>The node instance role in each team account.</summary>
    [Required, RegularExpression(@"^[\w+=,.@-]{1,64}$")]
    public string NodeRoleName { get; set; } = "unicron-eks-node";

    public IReadOnlyList<string> SubnetsFor(EnvironmentName environment)
    {
        var key = environment.ToString().ToLowerInvariant();
        if (SubnetIds.TryGetValue(key, out var own) && own.Count > 0) return own;
        if (SubnetIds.TryGetValue("default", out var shared) && shared.Count > 0) return shared;
        return DefaultSubnetIds;
    }

    public static string RoleArn(string accountId, string roleName) => $"arn:aws:iam::{accountId}:role/{roleName}";
}
