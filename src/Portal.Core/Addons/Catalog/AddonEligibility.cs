
namespace Portal.Core.Addons.Catalog;

/// <summary>
/// Whether one version of an add-on may go on a cluster as it is now: maturity for the cluster's environment, the
/// Kubernetes version range, conflicts with what is installed, and requirements installed at the wrong version.
/// Missing requirements are not reasons here: <see cref="AddonDependencies.Plan"/> offers to install them.
/// </summary>
public static class AddonEligibility
{
    public static Eligibility Check(AddonCatalog catalog, AddonEntry entry, AddonVersion version, ClusterFacts facts)
    {
        var reasons = new List<string>();
        var subject = $"{entry.Name} {version.Version}";

        // An admin override lifts the maturity gate for this team, and nothing else.
        if (!facts.OverriddenAddonIds.Contains(entry.Id) && MaturityPolicy.Refusal(version.Maturity, facts.Environment) is { } refusal)
            reasons.Add($"{subject} is {MaturityPolicy.Name(version.Maturity)}. {refusal}");

        if (version.MinKubernetesVersion is { } min && facts.KubernetesVersion < min)
            reasons.Add($"{subject} needs Kubernetes {min} or newer; the cluster runs {facts.KubernetesVersion}.");
        if (version.MaxKubernetesVersion is { } max && facts.KubernetesVersion > max)
            reasons.Add($"{subject} supports Kubernetes up to {max}; the cluster runs {facts.KubernetesVersion}.");

        foreach (var (installedId, installedVersionText) in facts.Installed.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            if (installedId == entry.Id) continue; // the same add-on at another version is an upgrade, not a conflict
            var installedEntry = catalog.Find(installedId);
            var installedVersion = installedEntry?.FindVersion(installedVersionText);
            var other = $"{installedEntry?.Name ?? installedId} {installedVersionText}";
            if (version.Conflicts.Contains(installedId))
                reasons.Add($"{subject} cannot share a cluster with {other}, which is installed.");
            else if (installedVersion?.Conflicts.Contains(entry.Id) == true)
                reasons.Add($"{other}, which is installed, cannot share a cluster with {entry.Name}.");
            if (installedVersion is not null)
                foreach (var capability in version.Provides.Intersect(installedVersion.Provides, StringComparer.Ordinal))
                    reasons.Add($"{subject} and {other}, which is installed, both provide the {capability}; a cluster can have only one.");
        }

        foreach (var requirement in version.Requires)
        {
            if (!facts.Installed.TryGetValue(requirement.AddonId, out var installed)) continue;
            if (!VersionRange.Satisfies(requirement.VersionRange, installed))
                reasons.Add($"{subject} needs {catalog.Find(requirement.AddonId)?.Name ?? requirement.AddonId} {requirement.VersionRange}; the cluster has {installed}.");
        }
        return reasons.Count == 0 ? Eligibility.Yes : new Eligibility(reasons);
    }

    /// <summary>Convenience for listings: each version of <paramref name="entry"/> with its eligibility on the cluster.</summary>
    public static IReadOnlyList<(AddonVersion Version, Eligibility Eligibility)> CheckAll(AddonCatalog catalog, AddonEntry entry, ClusterFacts facts) =>
        [.. entry.Versions.Select(v => (v, Check(catalog, entry, v, facts)))];

}
