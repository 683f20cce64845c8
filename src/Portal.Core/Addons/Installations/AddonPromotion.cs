using System.Text.Json.Nodes;
using Portal.Core.Environments;

namespace Portal.Core.Addons.Installations;

public enum PromotionChangeKind
{
    /// <summary>On the source, not on the target: installed.</summary>
    Added = 0,
    /// <summary>Another version on the source (values may differ too: see <see cref="PromotionChange.ChangedValuePaths"/>).</summary>
    Upgraded = 1,
    /// <summary>Same version, other values.</summary>
    ValuesChanged = 2,
    /// <summary>On the target, not on the source: uninstalled.</summary>
    Removed = 3,
}

/// <summary>One line of a promotion diff.</summary>
/// <param name="FromVersion">The target's version now (null when Added).</param>
/// <param name="ToVersion">The version after promotion (null when Removed).</param>
/// <param name="ChangedValuePaths">JSON paths ("$.tracking.replicas") whose override differs, sorted.</param>
public sealed record PromotionChange(string AddonId, PromotionChangeKind Kind, string? FromVersion, string? ToVersion, IReadOnlyList<string> ChangedValuePaths)
{
    public string Describe() => Kind switch
    {
        PromotionChangeKind.Added => $"install {AddonId} {ToVersion}",
        PromotionChangeKind.Upgraded => $"{AddonId} {FromVersion} → {ToVersion}{(ChangedValuePaths.Count > 0 ? $", values {string.Join(", ", ChangedValuePaths)}" : "")}",
        PromotionChangeKind.ValuesChanged => $"{AddonId} values {string.Join(", ", ChangedValuePaths)}",
        _ => $"uninstall {AddonId} {FromVersion}",
    };
}

/// <summary>
/// The result of comparing (and maybe applying) one cluster's add-ons onto another's: the exact diff, and every reason
/// applying it is refused (empty when it may be applied).
/// </summary>
public sealed record AddonPromotion(
    string Source,
    EnvironmentName SourceEnvironment,
    string Target,
    EnvironmentName TargetEnvironment,
    IReadOnlyList<PromotionChange> Changes,
    IReadOnlyList<string> Blockers,
    bool Applied)
{
    /// <summary>What must change on the target to match the source, by add-on id.</summary>
    public static IReadOnlyList<PromotionChange> Diff(IReadOnlyList<AddonInstallation> source, IReadOnlyList<AddonInstallation> target)
    {
        var changes = new List<PromotionChange>();
        var targets = target.ToDictionary(a => a.AddonId, StringComparer.Ordinal);
        foreach (var wanted in source)
        {
            if (!targets.TryGetValue(wanted.AddonId, out var current))
            {
                changes.Add(new(wanted.AddonId, PromotionChangeKind.Added, null, wanted.CatalogVersion, ChangedPaths(new JsonObject(), wanted.Values)));
                continue;
            }
            var paths = ChangedPaths(current.Values, wanted.Values);
            if (current.CatalogVersion != wanted.CatalogVersion)
                changes.Add(new(wanted.AddonId, PromotionChangeKind.Upgraded, current.CatalogVersion, wanted.CatalogVersion, paths));
            else if (paths.Count > 0)
                changes.Add(new(wanted.AddonId, PromotionChangeKind.ValuesChanged, current.CatalogVersion, wanted.CatalogVersion, paths));
        }
        var sourceIds = source.Select(a => a.AddonId).ToHashSet(StringComparer.Ordinal);
        foreach (var extra in target.Where(a => !sourceIds.Contains(a.AddonId)))
            changes.Add(new(extra.AddonId, PromotionChangeKind.Removed, extra.CatalogVersion, null, []));
        return [.. changes.OrderBy(c => c.AddonId, StringComparer.Ordinal)];
    }

    /// <summary>The leaf paths where two values objects differ: added, removed or changed (arrays compare whole).</summary>
    public static IReadOnlyList<string> ChangedPaths(JsonObject before, JsonObject after)
    {
        var paths = new List<string>();
        Walk("$", before, after, paths);
        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    private static void Walk(string path, JsonNode? before, JsonNode? after, List<string> paths)
    {
        // A map on one side only: its leaves are what changed ("$.ingress.enabled", not "$.ingress").
        if (before is JsonObject && after is null) after = new JsonObject();
        if (after is JsonObject && before is null) before = new JsonObject();
        if (before is JsonObject a && after is JsonObject b)
        {
            foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)))
                Walk($"{path}.{key}", a[key], b[key], paths);
            return;
        }
        if (!JsonNode.DeepEquals(before, after)) paths.Add(path);
    }
}
