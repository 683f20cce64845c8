using Portal.Core.Common;
using Portal.Core.Users;

namespace Portal.Core.Tokens;

[Flags]
public enum TokenScopes
{
    None = 0,
    Read = 1,
    Write = 2,
    Admin = 4,
}

/// <summary>
/// A personal access token. Only the SHA-256 of the secret is stored; the secret is shown once at creation.
/// </summary>
public sealed class ApiToken : IVersioned
{
    public const int NameMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public Guid UserId { get; set; }
    public User? User { get; set; }
    public TokenScopes Scopes { get; set; }

    /// <summary>Hex SHA-256 of the full secret; unique, so authentication is one indexed look-up.</summary>
    public required string SecretHash { get; set; }

    /// <summary>The first characters of the secret (prefix included), so people can tell their tokens apart.</summary>
    public required string SecretHint { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public long Version { get; set; }
}
