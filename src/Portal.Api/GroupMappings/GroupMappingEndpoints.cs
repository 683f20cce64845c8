using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Portal.Api.Infrastructure;
using Portal.Api.Teams;
using Portal.Core.Common;
using Portal.Core.Teams;

namespace Portal.Api.GroupMappings;

/// <summary><c>/api/v1/teams/{team}/group-mappings</c>: IdP groups that grant team roles at sign-in (owners manage).</summary>
public static class GroupMappingEndpoints
{
    public static string Location(string team, Guid id) => $"{TeamEndpoints.Location(team)}/group-mappings/{id}";

    public static RouteGroupBuilder MapGroupMappingEndpoints(this RouteGroupBuilder api)
    {
        var mappings = api.MapGroup("/teams/{team}/group-mappings").WithTags("Group mappings")
            .ProducesProblem(StatusCodes.Status404NotFound);
        mappings.MapGet("/", ListAsync).WithName("ListGroupMappings").ProducesValidationProblem();
        mappings.MapPost("/", AddAsync).WithName("AddGroupMapping")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        mappings.MapGet("/{id}", GetAsync).WithName("GetGroupMapping").ProducesValidationProblem();
        mappings.MapDelete("/{id}", RemoveAsync).WithName("RemoveGroupMapping").ProducesValidationProblem();
        return api;
    }

    private static async Task<Ok<PageResponse<GroupMappingResponse>>> ListAsync(
        HttpContext http, GroupMappingService mappings, string team, string? cursor, int? limit, CancellationToken ct)
    {
        var all = await mappings.ListAsync(http.Actor(), team, ct);
        return TypedResults.Ok(Paging.Slice(all, cursor, limit, m => m.Group).ToResponse(http, GroupMappingResponse.From));
    }

    private static async Task<Created<GroupMappingResponse>> AddAsync(
        HttpContext http, GroupMappingService mappings, string team, AddGroupMappingRequest request, CancellationToken ct)
    {
        var mapping = await mappings.AddAsync(http.Actor(), team, request.Group, request.Role, ct);
        return TypedResults.Created(Location(team, mapping.Id), GroupMappingResponse.From(mapping));
    }

    private static async Task<Ok<GroupMappingResponse>> GetAsync(
        HttpContext http, GroupMappingService mappings, string team, Guid id, CancellationToken ct)
    {
        var all = await mappings.ListAsync(http.Actor(), team, ct);
        var mapping = all.FirstOrDefault(m => m.Id == id) ?? throw new NotFoundException("Group mapping", id.ToString());
        return TypedResults.Ok(GroupMappingResponse.From(mapping));
    }

    private static async Task<NoContent> RemoveAsync(
        HttpContext http, GroupMappingService mappings, string team, Guid id, CancellationToken ct)
    {
        await mappings.RemoveAsync(http.Actor(), team, id, ct);
        return TypedResults.NoContent();
    }
}
