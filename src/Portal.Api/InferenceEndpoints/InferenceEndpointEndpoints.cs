using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Portal.Api.Clusters;
using Portal.Api.Infrastructure;
using Portal.Core.Access;
using Portal.Core.Catalog;
using Portal.Core.Common;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Tokens;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Portal.Api.InferenceEndpoints;

/// <summary>
/// <c>/api/v1/teams/{team}/clusters/{cluster}/endpoints</c> (GPU inference endpoints) and <c>/api/v1/gpu-types</c>.
/// Writes answer 202 Accepted: the spec is recorded and a worker converges the endpoint; poll it (or its events).
/// </summary>
public static class InferenceEndpointEndpoints
{
    public static string Location(string team, string cluster, string name) => $"{ClusterEndpoints.Location(team, cluster)}/endpoints/{name}";

    public static RouteGroupBuilder MapInferenceEndpointEndpoints(this RouteGroupBuilder api)
    {
        var endpoints = api.MapGroup("/teams/{team}/clusters/{cluster}/endpoints").WithTags("Inference endpoints")
            .ProducesProblem(StatusCodes.Status404NotFound);
        endpoints.MapGet("/", ListAsync).WithName("ListEndpoints").ProducesValidationProblem();
        endpoints.MapPost("/", CreateAsync).WithName("CreateEndpoint")
            .WithSummary("Deploy a GPU inference endpoint on the cluster (maintainers). 202: GPU capacity and rollout continue in the background.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        endpoints.MapGet("/{name}", GetAsync).WithName("GetEndpoint");
        endpoints.MapPatch("/{name}", UpdateAsync).WithName("UpdateEndpoint")
            .WithSummary("Change the spec with a JSON merge patch (RFC 7396) of it; the name cannot change. Honours If-Match.")
            .Accepts<JsonObject>("application/json", "application/merge-patch+json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        endpoints.MapDelete("/{name}", DeleteAsync).WithName("DeleteEndpoint")
            .WithSummary("Delete the endpoint: its objects, then GPU capacity no other endpoint needs. 202: the resource goes when the cluster is clean.")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        endpoints.MapGet("/{name}/events", ListEventsAsync).WithName("ListEndpointEvents")
            .WithSummary("The endpoint's timeline, newest first.")
            .ProducesValidationProblem();
        endpoints.MapGet("/{name}/manifests", GetManifestsAsync).WithName("GetEndpointManifests")
            .WithSummary("The Kubernetes objects the current spec renders to, exactly as the portal applies them.");

        api.MapGet("/gpu-types", ListGpuTypes).WithTags("Inference endpoints").WithName("ListGpuTypes")
            .WithSummary("GPU models endpoints may use, with GPU memory and the instance types carrying them (vCPU, memory, us-east-1 on-demand price).");
        return api;
    }

    private static async Task<Ok<PageResponse<EndpointResponse>>> ListAsync(
        HttpContext http, EndpointService service, string team, string cluster, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await service.ListAsync(http.Actor(), team, cluster, new EndpointQuery(cursor, limit), ct);
        return TypedResults.Ok(page.ToResponse(http, EndpointResponse.From));
    }

    private static async Task<Accepted<EndpointResponse>> CreateAsync(
        HttpContext http, EndpointService service, string team, string cluster, EndpointSpec request, CancellationToken ct)
    {
        var view = await service.CreateAsync(http.Actor(), team, cluster, request, ct);
        return TypedResults.Accepted(Location(team, cluster, view.Endpoint.Name), EndpointResponse.From(view));
    }

    private static async Task<Ok<EndpointResponse>> GetAsync(
        HttpContext http, EndpointService service, string team, string cluster, string name, CancellationToken ct) =>
        TypedResults.Ok(EndpointResponse.From(await service.GetAsync(http.Actor(), team, cluster, name, ct)));

    private static async Task<Accepted<EndpointResponse>> UpdateAsync(
        HttpContext http, EndpointService service, IOptions<JsonOptions> json, string team, string cluster, string name,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var expected = ETags.ParseIfMatch(ifMatch);
        var patch = await ReadPatchAsync(http, json.Value.SerializerOptions, ct);
        for (var attempt = 1; ; attempt++)
        {
            var current = await service.GetAsync(http.Actor(), team, cluster, name, ct);
            var merged = Merge(JsonSerializer.SerializeToNode(current.Endpoint.Spec, json.Value.SerializerOptions), patch);
            var spec = merged.Deserialize<EndpointSpec>(json.Value.SerializerOptions)
                       ?? throw new DomainValidationException("", "the merged spec is empty.");
            try
            {
                // Without If-Match the merge base is the version just read: a change in between re-reads and re-merges.
                var view = await service.UpdateAsync(http.Actor(), team, cluster, name, spec, expected ?? current.Endpoint.Version, ct);
                return TypedResults.Accepted(Location(team, cluster, name), EndpointResponse.From(view));
            }
            catch (PreconditionFailedException) when (expected is null && attempt < 5)
            {
            }
        }
    }

    private static async Task<Accepted<EndpointResponse>> DeleteAsync(
        HttpContext http, EndpointService service, string team, string cluster, string name,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var view = await service.DeleteAsync(http.Actor(), team, cluster, name, ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.Accepted(Location(team, cluster, name), EndpointResponse.From(view));
    }

    private static async Task<Ok<PageResponse<EndpointEventResponse>>> ListEventsAsync(
        HttpContext http, EndpointService service, string team, string cluster, string name, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await service.ListEventsAsync(http.Actor(), team, cluster, name, new EndpointQuery(cursor, limit), ct);
        return TypedResults.Ok(page.ToResponse(http, EndpointEventResponse.From));
    }

    private static async Task<Ok<EndpointManifestsResponse>> GetManifestsAsync(
        HttpContext http, EndpointService service, string team, string cluster, string name, CancellationToken ct) =>
        TypedResults.Ok(new EndpointManifestsResponse(await service.GetManifestsAsync(http.Actor(), team, cluster, name, ct)));

    private static Ok<GpuTypeListResponse> ListGpuTypes(HttpContext http, GpuTypes gpus)
    {
        TeamAccess.RequireScope(http.Actor(), TokenScopes.Read);
        return TypedResults.Ok(new GpuTypeListResponse(gpus.All.Select(GpuTypeResponse.From).ToList(), InstanceTypeCatalog.PriceRegion));
    }

    private static async Task<JsonObject> ReadPatchAsync(HttpContext http, JsonSerializerOptions options, CancellationToken ct)
    {
        var mediaType = http.Request.ContentType?.Split(';')[0].Trim();
        if (mediaType is not ("application/json" or "application/merge-patch+json"))
            throw new DomainValidationException("", "send the patch as application/json or application/merge-patch+json.");
        // Duplicate members are refused (a JsonException, so a 400 naming the field) rather than thrown from JsonObject as a 500.
        var node = await JsonNode.ParseAsync(http.Request.Body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }, cancellationToken: ct);
        return node as JsonObject ?? throw new DomainValidationException("", "must be a JSON object: a merge patch of the endpoint's spec.");
    }

    /// <summary>RFC 7396: objects merge member by member, null removes a member, anything else replaces.</summary>
    internal static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target as JsonObject is { } t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null) result.Remove(key);
            else result[key] = Merge(result[key], value);
        }
        return result;
    }
}
