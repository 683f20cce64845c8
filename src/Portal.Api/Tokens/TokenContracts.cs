using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Portal.Api.Infrastructure;
using Portal.Core.Tokens;

namespace Portal.Api.Tokens;

/// <summary>A new personal access token; without <c>expiresAt</c> it lives for the configured default.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateTokenRequest(
    [property: MaxLength(ApiToken.NameMaxLength)] string Name,
    [property: MaxLength(3)] IReadOnlyList<TokenScopes> Scopes,
    DateTimeOffset? ExpiresAt = null);

/// <summary>A token as listed: never its secret, only the hint (prefix and first characters).</summary>
public sealed record TokenResponse(
    Guid Id,
    string Name,
    IReadOnlyList<TokenScopes> Scopes,
    string Hint,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt,
    long Version) : IVersionedResponse
{
    public static TokenResponse From(ApiToken t) => new(
        t.Id, t.Name, ScopeList(t.Scopes), t.SecretHint, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt, t.Version);

    public static IReadOnlyList<TokenScopes> ScopeList(TokenScopes scopes) =>
        new[] { TokenScopes.Read, TokenScopes.Write, TokenScopes.Admin }.Where(s => scopes.HasFlag(s)).ToList();
}

/// <summary>The created token with its secret: shown this once, stored only as a hash. Keep it somewhere safe.</summary>
public sealed record CreatedTokenResponse(
    Guid Id,
    string Name,
    IReadOnlyList<TokenScopes> Scopes,
    string Hint,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string? Secret,
    long Version) : IVersionedResponse
{
    public static CreatedTokenResponse From(CreatedToken created) => new(
        created.Token.Id, created.Token.Name, TokenResponse.ScopeList(created.Token.Scopes), created.Token.SecretHint,
        created.Token.CreatedAt, created.Token.ExpiresAt, created.Secret, created.Token.Version);
}
