using Portal.Core.Access;
using Portal.Core.Tokens;
using Portal.Core.Users;

namespace Portal.Testing;

/// <summary>Actors as the authentication handlers build them, for calling services directly.</summary>
public static class PortalActors
{
    /// <summary>A signed-in person (cookie or OIDC bearer): every scope, admin when the user is one.</summary>
    public static PortalActor For(User user, string? clientAddress = "127.0.0.1") =>
        new(user.Id, user.Email, user.IsPlatformAdmin, PortalActor.AllScopes, null, clientAddress);

    /// <summary>
    /// A script with an access token: the token's scopes, and admin powers only when the user is an admin and the
    /// token carries the admin scope (as <see cref="PortalActor.FromPrincipal"/> decides).
    /// </summary>
    public static PortalActor ForToken(User user, TokenScopes scopes, Guid? tokenId = null, string? clientAddress = "127.0.0.1") =>
        new(user.Id, user.Email, user.IsPlatformAdmin && scopes.HasFlag(TokenScopes.Admin), scopes, tokenId ?? Guid.CreateVersion7(), clientAddress);
}
