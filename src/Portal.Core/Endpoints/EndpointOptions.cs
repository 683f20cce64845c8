using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Endpoints;

/// <summary>Section <c>Endpoints</c>: where endpoints are served.</summary>
public sealed class EndpointOptions
{
    public const string SectionName = "Endpoints";

    /// <summary>Endpoints answer at <c>{endpoint}.{team}.{BaseDomain}</c> (gRPC: <c>{endpoint}-grpc.{team}.{BaseDomain}</c>).</summary>
    [Required, RegularExpression(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")]
    public string BaseDomain { get; set; } = "inference.unicron.local";

    /// <summary>ACM certificate for the load balancers' HTTPS listeners; empty lets the controller discover one by host.</summary>
    public string? CertificateArn { get; set; }

    /// <summary>Internet-facing load balancers instead of internal ones.</summary>
    public bool InternetFacing { get; set; }

    /// <summary>The Karpenter EC2NodeClass GPU NodePools refer to, on clusters that use Karpenter.</summary>
    [Required]
    public string KarpenterNodeClass { get; set; } = "default";

    /// <summary>How often a converged endpoint's status (replicas, scaling reason) is read again from the cluster.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan StatusRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many endpoints one cluster may run.</summary>
    [Range(1, 500)]
    public int MaxEndpointsPerCluster { get; set; } = 50;
}
