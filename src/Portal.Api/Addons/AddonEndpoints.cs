using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Portal.Api.Clusters;
using Portal.Api.Infrastructure;
using Portal.Api.Teams;
using Portal.Core.Addons.Installations;

namespace Portal.Api.Addons;

/// <summary>
/// <c>/api/v1/teams/{team}/clusters/{cluster}/addons</c>, the promotion custom method and the platform admins' maturity
/// overrides. Writes answer 202 Accepted: the spec is recorded and a worker drives Argo CD; poll the add-on (or its
/// events) to follow.
/// </summary>
public static class AddonEndpoints
{
    public static string Location(string team, string cluster, string addonId) => $"{ClusterEndpoints.Location(team, cluster)}/addons/{addonId}";

    public static RouteGroupBuilder MapAddonEndpoints(this RouteGroupBuilder api)
    {
        var addons = api.MapGroup("/teams/{team}/clusters/{cluster}/addons").WithTags("Add-ons")
            .ProducesProblem(StatusCodes.Status404NotFound);
        addons.MapGet("/", ListAsync).WithName("ListAddons").ProducesValidationProblem();
        addons.MapPost("/", InstallAsync).WithName("InstallAddon")
            .WithSummary("Install a catalogue add-on (maintainers). 400 names each refused value by its path under values; 409 for maturity, " +
                         "Kubernetes range, conflicts, or requirements to confirm with installDependencies. 202: Argo CD installs it.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        addons.MapGet("/{addon}", GetAsync).WithName("GetAddon");
        addons.MapPatch("/{addon}", UpdateAsync).WithName("UpdateAddon")
            .WithSummary("Change the version and/or values (re-checked as an install is). Honours If-Match.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        addons.MapDelete("/{addon}", UninstallAsync).WithName("UninstallAddon")
            .WithSummary("Uninstall: 409 naming the add-ons that require it. 202: the row goes once the cluster confirms the Application is gone.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        addons.MapGet("/{addon}/events", ListEventsAsync).WithName("ListAddonEvents")
            .WithSummary("The add-on's timeline, newest first.")
            .ProducesValidationProblem();

        // A literal segment, so the colon never meets a route parameter (as clusters:attach).
        api.MapPost("/teams/{team}/clusters/{cluster}/addons:promote", PromoteAsync).WithTags("Add-ons").WithName("PromoteAddons")
            .WithSummary("Make this cluster's add-ons match those of ?from= (same team). dryRun=true returns the diff and blockers only; " +
                         "applying is refused (409) unless every source add-on is Healthy and every version's maturity allows this environment.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        var overrides = api.MapGroup("/admin/teams/{team}/maturity-overrides").WithTags("Add-ons")
            .ProducesProblem(StatusCodes.Status404NotFound);
        overrides.MapGet("/", ListOverridesAsync).WithName("ListMaturityOverrides")
            .WithSummary("Platform admins: the team's exceptions to the maturity policy.");
        overrides.MapPost("/", CreateOverrideAsync).WithName("CreateMaturityOverride")
            .WithSummary("Platform admins: let the team install any version of an add-on in any environment, with an audited reason.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        overrides.MapDelete("/{addon}", DeleteOverrideAsync).WithName("DeleteMaturityOverride")
            .WithSummary("Platform admins: remove the exception (installed add-ons stay; changes are checked against the policy again).");
        return api;
    }

    private static async Task<Ok<PageResponse<AddonResponse>>> ListAsync(
        HttpContext http, AddonService addons, string team, string cluster, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await addons.ListAsync(http.Actor(), team, cluster, new AddonQuery(cursor, limit), ct);
        return TypedResults.Ok(page.ToResponse(http, AddonResponse.From));
    }

    private static async Task<Accepted<AddonResponse>> InstallAsync(
        HttpContext http, AddonService addons, string team, string cluster, InstallAddonRequest request, CancellationToken ct)
    {
        var view = await addons.InstallAsync(http.Actor(), team, cluster,
            new AddonInstallRequest(request.AddonId, request.Version, request.Values, request.InstallDependencies), ct);
        return TypedResults.Accepted(Location(team, cluster, view.Installation.AddonId), AddonResponse.From(view));
    }

    private static async Task<Ok<AddonResponse>> GetAsync(
        HttpContext http, AddonService addons, string team, string cluster, string addon, CancellationToken ct) =>
        TypedResults.Ok(AddonResponse.From(await addons.GetAsync(http.Actor(), team, cluster, addon, ct)));

    private static async Task<Accepted<AddonResponse>> UpdateAsync(
        HttpContext http, AddonService addons, string team, string cluster, string addon, UpdateAddonRequest request,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var view = await addons.UpdateAsync(http.Actor(), team, cluster, addon, new AddonChanges(request.Version, request.Values),
            ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.Accepted(Location(team, cluster, addon), AddonResponse.From(view));
    }

    private static async Task<Accepted<AddonResponse>> UninstallAsync(
        HttpContext http, AddonService addons, string team, string cluster, string addon,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var view = await addons.UninstallAsync(http.Actor(), team, cluster, addon, ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.Accepted(Location(team, cluster, addon), AddonResponse.From(view));
    }

    private static async Task<Ok<PageResponse<AddonEventResponse>>> ListEventsAsync(
        HttpContext http, AddonService addons, string team, string cluster, string addon, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await addons.ListEventsAsync(http.Actor(), team, cluster, addon, new AddonQuery(cursor, limit), ct);
        return TypedResults.Ok(page.ToResponse(http, AddonEventResponse.From));
    }

    private static async Task<Results<Ok<PromotionResponse>, Accepted<PromotionResponse>>> PromoteAsync(
        HttpContext http, AddonService addons, string team, string cluster, string? from, bool? dryRun, CancellationToken ct)
    {
        var promotion = await addons.PromoteAsync(http.Actor(), team, cluster, from ?? "", dryRun ?? false, ct);
        var response = PromotionResponse.From(promotion);
        return promotion.Applied
            ? TypedResults.Accepted($"{ClusterEndpoints.Location(team, cluster)}/addons", response)
            : TypedResults.Ok(response);
    }

    private static async Task<Ok<MaturityOverrideListResponse>> ListOverridesAsync(HttpContext http, AddonService addons, string team, CancellationToken ct)
    {
        var rows = await addons.ListMaturityOverridesAsync(http.Actor(), team, ct);
        return TypedResults.Ok(new MaturityOverrideListResponse(rows.Select(MaturityOverrideResponse.From).ToList()));
    }

    private static async Task<Created<MaturityOverrideResponse>> CreateOverrideAsync(
        HttpContext http, AddonService addons, string team, CreateMaturityOverrideRequest request, CancellationToken ct)
    {
        var row = await addons.AddMaturityOverrideAsync(http.Actor(), team, request.AddonId, request.Reason, ct);
        return TypedResults.Created($"{PortalApi.V1}/admin/teams/{team}/maturity-overrides/{row.AddonId}", MaturityOverrideResponse.From(row));
    }

    private static async Task<NoContent> DeleteOverrideAsync(HttpContext http, AddonService addons, string team, string addon, CancellationToken ct)
    {
        await addons.RemoveMaturityOverrideAsync(http.Actor(), team, addon, ct);
        return TypedResults.NoContent();
    }
}
