using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Portal.Api.Infrastructure;
using Portal.Core.Access;
using Portal.Core.Addons.Catalog;
using Portal.Core.Addons.Installations;
using Portal.Core.Common;
using Portal.Core.Tokens;

namespace Portal.Api.Catalog;

/// <summary>
/// <c>/api/v1/catalog</c>: the add-on catalogue, readable by anyone signed in (read scope). Given a team and one of its
/// clusters, each version says whether it may be installed there and why not (maturity, Kubernetes range, conflicts).
/// </summary>
public static class CatalogEndpoints
{
    public static RouteGroupBuilder MapCatalogEndpoints(this RouteGroupBuilder api)
    {
        var catalog = api.MapGroup("/catalog").WithTags("Catalog");
        catalog.MapGet("/", ListAsync).WithName("ListCatalog")
            .WithSummary("The add-on catalogue. Filters: category, maturity (some version has it), q (name, id, description). " +
                         "With team and cluster, each version carries allowed and reasons for that cluster (404 if the cluster is not the caller's).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        catalog.MapGet("/{id}", GetAsync).WithName("GetCatalogEntry")
            .WithSummary("One catalogue entry with every version, its values schema, defaults and release notes; team and cluster as for the list.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<Ok<CatalogListResponse>> ListAsync(
        HttpContext http, AddonService addons, string? category, string? maturity, string? q, string? team, string? cluster, CancellationToken ct)
    {
        var actor = http.Actor();
        TeamAccess.RequireScope(actor, TokenScopes.Read);
        var errors = new ValidationErrors();
        var wantedCategory = ParseEnum<AddonCategory>(errors, "category", category);
        var wantedMaturity = ParseEnum<Maturity>(errors, "maturity", maturity);
        errors.ThrowIfAny();
        var eligibility = await EligibilityAsync(addons, actor, team, cluster, ct);
        var entries = addons.Catalog.Entries
            .Where(e => wantedCategory is null || e.Category == wantedCategory)
            .Where(e => wantedMaturity is null || e.Versions.Any(v => v.Maturity == wantedMaturity))
            .Where(e => string.IsNullOrWhiteSpace(q) || Matches(e, q.Trim()))
            .Select(e => CatalogEntryResponse.From(e, eligibility is null ? null : v => eligibility(e, v)))
            .ToList();
        return TypedResults.Ok(new CatalogListResponse(entries));
    }

    private static async Task<Ok<CatalogEntryResponse>> GetAsync(
        HttpContext http, AddonService addons, string id, string? team, string? cluster, CancellationToken ct)
    {
        var actor = http.Actor();
        TeamAccess.RequireScope(actor, TokenScopes.Read);
        var entry = addons.Catalog.Find(id) ?? throw new NotFoundException("Add-on", id);
        var eligibility = await EligibilityAsync(addons, actor, team, cluster, ct);
        return TypedResults.Ok(CatalogEntryResponse.From(entry, eligibility is null ? null : v => eligibility(entry, v)));
    }

    /// <summary>Null without a cluster; else the catalogue's verdict per version for that cluster (the entry itself not counted as installed).</summary>
    private static async Task<Func<AddonEntry, AddonVersion, Eligibility>?> EligibilityAsync(
        AddonService addons, PortalActor actor, string? team, string? cluster, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(team) && string.IsNullOrEmpty(cluster)) return null;
        if (string.IsNullOrEmpty(team)) throw new DomainValidationException("team", "is required with cluster.");
        if (string.IsNullOrEmpty(cluster)) throw new DomainValidationException("cluster", "is required with team.");
        var facts = await addons.GetClusterFactsAsync(actor, team, cluster, ct);
        return (entry, version) => AddonEligibility.Check(addons.Catalog, entry, version, facts with
        {
            Installed = facts.Installed.Where(i => i.Key != entry.Id).ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal),
        });
    }

    private static bool Matches(AddonEntry entry, string q) =>
        entry.Id.Contains(q, StringComparison.OrdinalIgnoreCase) || entry.Name.Contains(q, StringComparison.OrdinalIgnoreCase)
        || entry.Description.Contains(q, StringComparison.OrdinalIgnoreCase);

    /// <summary>Query values in the API's kebab-case ("ml-lifecycle"); anything else is a 400 naming the field and the choices.</summary>
    private static T? ParseEnum<T>(ValidationErrors errors, string field, string? value) where T : struct, Enum
    {
        if (string.IsNullOrEmpty(value)) return null;
        foreach (var candidate in Enum.GetValues<T>())
            if (JsonNamingPolicy.KebabCaseLower.ConvertName(candidate.ToString()) == value) return candidate;
        errors.Add(field, $"must be one of {string.Join(", ", Enum.GetValues<T>().Select(v => JsonNamingPolicy.KebabCaseLower.ConvertName(v.ToString())))}.");
        return null;
    }
}
