using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Portal.Api.Idempotency;
using Portal.Api.Infrastructure;
using Portal.Core.Tokens;

namespace Portal.Api.Tokens;

/// <summary><c>/api/v1/tokens</c>: the caller's personal access tokens. DELETE revokes (the row stays for the audit trail).</summary>
public static class TokenEndpoints
{
    public static string Location(Guid id) => $"{PortalApi.V1}/tokens/{id}";

    public static RouteGroupBuilder MapTokenEndpoints(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Tokens");
        tokens.MapGet("/", ListAsync).WithName("ListTokens").ProducesValidationProblem();
        tokens.MapPost("/", CreateAsync).WithName("CreateToken")
            .WithSummary("Create a token. The response carries the secret; it is never shown again (an Idempotency-Key replay has secret: null).")
            .WithMetadata(new RedactOnReplay("secret"))
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        tokens.MapGet("/{id}", GetAsync).WithName("GetToken")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        tokens.MapDelete("/{id}", RevokeAsync).WithName("RevokeToken")
            .WithSummary("Revoke a token: it stops working at once.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Ok<PageResponse<TokenResponse>>> ListAsync(
        HttpContext http, TokenService tokens, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await tokens.ListAsync(http.Actor(), cursor, limit, ct);
        return TypedResults.Ok(page.ToResponse(http, TokenResponse.From));
    }

    private static async Task<Created<CreatedTokenResponse>> CreateAsync(
        HttpContext http, TokenService tokens, CreateTokenRequest request, CancellationToken ct)
    {
        var scopes = request.Scopes.Aggregate(TokenScopes.None, (all, s) => all | s);
        var created = await tokens.CreateAsync(http.Actor(), new NewToken(request.Name, scopes, request.ExpiresAt), ct);
        return TypedResults.Created(Location(created.Token.Id), CreatedTokenResponse.From(created));
    }

    private static async Task<Ok<TokenResponse>> GetAsync(HttpContext http, TokenService tokens, Guid id, CancellationToken ct) =>
        TypedResults.Ok(TokenResponse.From(await tokens.GetAsync(http.Actor(), id, ct)));

    private static async Task<NoContent> RevokeAsync(HttpContext http, TokenService tokens, Guid id, CancellationToken ct)
    {
        await tokens.RevokeAsync(http.Actor(), id, ct);
        return TypedResults.NoContent();
    }
}
