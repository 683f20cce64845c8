using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Portal.Web.Tests.Host;

/// <summary>
/// Browser-facing hardening of the real host: security headers on every kind of response, HSTS in Production only,
/// cookie flags, antiforgery on the sign-in post and no open redirect after sign-in. The CSP itself is checked in
/// Chromium by EndToEnd/ContentSecurityPolicyTests.
/// </summary>
[Trait("Category", "Reliability")]
public sealed partial class WebSecurityTests(DevelopmentPortal development) : IClassFixture<DevelopmentPortal>
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private static readonly WebApplicationFactoryClientOptions NoRedirects = new() { AllowAutoRedirect = false };

    [Fact]
    public async Task EveryKindOfResponse_CarriesTheSecurityHeaders()
    {
        var factory = development.Factory;
        var client = factory.CreateClient(NoRedirects);

        foreach (var path in new[] { "/", "/account/dev-sign-in", "/healthz", "/api/v1/me", "/api/v1/no-such-route", "/no-such-page", "/openapi/v1.json" })
        {
            var response = await client.GetAsync(path);
            var csp = Header(response, "Content-Security-Policy");
            Assert.True(csp is not null, $"{path} ({(int)response.StatusCode}) has no Content-Security-Policy");
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.Contains("script-src 'self'", csp);
            Assert.DoesNotContain("unsafe-eval", csp);
            Assert.Contains("object-src 'none'", csp);
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            Assert.Equal("DENY", Header(response, "X-Frame-Options"));
            Assert.Equal("same-origin", Header(response, "Referrer-Policy"));
            Assert.Null(Header(response, "Strict-Transport-Security"));
        }
    }

    [Fact]
    public async Task Hsts_IsSentInProductionOverHttps_Only()
    {
        await using var production = new PortalHostFactory("Production", new Dictionary<string, string?>
        {
            ["Auth:Oidc:Authority"] = "https://idp.example.test",
            ["Portal:Roles"] = "web,api",
        });
        var https = production.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("https://portal.example.test") });
        var http = production.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("http://portal.example.test") });

        var hsts = Header(await https.GetAsync("/healthz"), "Strict-Transport-Security");

        Assert.NotNull(hsts);
        Assert.Contains("max-age=31536000", hsts);
        Assert.Null(Header(await http.GetAsync("/healthz"), "Strict-Transport-Security"));
        // With SSO configured, forms may also post to the identity provider (single sign-out), and nowhere else.
        Assert.Contains("form-action 'self' https://idp.example.test", Header(await https.GetAsync("/healthz"), "Content-Security-Policy"));
    }

    [Fact]
    public async Task TheSessionCookie_IsHttpOnlyAndLax_AndSecureOverHttps()
    {
        var factory = development.Factory;
        foreach (var scheme in new[] { "https", "http" })
        {
            var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri($"{scheme}://localhost") });
            var page = await client.GetAsync("/account/dev-sign-in");
            var antiforgery = page.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));
            Assert.Contains("httponly", antiforgery, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", antiforgery, StringComparison.OrdinalIgnoreCase);

            var signIn = await client.PostAsync("/account/dev-sign-in", SignInForm(AntiforgeryField().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value, "/"));

            var session = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("unicron.session=", StringComparison.Ordinal));
            Assert.Contains("httponly", session, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=lax", session, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(scheme == "https", session.Contains("secure", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task SignInPost_WithoutTheAntiforgeryToken_IsRefused_AndSignsNobodyIn()
    {
        var factory = development.Factory;
        var client = factory.CreateClient(NoRedirects);
        await client.GetAsync("/account/dev-sign-in"); // the antiforgery cookie alone, as a cross-site form would carry it

        var forged = await client.PostAsync("/account/dev-sign-in", SignInForm(token: null, "/"));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.False(forged.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("unicron.session=", StringComparison.Ordinal)));
    }

    public static TheoryData<string> OffsiteReturnUrls => new()
    {
        "//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\r\n/evil.example",
        "http:evil.example", "javascript:alert(1)", " //evil.example", "evil.example",
    };

    [Theory]
    [MemberData(nameof(OffsiteReturnUrls))]
    public async Task AfterSignIn_AnOffsiteReturnUrl_GoesHome_NeverOffsite(string returnUrl)
    {
        var factory = development.Factory;
        var client = factory.CreateClient(NoRedirects);

        // The sign-in link (also as a browser would send it, percent-encoded) keeps only a local path.
        var signIn = await client.GetAsync($"/account/sign-in?returnUrl={Uri.EscapeDataString(returnUrl)}");
        Assert.Equal("/account/dev-sign-in?returnUrl=%2F", signIn.Headers.Location?.OriginalString);

        var page = await client.GetStringAsync("/account/dev-sign-in");
        var response = await client.PostAsync("/account/dev-sign-in", SignInForm(AntiforgeryField().Match(page).Groups[1].Value, returnUrl));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task AfterSignIn_ALocalReturnUrl_IsKept()
    {
        var factory = development.Factory;
        var client = factory.CreateClient(NoRedirects);
        var page = await client.GetStringAsync("/account/dev-sign-in");

        var response = await client.PostAsync("/account/dev-sign-in", SignInForm(AntiforgeryField().Match(page).Groups[1].Value, "/teams/demo?tab=members"));

        Assert.Equal("/teams/demo?tab=members", response.Headers.Location?.OriginalString);
    }

    private static FormUrlEncodedContent SignInForm(string? token, string returnUrl)
    {
        var fields = new Dictionary<string, string> { ["persona"] = "owner", ["returnUrl"] = returnUrl };
        if (token is not null) fields["__RequestVerificationToken"] = token;
        return new FormUrlEncodedContent(fields);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;
}

/// <summary>One Development host shared by the tests of a class (each test makes its own clients, so its own cookies).</summary>
public sealed class DevelopmentPortal : IAsyncLifetime
{
    public PortalHostFactory Factory { get; } = new("Development");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Factory.DisposeAsync().AsTask();
}
