using Portal.Core.Clusters;

namespace Portal.Web.Components.Shared.Clusters;

/// <summary>
/// The path from a cluster's version to the newest supported one, one minor at a time (EKS cannot skip a minor, and
/// the service refuses a request that tries). Only <see cref="Next"/> can be asked for now.
/// </summary>
public sealed record UpgradePlan(string Current, IReadOnlyList<string> Steps)
{
    public string? Next => Steps.Count > 0 ? Steps[0] : null;

    public static UpgradePlan For(string current, IEnumerable<string> supported)
    {
        var available = supported.Select(v => KubernetesVersion.TryParse(v, out var p) ? p : (KubernetesVersion?)null)
            .OfType<KubernetesVersion>().ToHashSet();
        var steps = new List<string>();
        if (KubernetesVersion.TryParse(current, out var at))
        {
            // Walk minor by minor while the next one is supported: a gap in the list ends the plan there.
            while (available.Contains(at.NextMinor))
            {
                at = at.NextMinor;
                steps.Add(at.ToString());
            }
        }
        return new UpgradePlan(current, steps);
    }
}
