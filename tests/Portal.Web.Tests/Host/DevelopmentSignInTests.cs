using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Portal.Web.Tests.Host;

public sealed partial class DevelopmentSignInTests
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private static readonly WebApplicationFactoryClientOptions NoRedirects = new() { AllowAutoRedirect = false };

    [Fact]
    public async Task DevSignIn_InDevelopment_SignsInAPersonaWithACookie()
    {
        await using var factory = new PortalHostFactory("Development");
        var client = factory.CreateClient(NoRedirects);

        var page = await client.GetStringAsync("/account/dev-sign-in?returnUrl=/teams");
        Assert.Contains("Development sign-in", page);
        var token = AntiforgeryField().Match(page).Groups[1].Value;

        var response = await client.PostAsync("/account/dev-sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["persona"] = "owner",
            ["returnUrl"] = "/teams",
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/teams", response.Headers.Location?.OriginalString);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("unicron.session="));
    }

    [Fact]
    public async Task SignOut_NeedsTheFormsAntiforgeryToken_ThenEndsTheSession()
    {
        await using var factory = new PortalHostFactory("Development");
        var client = factory.CreateClient(NoRedirects);
        var page = await client.GetStringAsync("/account/dev-sign-in");
        await client.PostAsync("/account/dev-sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value,
            ["persona"] = "owner",
        }));

        // A cross-site POST carries the cookie but not the token: refused, still signed in.
        var forged = await client.PostAsync("/account/sign-out", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.False(forged.Headers.TryGetValues("Set-Cookie", out var none) && none.Any(c => c.StartsWith("unicron.session=;")));

        // The portal's own form (a token issued to the signed-in user) signs out and clears the session cookie.
        var signedInPage = await client.GetStringAsync("/account/dev-sign-in");
        var signOut = await client.PostAsync("/account/sign-out", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryField().Match(signedInPage).Groups[1].Value,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Contains(signOut.Headers.GetValues("Set-Cookie"), c => c.StartsWith("unicron.session=;"));
    }

    [Fact]
    public async Task DevSignIn_WithAnOffsiteReturnUrl_RedirectsHomeInstead()
    {
        await using var factory = new PortalHostFactory("Development");
        var client = factory.CreateClient(NoRedirects);
        var page = await client.GetStringAsync("/account/dev-sign-in");
        var response = await client.PostAsync("/account/dev-sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value,
            ["persona"] = "viewer",
            ["returnUrl"] = "//evil.example/phish",
        }));
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("Staging")]
    [InlineData("Testing")]
    public async Task DevSignIn_OutsideDevelopment_IsRefused(string environment)
    {
        await using var factory = new PortalHostFactory(environment);
        var client = factory.CreateClient(NoRedirects);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/account/dev-sign-in")).StatusCode);
        var post = await client.PostAsync("/account/dev-sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["persona"] = "admin" }));
        Assert.NotEqual(HttpStatusCode.Redirect, post.StatusCode);
        Assert.False(post.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("unicron.session=")));
    }

    [Fact]
    public async Task DevSignIn_WhenSsoIsConfigured_IsRefusedEvenInDevelopment()
    {
        await using var factory = new PortalHostFactory("Development", new Dictionary<string, string?>
        {
            ["Auth:Oidc:Authority"] = "http://127.0.0.1:1/unused",
            ["Auth:Oidc:RequireHttpsMetadata"] = "false",
        });
        var client = factory.CreateClient(NoRedirects);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/account/dev-sign-in")).StatusCode);
    }

    [Fact]
    public void Production_WithoutOidc_RefusesToStart()
    {
        using var factory = new PortalHostFactory("Production");
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("Auth:Oidc:Authority", error.ToString());
    }

    [Fact]
    public async Task SignIn_WithoutSsoInDevelopment_SendsThePersonToThePersonaPicker()
    {
        await using var factory = new PortalHostFactory("Development");
        var response = await factory.CreateClient(NoRedirects).GetAsync("/account/sign-in?returnUrl=%2Ftokens");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/dev-sign-in?returnUrl=%2Ftokens", response.Headers.Location?.OriginalString);
    }
}
