namespace Portal.Core.Addons.Catalog;

/// <summary>One add-on to install before the one asked for.</summary>
public sealed record AddonPlanStep(AddonEntry Entry, AddonVersion Version);

/// <summary>
/// What installing a version takes: the missing requirements to install first (dependencies before dependents, each
/// once), or the reasons it cannot be done. Install only when <see cref="Refusals"/> is empty.
/// </summary>
public sealed record DependencyPlan(IReadOnlyList<AddonPlanStep> InstallFirst, IReadOnlyList<string> Refusals)
{
    public bool CanInstall => Refusals.Count == 0;
}

/// <summary>Requirements between add-ons: what to install first, and what still needs an add-on before it can go.</summary>
public static class AddonDependencies
{
    /// <summary>
    /// For each requirement of <paramref name="version"/> that is not installed, the newest version in range that is
    /// eligible on the cluster (taking the add-ons planned before it into account), recursively. A requirement with no
    /// eligible version becomes a refusal that says why each candidate was turned down.
    /// </summary>
    public static DependencyPlan Plan(AddonCatalog catalog, AddonEntry entry, AddonVersion version, ClusterFacts facts)
    {
        var steps = new List<AddonPlanStep>();
        var refusals = new List<string>();
        // Planned add-ons count as installed for the checks of those after them (conflicts, provides, ranges).
        var planned = new Dictionary<string, string>(facts.Installed, StringComparer.Ordinal)
        {
            // The add-on being installed counts too: a dependency that conflicts with it cannot be planned.
            [entry.Id] = version.Version,
        };
        var visiting = new HashSet<string>(StringComparer.Ordinal) { entry.Id };
        Resolve(catalog, entry, version, facts, planned, visiting, steps, refusals);
        return new DependencyPlan(steps, refusals.Distinct().ToList());
    }

    private static void Resolve(
        AddonCatalog catalog, AddonEntry entry, AddonVersion version, ClusterFacts facts, Dictionary<string, string> planned,
        HashSet<string> visiting, List<AddonPlanStep> steps, List<string> refusals)
    {
        foreach (var requirement in version.Requires)
        {
            if (planned.TryGetValue(requirement.AddonId, out var have))
            {
                // Installed (or already planned) at a wrong version: eligibility reports it for what is installed; a
                // clash between two planned add-ons is only visible here.
                if (facts.Installed.GetValueOrDefault(requirement.AddonId) != have && !VersionRange.Satisfies(requirement.VersionRange, have))
                    refusals.Add($"{entry.Name} {version.Version} needs {Name(catalog, requirement.AddonId)} {requirement.VersionRange}, but the plan already installs {have}.");
                continue;
            }
            if (!visiting.Add(requirement.AddonId))
            {
                refusals.Add($"{entry.Name} {version.Version} and {Name(catalog, requirement.AddonId)} require each other; the catalogue must break the cycle.");
                continue;
            }
            var required = catalog.Find(requirement.AddonId);
            if (required is null)
            {
                refusals.Add($"{entry.Name} {version.Version} requires {requirement.AddonId}, which is not in the catalogue.");
                visiting.Remove(requirement.AddonId);
                continue;
            }
            var candidates = required.Versions.Where(v => VersionRange.Satisfies(requirement.VersionRange, v.Version)).ToList();
            if (candidates.Count == 0)
            {
                refusals.Add($"{entry.Name} {version.Version} needs {required.Name} {requirement.VersionRange}, and the catalogue has no such version.");
                visiting.Remove(requirement.AddonId);
                continue;
            }
            var why = new List<string>();
            AddonVersion? chosen = null;
            // Versions are newest first: the first eligible one wins.
            foreach (var candidate in candidates)
            {
                var eligibility = AddonEligibility.Check(catalog, required, candidate, facts with { Installed = planned });
                if (eligibility.Allowed) { chosen = candidate; break; }
                why.AddRange(eligibility.Reasons);
            }
            if (chosen is null)
                refusals.Add($"{entry.Name} {version.Version} needs {required.Name} {requirement.VersionRange}, and no version of it can go on this cluster: {string.Join(" ", why.Distinct())}");
            else
            {
                Resolve(catalog, required, chosen, facts, planned, visiting, steps, refusals);
                steps.Add(new AddonPlanStep(required, chosen));
                planned[required.Id] = chosen.Version;
            }
            visiting.Remove(requirement.AddonId);
        }
    }

    /// <summary>
    /// The installed add-ons (ids, sorted) whose installed version requires <paramref name="addonId"/>: while there are
    /// any, uninstalling it must be refused.
    /// </summary>
    public static IReadOnlyList<string> RequiredBy(AddonCatalog catalog, string addonId, IReadOnlyDictionary<string, string> installed) =>
        [.. installed
            .Where(i => i.Key != addonId)
            .Where(i => catalog.Find(i.Key)?.FindVersion(i.Value)?.Requires.Any(r => r.AddonId == addonId) == true)
            .Select(i => i.Key)
            .Order(StringComparer.Ordinal)];

    private static string Name(AddonCatalog catalog, string id) => catalog.Find(id)?.Name ?? id;
}
