using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Portal.Core.Users;
using Portal.Web.Identity;

namespace Portal.Web.Startup;

/// <summary>
/// Web sign-in: a cookie session started by OpenID Connect (authorization code + PKCE) when Auth:Oidc:Authority is
/// set, or by the development persona sign-in when it is not and the environment is Development. API schemes are
/// added by Portal.Api and never accept this cookie.
/// </summary>
public static class Auth
{
    public const string OidcScheme = OpenIdConnectDefaults.AuthenticationScheme;

    public static WebApplicationBuilder AddPortalAuthentication(this WebApplicationBuilder builder)
    {
        var oidc = builder.Configuration.GetSection(OidcOptions.SectionName).Get<OidcOptions>() ?? new OidcOptions();
        builder.Services.AddOptions<OidcOptions>().BindConfiguration(OidcOptions.SectionName);
        if (!oidc.IsConfigured && builder.Environment.IsProduction())
            throw new InvalidOperationException(
                "Auth:Oidc:Authority is not set. In Production the portal needs an OpenID Connect provider for sign-in; " +
                "the development sign-in exists only in the Development environment.");

        // Cookies must survive restarts and be readable by every portal instance behind a load balancer.
        var keysPath = builder.Configuration["DataProtection:KeysPath"] ?? "./data/keys";
        builder.Services.AddDataProtection().SetApplicationName("unicron-portal")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.GetFullPath(keysPath)));

        var authentication = builder.Services.AddAuthentication(o =>
        {
            o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.DefaultChallengeScheme = oidc.IsConfigured ? OidcScheme : CookieAuthenticationDefaults.AuthenticationScheme;
        });
        authentication.AddCookie(o =>
        {
            o.Cookie.Name = "unicron.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            // Secure whenever the request is https (directly or through the ingress's forwarded headers).
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/account/sign-in";
            o.LogoutPath = "/account/sign-out";
            o.AccessDeniedPath = "/account/denied";
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
        });
        if (oidc.IsConfigured) authentication.AddOpenIdConnect(OidcScheme, o => ConfigureOidc(o, oidc));

        builder.Services.AddAuthorization();
        builder.Services.AddScoped<AuthenticationStateProvider, RevalidatingPortalAuthenticationStateProvider>();
        return builder;
    }

    private static void ConfigureOidc(OpenIdConnectOptions o, OidcOptions oidc)
    {
        o.Authority = oidc.Authority;
        o.ClientId = oidc.ClientId;
        o.ClientSecret = oidc.ClientSecret;
        o.ResponseType = "code";
        o.UsePkce = true;
        o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
        o.MapInboundClaims = false;
        o.GetClaimsFromUserInfoEndpoint = true;
        o.SaveTokens = false;
        o.CallbackPath = "/signin-oidc";
        o.SignedOutCallbackPath = "/signout-callback-oidc";
        if (!oidc.RequireHttpsMetadata)
        {
            // Plain-http loopback providers (tests, local SSO): the default Secure + SameSite=None correlation cookies
            // would never come back over http.
            o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.CorrelationCookie.SameSite = SameSiteMode.Lax;
            o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.NonceCookie.SameSite = SameSiteMode.Lax;
        }
        o.Scope.Clear();
        o.Scope.Add("openid");
        foreach (var scope in oidc.Scopes) o.Scope.Add(scope);
        o.Events.OnTicketReceived = async context =>
        {
            // Turn the IdP's identity into a portal user (groups → admin flag and team roles) at every sign-in.
            var services = context.HttpContext.RequestServices;
            var groupClaim = services.GetRequiredService<IOptions<IdentityOptions>>().Value.GroupClaim;
            var identity = PortalPrincipal.ToSignInIdentity(context.Principal!, groupClaim);
            var user = await services.GetRequiredService<UserService>().SignInAsync(identity, context.HttpContext.RequestAborted);
            context.Principal = PortalPrincipal.For(user, OidcScheme);
        };
    }

    public static WebApplication UsePortalAuthentication(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapAccountEndpoints();
        return app;
    }
}
