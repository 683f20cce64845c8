using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using Portal.Web.Identity;

namespace Portal.Web.Startup;

/// <summary>
/// Browser-facing hardening on every response: a Content-Security-Policy that Blazor Server and MudBlazor work with,
/// no framing, no MIME sniffing, no cross-origin Referer, and HSTS in Production. Cookies are set up where they are
/// issued (Auth.cs for the session; the antiforgery cookie here).
/// </summary>
public static class SecurityHeaders
{
    public static WebApplicationBuilder AddPortalSecurityHeaders(this WebApplicationBuilder builder)
    {
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = false; // the portal does not own its parent domain's other hosts
        });
        builder.Services.Configure<AntiforgeryOptions>(o =>
        {
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return builder;
    }

    /// <summary>First in the pipeline, and through OnStarting, so error pages and problems get the headers too.</summary>
    public static WebApplication UsePortalSecurityHeaders(this WebApplication app)
    {
        var policy = ContentSecurityPolicy(app.Services.GetRequiredService<IOptions<OidcOptions>>().Value);
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = policy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
                return Task.CompletedTask;
            });
            return next(http);
        });
        // Browsers remember HSTS for a year, so only Production (behind real TLS) sends it; UseHsts skips plain http and localhost.
        if (app.Environment.IsProduction()) app.UseHsts();
        return app;
    }

    /// <summary>
    /// Scripts only from the portal itself (Blazor, MudBlazor and the portal's script are files; nothing needs eval).
    /// Inline styles stay allowed: MudBlazor writes its theme as a style element and positions popovers with style
    /// attributes. Forms may post to the portal and, for single sign-out, to the identity provider.
    /// </summary>
    public static string ContentSecurityPolicy(OidcOptions oidc)
    {
        var formTargets = "'self'";
        if (oidc.IsConfigured && Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var authority))
            formTargets += " " + authority.GetLeftPart(UriPartial.Authority);
        return string.Join("; ",
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            $"form-action {formTargets}",
            "frame-ancestors 'none'");
    }
}
