using System.Net;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Portal.Core.Users;

namespace Portal.Web.Identity;

/// <summary>Sign-in, sign-out and the development persona sign-in: plain HTTP endpoints, since they set cookies.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account").ExcludeFromDescription();
        account.MapGet("/sign-in", SignIn);
        account.MapPost("/sign-out", SignOutAsync);
        account.MapGet("/denied", () => Results.Content(Html.Page("Access denied",
            "<h1>Access denied</h1><p>You are signed in, but this page needs more rights than you have.</p><p><a href=\"/\">Back to the portal</a></p>"), "text/html"));
        account.MapGet("/dev-sign-in", DevSignInPage);
        account.MapPost("/dev-sign-in", DevSignInAsync);
        return app;
    }

    private static IResult SignIn(HttpContext http, IOptions<OidcOptions> oidc, IWebHostEnvironment env, string? returnUrl)
    {
        var target = SafeReturnUrl(returnUrl);
        if (oidc.Value.IsConfigured)
            return Results.Challenge(new AuthenticationProperties { RedirectUri = target }, [Startup.Auth.OidcScheme]);
        if (env.IsDevelopment())
            return Results.Redirect($"/account/dev-sign-in?returnUrl={Uri.EscapeDataString(target)}");
        return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Sign-in is not configured",
            detail: "Set Auth:Oidc:Authority to the OpenID Connect provider's issuer URL.");
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, IOptions<OidcOptions> oidc, IAntiforgery antiforgery)
    {
        // The form binds no fields, so minimal APIs would not check its antiforgery token by themselves; without this,
        // any site could sign a user out with a cross-site POST.
        try
        {
            await antiforgery.ValidateRequestAsync(http);
        }
        catch (AntiforgeryValidationException)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Sign-out needs the form's antiforgery token",
                detail: "Use the Sign out button in the portal.");
        }
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        // With SSO, also end the provider's session; it sends the browser back to the portal afterwards.
        return oidc.Value.IsConfigured
            ? Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [Startup.Auth.OidcScheme])
            : Results.Redirect("/");
    }

    /// <summary>Refused (404, as if it did not exist) unless the environment is Development and no SSO is configured.</summary>
    private static bool DevSignInAllowed(IWebHostEnvironment env, IOptions<OidcOptions> oidc) =>
        env.IsDevelopment() && !oidc.Value.IsConfigured;

    private static IResult DevSignInPage(HttpContext http, IAntiforgery antiforgery, IWebHostEnvironment env, IOptions<OidcOptions> oidc, string? returnUrl)
    {
        if (!DevSignInAllowed(env, oidc)) return Results.NotFound();
        var tokens = antiforgery.GetAndStoreTokens(http);
        var target = WebUtility.HtmlEncode(SafeReturnUrl(returnUrl));
        var cards = new StringBuilder();
        foreach (var p in DevelopmentPersonas.All)
        {
            cards.Append($"""
                <form method="post" action="/account/dev-sign-in" class="card">
                  <input type="hidden" name="{tokens.FormFieldName}" value="{tokens.RequestToken}" />
                  <input type="hidden" name="returnUrl" value="{target}" />
                  <input type="hidden" name="persona" value="{p.Key}" />
                  <h2>{WebUtility.HtmlEncode(p.Title)}</h2>
                  <p class="who">{WebUtility.HtmlEncode(p.DisplayName)} &lt;{WebUtility.HtmlEncode(p.Email)}&gt;</p>
                  <p>{WebUtility.HtmlEncode(p.Description)}</p>
                  <p class="groups">IdP groups: {WebUtility.HtmlEncode(string.Join(", ", p.Groups))}</p>
                  <button type="submit" data-testid="persona-{p.Key}">Sign in as {WebUtility.HtmlEncode(p.Title.ToLowerInvariant())}</button>
                </form>
                """);
        }
        var body = $"""
            <div class="banner" role="alert">Development sign-in: no identity provider is configured. This page exists only
            in the Development environment and never in production, where sign-in goes through OpenID Connect.</div>
            <h1>Pick a persona</h1>
            <p>Each persona signs in through the same group mappings as a real SSO sign-in.</p>
            <div class="cards">{cards}</div>
            """;
        return Results.Content(Html.Page("Development sign-in", body), "text/html");
    }

    private static async Task<IResult> DevSignInAsync(
        HttpContext http, IWebHostEnvironment env, IOptions<OidcOptions> oidc, UserService users,
        [FromForm] string persona, [FromForm] string? returnUrl)
    {
        if (!DevSignInAllowed(env, oidc)) return Results.NotFound();
        var chosen = DevelopmentPersonas.Find(persona);
        if (chosen is null)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["persona"] = [$"must be one of {string.Join(", ", DevelopmentPersonas.All.Select(p => p.Key))}."] });
        var user = await users.SignInAsync(new SignInIdentity(chosen.Subject, chosen.Email, chosen.DisplayName, chosen.Groups), http.RequestAborted);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, PortalPrincipal.For(user, "development"));
        return Results.LocalRedirect(SafeReturnUrl(returnUrl));
    }

    /// <summary>
    /// Only local paths: an open redirect after sign-in is a phishing tool. Besides <c>//host</c> and <c>/\host</c>,
    /// control characters are refused anywhere: browsers drop tabs and newlines from a Location, so <c>/\t/host</c>
    /// would become <c>//host</c>.
    /// </summary>
    private static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/')
        && (returnUrl.Length == 1 || returnUrl[1] is not ('/' or '\\'))
        && !returnUrl.Any(char.IsControl)
            ? returnUrl
            : "/";

    private static class Html
    {
        public static string Page(string title, string body) => $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>{{WebUtility.HtmlEncode(title)}} · Unicron Portal</title>
            <style>
              body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5fa; color: #1d1f2b; }
              main { max-width: 960px; margin: 2rem auto; padding: 0 1rem; }
              .banner { background: #fff4e5; border: 1px solid #f0a030; padding: .75rem 1rem; border-radius: 6px; }
              .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 1rem; }
              .card { background: #fff; border-radius: 8px; padding: 1rem 1.25rem; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
              .card h2 { margin-top: 0; font-size: 1.2rem; } .who { font-weight: 600; } .groups { color: #555; font-size: .9rem; }
              button { background: #3949ab; color: #fff; border: 0; border-radius: 4px; padding: .6rem 1rem; cursor: pointer; font-size: 1rem; }
              button:focus { outline: 3px solid #ffb300; }
              @media (prefers-color-scheme: dark) { body { background: #1a1b22; color: #e8e8ee; } .card { background: #262834; } .banner { background: #3a2c12; } .groups { color: #aaa; } }
            </style></head>
            <body><main>{{body}}</main></body></html>
            """;
    }
}
