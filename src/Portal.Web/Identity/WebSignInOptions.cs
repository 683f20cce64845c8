namespace Portal.Web.Identity;

/// <summary>Section <c>Auth:Oidc</c>: the identity provider for web sign-in (and the issuer of API JWTs).</summary>
public sealed class OidcOptions
{
    public const string SectionName = "Auth:Oidc";

    /// <summary>Issuer URL. When empty, the portal has no SSO: only the development sign-in, only in Development.</summary>
    public string? Authority { get; set; }

    public string ClientId { get; set; } = "unicron-portal";
    public string? ClientSecret { get; set; }

    /// <summary>Scopes asked for besides openid; <c>groups</c> where the provider needs a scope for the groups claim.</summary>
    public List<string> Scopes { get; set; } = ["profile", "email"];

    /// <summary>Off only for loopback test providers over plain http.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Authority);
}
