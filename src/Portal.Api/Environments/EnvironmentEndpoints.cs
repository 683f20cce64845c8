using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Portal.Api.Idempotency;
using Portal.Api.Infrastructure;
using Portal.Api.Teams;
using Portal.Core.Common;
using Portal.Core.Environments;

namespace Portal.Api.Environments;

/// <summary><c>/api/v1/teams/{team}/environments</c>: dev, staging and prod of a team (owners register them).</summary>
public static class EnvironmentEndpoints
{
    public static string Location(string team, EnvironmentName name) =>
        $"{TeamEndpoints.Location(team)}/environments/{Label(name)}";

    public static RouteGroupBuilder MapEnvironmentEndpoints(this RouteGroupBuilder api)
    {
        var environments = api.MapGroup("/teams/{team}/environments").WithTags("Environments")
            .ProducesProblem(StatusCodes.Status404NotFound);
        environments.MapGet("/", ListAsync).WithName("ListEnvironments").ProducesValidationProblem();
        environments.MapPost("/", RegisterAsync).WithName("RegisterEnvironment")
            .WithSummary("Register an environment (owners). The response is the only one showing the full external id (an Idempotency-Key replay has externalId: null).")
            .WithMetadata(new RedactOnReplay("externalId"))
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        environments.MapGet("/{env}", GetAsync).WithName("GetEnvironment");
        environments.MapPatch("/{env}", UpdateAsync).WithName("UpdateEnvironment")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        environments.MapDelete("/{env}", DeleteAsync).WithName("DeleteEnvironment")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return api;
    }

    private static async Task<Ok<PageResponse<EnvironmentResponse>>> ListAsync(
        HttpContext http, EnvironmentService environments, string team, string? cursor, int? limit, CancellationToken ct)
    {
        var all = await environments.ListAsync(http.Actor(), team, ct);
        // Keys sort in enum order (dev, staging, prod), which is also the list's order.
        var page = Paging.Slice(all, cursor, limit, e => ((int)e.Name).ToString("D2"));
        return TypedResults.Ok(page.ToResponse(http, e => EnvironmentResponse.From(e)));
    }

    private static async Task<Created<EnvironmentResponse>> RegisterAsync(
        HttpContext http, EnvironmentService environments, string team, CreateEnvironmentRequest request, CancellationToken ct)
    {
        var environment = await environments.RegisterAsync(http.Actor(), team,
            new NewEnvironment(request.Name, request.AwsAccountId, request.Region, request.ProvisionerRoleArn, request.ReliabilityTier), ct);
        return TypedResults.Created(Location(team, environment.Name), EnvironmentResponse.From(environment, revealExternalId: true));
    }

    private static async Task<Ok<EnvironmentResponse>> GetAsync(
        HttpContext http, EnvironmentService environments, string team, string env, CancellationToken ct) =>
        TypedResults.Ok(EnvironmentResponse.From(await environments.GetAsync(http.Actor(), team, Parse(team, env), ct)));

    private static async Task<Ok<EnvironmentResponse>> UpdateAsync(
        HttpContext http, EnvironmentService environments, string team, string env, UpdateEnvironmentRequest request,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var environment = await environments.UpdateAsync(http.Actor(), team, Parse(team, env),
            new EnvironmentChanges(request.Region, request.ProvisionerRoleArn, request.ReliabilityTier), ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.Ok(EnvironmentResponse.From(environment));
    }

    private static async Task<NoContent> DeleteAsync(
        HttpContext http, EnvironmentService environments, string team, string env,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        await environments.DeleteAsync(http.Actor(), team, Parse(team, env), ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.NoContent();
    }

    private static string Label(EnvironmentName name) => name.ToString().ToLowerInvariant();

    /// <summary>Only the wire names (dev, staging, prod) address an environment; anything else does not exist.</summary>
    private static EnvironmentName Parse(string team, string env) =>
        Enum.GetValues<EnvironmentName>().FirstOrDefault(n => Label(n) == env) is var name && Label(name) == env
            ? name
            : throw new NotFoundException("Environment", $"{team}/{env}");
}
