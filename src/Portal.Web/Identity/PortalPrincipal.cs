using System.Security.Claims;
using Portal.Core.Access;
using Portal.Core.Users;

namespace Portal.Web.Identity;

/// <summary>Builds the cookie principal of a signed-in user: the portal's own claims, not the IdP's raw ones.</summary>
public static class PortalPrincipal
{
    public static ClaimsPrincipal For(User user, string authenticationType)
    {
        var identity = new ClaimsIdentity(authenticationType, PortalActor.ClaimTypes.Name, "role");
        identity.AddClaim(new Claim(PortalActor.ClaimTypes.UserId, user.Id.ToString()));
        identity.AddClaim(new Claim(PortalActor.ClaimTypes.Name, user.DisplayName));
        identity.AddClaim(new Claim("email", user.Email));
        if (user.Subject is not null) identity.AddClaim(new Claim("sub", user.Subject));
        if (user.IsPlatformAdmin) identity.AddClaim(new Claim(PortalActor.ClaimTypes.PlatformAdmin, "true"));
        return new ClaimsPrincipal(identity);
    }

    /// <summary>Reads what the IdP said about a person, with the configured groups claim (one claim per group, or a JSON array).</summary>
    public static SignInIdentity ToSignInIdentity(ClaimsPrincipal idp, string groupClaim)
    {
        var subject = idp.FindFirstValue("sub") ?? idp.FindFirstValue(ClaimTypes.NameIdentifier)
                      ?? throw new InvalidOperationException("The identity provider sent no 'sub' claim.");
        var email = idp.FindFirstValue("email") ?? idp.FindFirstValue(ClaimTypes.Email) ?? $"{subject}@unknown.invalid";
        var name = idp.FindFirstValue("name") ?? idp.FindFirstValue("preferred_username") ?? email;
        var groups = idp.FindAll(groupClaim).SelectMany(c => SplitGroups(c.Value)).Distinct().ToArray();
        return new SignInIdentity(subject, email, name, groups);
    }

    private static IEnumerable<string> SplitGroups(string value)
    {
        if (!value.StartsWith('[')) return [value];
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<string[]>(value) ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            return [value];
        }
    }
}
