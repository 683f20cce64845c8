using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Portal.Api.Infrastructure;
using Portal.Api.Teams;
using Portal.Core.Teams;

namespace Portal.Api.Members;

/// <summary><c>/api/v1/teams/{team}/members</c>: members read, owners manage; a team always keeps an owner.</summary>
public static class MemberEndpoints
{
    public static string Location(string team, Guid userId) => $"{TeamEndpoints.Location(team)}/members/{userId}";

    public static RouteGroupBuilder MapMemberEndpoints(this RouteGroupBuilder api)
    {
        var members = api.MapGroup("/teams/{team}/members").WithTags("Members")
            .ProducesProblem(StatusCodes.Status404NotFound);
        members.MapGet("/", ListMembersAsync).WithName("ListMembers").ProducesValidationProblem();
        members.MapPost("/", AddMemberAsync).WithName("AddMember")
            .WithSummary("Add a member by e-mail (owners).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        members.MapGet("/{userId}", GetMemberAsync).WithName("GetMember").ProducesValidationProblem();
        members.MapPatch("/{userId}", ChangeRoleAsync).WithName("ChangeMemberRole")
            .WithSummary("Change a member's role (owners). The membership then stops following IdP groups.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        members.MapDelete("/{userId}", RemoveMemberAsync).WithName("RemoveMember")
            .WithSummary("Remove a member (owners); the last owner cannot leave.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return api;
    }

    private static async Task<Ok<PageResponse<MemberResponse>>> ListMembersAsync(
        HttpContext http, MemberService members, string team, string? cursor, int? limit, CancellationToken ct)
    {
        var all = await members.ListMembersAsync(http.Actor(), team, ct);
        var page = Paging.Slice(all, cursor, limit, m => m.User.Email);
        return TypedResults.Ok(page.ToResponse(http, MemberResponse.From));
    }

    private static async Task<Created<MemberResponse>> AddMemberAsync(
        HttpContext http, MemberService members, string team, AddMemberRequest request, CancellationToken ct)
    {
        var view = await members.AddMemberAsync(http.Actor(), team, request.Email, request.Role, ct);
        return TypedResults.Created(Location(team, view.User.Id), MemberResponse.From(view));
    }

    private static async Task<Ok<MemberResponse>> GetMemberAsync(
        HttpContext http, MemberService members, string team, Guid userId, CancellationToken ct) =>
        TypedResults.Ok(MemberResponse.From(await members.GetMemberAsync(http.Actor(), team, userId, ct)));

    private static async Task<Ok<MemberResponse>> ChangeRoleAsync(
        HttpContext http, MemberService members, string team, Guid userId, ChangeMemberRoleRequest request,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var view = await members.ChangeRoleAsync(http.Actor(), team, userId, request.Role, ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.Ok(MemberResponse.From(view));
    }

    private static async Task<NoContent> RemoveMemberAsync(
        HttpContext http, MemberService members, string team, Guid userId,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        await members.RemoveMemberAsync(http.Actor(), team, userId, ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.NoContent();
    }
}
