using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Portal.Api.Infrastructure;
using Portal.Api.Tokens;
using Portal.Core.Audit;
using Portal.Core.Teams;
using Portal.Core.Tokens;
using Portal.Core.Users;

namespace Portal.Api.Me;

public sealed record MeMembership(string Team, string DisplayName, TeamRole Role);

/// <summary>
/// How the caller authenticated: <c>token</c> (with its id and scopes) or <c>user</c> (an OIDC bearer token, all
/// scopes). <c>actingAsPlatformAdmin</c> is false for an admin whose token lacks the admin scope.
/// </summary>
public sealed record MeAuthentication(ActorKind Kind, Guid? TokenId, IReadOnlyList<TokenScopes> Scopes, bool ActingAsPlatformAdmin);

public sealed record MeResponse(
    Guid Id,
    string Email,
    string DisplayName,
    bool IsPlatformAdmin,
    IReadOnlyList<MeMembership> Memberships,
    MeAuthentication Authentication);

/// <summary><c>/api/v1/me</c>: who the API thinks you are; the first call a script makes to check its token.</summary>
public static class MeEndpoints
{
    public static RouteGroupBuilder MapMeEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/me", GetMeAsync).WithTags("Me").WithName("GetMe")
            .WithSummary("The caller: user, platform-admin flag, team memberships and the token's scopes.");
        return api;
    }

    private static async Task<Ok<MeResponse>> GetMeAsync(HttpContext http, UserService users, CancellationToken ct)
    {
        var actor = http.Actor();
        var user = await users.GetUserAsync(actor.UserId, ct);
        var memberships = await users.GetMembershipsAsync(actor.UserId, ct);
        return TypedResults.Ok(new MeResponse(
            user.Id, user.Email, user.DisplayName, user.IsPlatformAdmin,
            memberships.Select(m => new MeMembership(m.Slug, m.DisplayName, m.Role)).ToList(),
            new MeAuthentication(actor.Kind, actor.TokenId, TokenResponse.ScopeList(actor.Scopes), actor.IsPlatformAdmin)));
    }
}
