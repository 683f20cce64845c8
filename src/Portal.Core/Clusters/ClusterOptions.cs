using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Clusters;

/// <summary>Section <c>Clusters</c>: what teams may ask for.</summary>
public sealed class ClusterOptions
{
    public const string SectionName = "Clusters";

    /// <summary>The defaults used when configuration names no versions (see <see cref="KubernetesVersions"/>).</summary>
    public static readonly IReadOnlyList<string> DefaultKubernetesVersions = ["1.32", "1.33", "1.34"];

    /// <summary>
    /// Supported "major.minor" versions; the newest is the default for new clusters. Empty here and filled with
    /// <see cref="DefaultKubernetesVersions"/> after binding, because the configuration binder appends to a list
    /// that already has items instead of replacing it.
    /// </summary>
    public List<string> KubernetesVersions { get; set; } = [];

    /// <summary>Upper bound of any pool's max size.</summary>
    [Range(1, 10000)]
    public int MaxNodesPerPool { get; set; } = 100;

    /// <summary>Clusters one team environment may hold (one by default: an environment is an isolation boundary).</summary>
    [Range(1, 100)]
    public int MaxClustersPerEnvironment { get; set; } = 1;
}
