using Portal.Core.Common;

namespace Portal.Core.Users;

/// <summary>
/// A person known to the portal. Created at first sign-in, or earlier when an owner adds them by e-mail
/// (then <see cref="Subject"/> is null until they sign in and the e-mail matches).
/// </summary>
public sealed class User : IVersioned
{
    public const int DisplayNameMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>The OIDC <c>sub</c> claim, unique per identity provider; null until the first sign-in.</summary>
    public string? Subject { get; set; }

    /// <summary>Stored lower-case so look-ups by e-mail are exact on both database providers.</summary>
    public required string Email { get; set; }

    public required string DisplayName { get; set; }

    /// <summary>Granted by an admin group at sign-in or by configuration; admins see and do everything.</summary>
    public bool IsPlatformAdmin { get; set; }

    public DateTimeOffset? FirstSeenAt { get; set; }
    public DateTimeOffset? LastSeenAt { get; set; }
    public long Version { get; set; }
}
