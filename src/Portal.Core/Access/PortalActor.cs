using System.Security.Claims;
using Portal.Core.Audit;
using Portal.Core.Tokens;

namespace Portal.Core.Access;

/// <summary>
/// Who is acting, resolved once per request (API) or per circuit (UI) from the authenticated principal and handed
/// to every service call. Services decide access from it through <see cref="TeamAccess"/>, never from HttpContext.
/// </summary>
public sealed record PortalActor(
    Guid UserId,
    string Name,
    bool IsPlatformAdmin,
    TokenScopes Scopes,
    Guid? TokenId = null,
    string? ClientAddress = null)
{
    /// <summary>Claim types the portal adds when it signs someone in; authentication handlers set them.</summary>
    public static class ClaimTypes
    {
        public const string UserId = "portal:user_id";
        public const string PlatformAdmin = "portal:admin";
        public const string TokenId = "portal:token_id";
        public const string Scopes = "portal:scopes";
        public const string Name = "name";
    }

    public const TokenScopes AllScopes = TokenScopes.Read | TokenScopes.Write | TokenScopes.Admin;

    /// <summary>The portal itself (bootstrap, scheduled jobs): not a person, audited as "system".</summary>
    public static PortalActor System { get; } = new(Guid.Empty, "system", true, AllScopes);

    public ActorKind Kind => TokenId is not null ? ActorKind.Token : UserId == Guid.Empty ? ActorKind.System : ActorKind.User;

    /// <summary>Write and admin scopes imply read; admin implies write.</summary>
    public bool HasScope(TokenScopes scope) => scope switch
    {
        TokenScopes.Read => (Scopes & (TokenScopes.Read | TokenScopes.Write | TokenScopes.Admin)) != 0,
        TokenScopes.Write => (Scopes & (TokenScopes.Write | TokenScopes.Admin)) != 0,
        _ => (Scopes & scope) == scope,
    };

    /// <summary>Null when the principal was not signed in by the portal (no user id claim).</summary>
    public static PortalActor? FromPrincipal(ClaimsPrincipal principal, string? clientAddress)
    {
        if (principal.Identity?.IsAuthenticated != true) return null;
        if (!Guid.TryParse(principal.FindFirstValue(ClaimTypes.UserId), out var userId)) return null;
        Guid? tokenId = Guid.TryParse(principal.FindFirstValue(ClaimTypes.TokenId), out var t) ? t : null;
        var scopeClaim = principal.FindFirstValue(ClaimTypes.Scopes);
        // Fail closed: a token whose scopes cannot be read gets none (never all), and unknown bits are dropped.
        // A person signed in without a token (no scope claim) acts with every scope their role allows.
        var scopes = scopeClaim is null && tokenId is null ? AllScopes
            : Enum.TryParse<TokenScopes>(scopeClaim, ignoreCase: true, out var s) && (s & ~AllScopes) == 0 ? s
            : TokenScopes.None;
        // An admin's token acts with admin powers only when it carries the admin scope.
        var isAdmin = principal.HasClaim(ClaimTypes.PlatformAdmin, "true") && (scopes & TokenScopes.Admin) != 0;
        return new PortalActor(
            userId,
            principal.FindFirstValue(ClaimTypes.Name) ?? principal.Identity?.Name ?? userId.ToString(),
            isAdmin,
            scopes,
            tokenId,
            clientAddress);
    }
}
