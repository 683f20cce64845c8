using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Portal.Api.Infrastructure;
using Portal.Core.Teams;

namespace Portal.Api.Teams;

/// <summary><c>/api/v1/teams</c>: the tenants. Who may see or change which team is decided by the services.</summary>
public static class TeamEndpoints
{
    public static string Location(string slug) => $"{PortalApi.V1}/teams/{slug}";

    public static RouteGroupBuilder MapTeamEndpoints(this RouteGroupBuilder api)
    {
        var teams = api.MapGroup("/teams").WithTags("Teams");
        teams.MapGet("/", ListTeamsAsync).WithName("ListTeams")
            .WithSummary("Teams you belong to (all teams for platform admins), by slug.")
            .ProducesValidationProblem();
        teams.MapPost("/", CreateTeamAsync).WithName("CreateTeam")
            .WithSummary("Create a team; you become its owner.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        teams.MapGet("/{team}", GetTeamAsync).WithName("GetTeam")
            .ProducesProblem(StatusCodes.Status404NotFound);
        teams.MapPatch("/{team}", UpdateTeamAsync).WithName("UpdateTeam")
            .WithSummary("Change a team's display name, description or cost centre (owners).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        teams.MapDelete("/{team}", DeleteTeamAsync).WithName("DeleteTeam")
            .WithSummary("Delete a team (owners).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return api;
    }

    private static async Task<Ok<PageResponse<TeamResponse>>> ListTeamsAsync(
        HttpContext http, TeamService teams,
        [MaxLength(100)] string? search, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await teams.ListTeamsAsync(http.Actor(), new TeamQuery(search, cursor, limit), ct);
        return TypedResults.Ok(page.ToResponse(http, TeamResponse.From));
    }

    private static async Task<Created<TeamResponse>> CreateTeamAsync(
        HttpContext http, TeamService teams, CreateTeamRequest request, CancellationToken ct)
    {
        var view = await teams.CreateTeamAsync(http.Actor(),
            new NewTeam(request.Slug, request.DisplayName, request.Description, request.CostCentre, request.OwnerEmail), ct);
        return TypedResults.Created(Location(view.Team.Slug), TeamResponse.From(view));
    }

    private static async Task<Ok<TeamResponse>> GetTeamAsync(HttpContext http, TeamService teams, string team, CancellationToken ct) =>
        TypedResults.Ok(TeamResponse.From(await teams.GetTeamAsync(http.Actor(), team, ct)));

    private static async Task<Ok<TeamResponse>> UpdateTeamAsync(
        HttpContext http, TeamService teams, string team, UpdateTeamRequest request,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var view = await teams.UpdateTeamAsync(http.Actor(), team,
            new TeamChanges(request.DisplayName, request.Description, request.CostCentre), ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.Ok(TeamResponse.From(view));
    }

    private static async Task<NoContent> DeleteTeamAsync(
        HttpContext http, TeamService teams, string team,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        await teams.DeleteTeamAsync(http.Actor(), team, ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.NoContent();
    }
}
