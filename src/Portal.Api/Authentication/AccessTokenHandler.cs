using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Tokens;

namespace Portal.Api.Authentication;

/// <summary>
/// <c>Authorization: Bearer ucp_pat_...</c>: the portal's own access tokens, verified by hash through
/// <see cref="TokenService.AuthenticateAsync"/> (which also records last use). Unknown, revoked and expired tokens
/// fail alike, so the answer tells an attacker nothing.
/// </summary>
public sealed class AccessTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var secret = ApiAuthentication.BearerToken(Request);
        if (secret is null) return AuthenticateResult.NoResult();
        var found = await tokens.AuthenticateAsync(secret, Context.RequestAborted);
        if (found is not { } match) return AuthenticateResult.Fail("The access token is unknown, revoked or expired.");

        var (token, user) = match;
        var claims = new List<Claim>
        {
            new(PortalActor.ClaimTypes.UserId, user.Id.ToString()),
            new(PortalActor.ClaimTypes.Name, user.DisplayName),
            new(PortalActor.ClaimTypes.TokenId, token.Id.ToString()),
            new(PortalActor.ClaimTypes.Scopes, token.Scopes.ToString()),
            new(ClaimTypes.Email, user.Email),
        };
        if (user.IsPlatformAdmin) claims.Add(new Claim(PortalActor.ClaimTypes.PlatformAdmin, "true"));
        var identity = new ClaimsIdentity(claims, Scheme.Name, PortalActor.ClaimTypes.Name, ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        await ApiProblems.WriteUnauthorizedAsync(Context, result.Failure?.Message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => ApiProblems.WriteForbiddenAsync(Context);
}
