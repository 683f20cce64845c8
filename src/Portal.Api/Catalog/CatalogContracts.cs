using System.Text.Json.Nodes;
using Portal.Core.Addons.Catalog;

namespace Portal.Api.Catalog;

/// <summary>Where Argo CD fetches the version: <c>type</c> helm (repoUrl, chart, revision = chart version) or git (repoUrl, path, revision).</summary>
public sealed record CatalogSourceResponse(string Type, string RepoUrl, string? Chart, string? Path, string Revision);

public sealed record CatalogRequirementResponse(string AddonId, string VersionRange);

/// <summary>
/// One version. <c>allowed</c> and <c>reasons</c> are present when the catalogue was asked for a cluster
/// (<c>?team=&amp;cluster=</c>): whether it may go there and, if not, every reason in plain words.
/// </summary>
public sealed record CatalogVersionResponse(
    string Version,
    Maturity Maturity,
    CatalogSourceResponse Source,
    string Namespace,
    IReadOnlyList<CatalogRequirementResponse> Requires,
    string? MinKubernetesVersion,
    string? MaxKubernetesVersion,
    IReadOnlyList<string> Provides,
    IReadOnlyList<string> Conflicts,
    string ReleaseNotes,
    JsonObject DefaultValues,
    JsonObject? ValuesSchema,
    bool? Allowed,
    IReadOnlyList<string>? Reasons);

/// <summary>A catalogue entry; <c>delivery</c> explains add-ons without a maintained chart. Versions newest first.</summary>
public sealed record CatalogEntryResponse(
    string Id,
    string Name,
    AddonCategory Category,
    string Description,
    Uri DocumentationUrl,
    string Icon,
    string? Delivery,
    IReadOnlyList<CatalogVersionResponse> Versions)
{
    public static CatalogEntryResponse From(AddonEntry entry, Func<AddonVersion, Eligibility>? eligibility = null) => new(
        entry.Id, entry.Name, entry.Category, entry.Description, entry.DocumentationUrl, entry.Icon, entry.Delivery,
        entry.Versions.Select(v =>
        {
            var verdict = eligibility?.Invoke(v);
            return new CatalogVersionResponse(
                v.Version, v.Maturity,
                v.Source.Helm is { } helm
                    ? new CatalogSourceResponse("helm", helm.RepoUrl, helm.Chart, null, helm.Version)
                    : new CatalogSourceResponse("git", v.Source.Git!.RepoUrl, null, v.Source.Git.Path, v.Source.Git.Revision),
                v.Namespace,
                v.Requires.Select(r => new CatalogRequirementResponse(r.AddonId, r.VersionRange)).ToList(),
                v.MinKubernetesVersion?.ToString(), v.MaxKubernetesVersion?.ToString(),
                v.Provides, v.Conflicts, v.ReleaseNotes,
                v.DefaultValues.DeepClone().AsObject(), v.ValuesSchema?.DeepClone().AsObject(),
                verdict?.Allowed, verdict?.Reasons);
        }).ToList());
}

/// <summary>The whole (filtered) catalogue: a few dozen entries, so not paged.</summary>
public sealed record CatalogListResponse(IReadOnlyList<CatalogEntryResponse> Items);
