using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Tokens;
using Portal.Core.Users;

namespace Portal.Api.Authentication;

/// <summary>
/// The API's own schemes. Scripts present <c>Authorization: Bearer</c> with either a portal access token or a JWT
/// from the web's OIDC authority; <see cref="Scheme"/> picks the handler by the token's shape. The API policy names
/// only that scheme, so the UI cookie never authenticates an API call and failures are JSON, not redirects.
/// </summary>
public static class ApiAuthentication
{
    /// <summary>The policy scheme the API policy uses: forwards to <see cref="AccessTokenScheme"/> or <see cref="JwtScheme"/>.</summary>
    public const string Scheme = "PortalApi";
    public const string AccessTokenScheme = "PortalAccessToken";
    public const string JwtScheme = "PortalOidcJwt";

    /// <summary>Audience expected in JWTs when <c>Auth:Jwt:Audience</c> is not set.</summary>
    public const string DefaultAudience = "unicron-portal-api";

    public static IServiceCollection AddPortalApiAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, AccessTokenHandler>(AccessTokenScheme, "Portal access token", null)
            .AddJwtBearer(JwtScheme, "OIDC access token", _ => { })
            .AddPolicyScheme(Scheme, "Portal API", o => o.ForwardDefaultSelector = SelectScheme);

        // Registered always, but reachable only when an authority is configured (SelectScheme checks): the host's
        // configuration is not known while services are being added.
        services.AddOptions<JwtBearerOptions>(JwtScheme).Configure<IConfiguration>((o, configuration) =>
        {
            o.Authority = configuration["Auth:Oidc:Authority"];
            o.Audience = configuration["Auth:Jwt:Audience"] is { Length: > 0 } audience ? audience : DefaultAudience;
            o.RequireHttpsMetadata = configuration.GetValue("Auth:Jwt:RequireHttpsMetadata", true);
            o.MapInboundClaims = false;
            o.TokenValidationParameters.NameClaimType = "name";
            o.Events = new JwtBearerEvents
            {
                OnTokenValidated = SignInJwtUserAsync,
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    await ApiProblems.WriteUnauthorizedAsync(context.HttpContext,
                        context.AuthenticateFailure is null ? null : "The bearer token is not valid for this API (issuer, audience, signature or expiry).");
                },
                OnForbidden = context => ApiProblems.WriteForbiddenAsync(context.HttpContext),
            };
        });

        services.AddAuthorizationBuilder().AddPolicy(PortalApi.PolicyName, policy => policy
            .AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(PortalActor.ClaimTypes.UserId));
        return services;
    }

    /// <summary>The bearer token of a request, or null when there is none.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }

    private static string SelectScheme(HttpContext http)
    {
        var token = BearerToken(http.Request);
        if (token is null || token.StartsWith(TokenService.SecretPrefix, StringComparison.Ordinal)) return AccessTokenScheme;
        var jwtConfigured = !string.IsNullOrEmpty(
            http.RequestServices.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtScheme).Authority);
        // A JWT is three base64url parts; anything else goes to the access-token handler, which refuses it.
        return jwtConfigured && token.Count(c => c == '.') == 2 ? JwtScheme : AccessTokenScheme;
    }

    /// <summary>
    /// A valid JWT is a sign-in: the subject becomes (or updates) a portal user, admin groups and group mappings
    /// apply as at web sign-in, and the principal gets the portal's claims so the endpoints see a <see cref="PortalActor"/>.
    /// </summary>
    private static async Task SignInJwtUserAsync(TokenValidatedContext context)
    {
        var principal = context.Principal!;
        var subject = principal.FindFirstValue("sub");
        var email = principal.FindFirstValue("email") ?? principal.FindFirstValue("preferred_username");
        if (string.IsNullOrEmpty(subject) || string.IsNullOrEmpty(email) || UserService.CheckEmail(email) is not null)
        {
            context.Fail("The token must carry 'sub' and an e-mail address ('email' or 'preferred_username').");
            return;
        }
        var services = context.HttpContext.RequestServices;
        var groupClaim = services.GetRequiredService<IOptions<IdentityOptions>>().Value.GroupClaim;
        var groups = principal.FindAll(groupClaim).Select(c => c.Value).ToList();
        var name = principal.FindFirstValue("name") ?? email;
        var user = await services.GetRequiredService<UserService>()
            .SignInAsync(new SignInIdentity(subject, email, name, groups), context.HttpContext.RequestAborted);

        // The IdP is trusted for who someone is, never for portal claims: those come only from the portal's user row.
        var claims = principal.Claims.Where(c => !c.Type.StartsWith("portal:", StringComparison.Ordinal)).ToList();
        claims.Add(new Claim(PortalActor.ClaimTypes.UserId, user.Id.ToString()));
        claims.Add(new Claim(PortalActor.ClaimTypes.Scopes, PortalActor.AllScopes.ToString()));
        if (!claims.Any(c => c.Type == PortalActor.ClaimTypes.Name)) claims.Add(new Claim(PortalActor.ClaimTypes.Name, user.DisplayName));
        if (user.IsPlatformAdmin) claims.Add(new Claim(PortalActor.ClaimTypes.PlatformAdmin, "true"));
        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(claims, JwtScheme, PortalActor.ClaimTypes.Name, "roles"));
    }
}
