using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Access;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Testing;
using Portal.Web.Tests.Host;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>
/// Web sign-in through a real OpenID Connect provider (authorization code + PKCE, pushed authorization requests),
/// driven by an HTTP client that follows redirects and fills the provider's login and consent forms as a browser would.
/// </summary>
public sealed partial class OidcSignInTests
{
    [GeneratedRegex("<form[^>]*action=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormAction();

    [GeneratedRegex("<input[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Input();

    [GeneratedRegex("(name|value)=\"([^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex Attribute();

    [Fact]
    public async Task SignIn_ThroughTheProvider_CreatesTheUser_AppliesAdminGroupsAndTeamMappings()
    {
        await using var portal = await StartPortalAsync();
        await CreateTeamAsync(portal, "alpha");

        var (browser, cookies) = NewBrowser();
        var landed = await SignInAsync(browser, portal.BaseUrl, "olivia");

        Assert.Equal(new Uri(portal.BaseUrl).Port, landed.RequestMessage!.RequestUri!.Port);
        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Contains(cookies.GetCookies(new Uri(portal.BaseUrl)), c => c.Name == "unicron.session");

        await using var db = await portal.Factory.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var olivia = await db.Users.SingleAsync(u => u.Subject == "olivia");
        Assert.Equal("olivia@example.test", olivia.Email);
        Assert.False(olivia.IsPlatformAdmin);
        var membership = await db.Memberships.Include(m => m.Team).SingleAsync(m => m.UserId == olivia.Id && m.Team!.Slug == "alpha");
        Assert.Equal(TeamRole.Owner, membership.Role);
        Assert.Equal(MembershipSource.IdentityProviderGroup, membership.Source);

        var (adminBrowser, _) = NewBrowser();
        await SignInAsync(adminBrowser, portal.BaseUrl, "alice");
        Assert.True((await db.Users.AsNoTracking().SingleAsync(u => u.Subject == "alice")).IsPlatformAdmin);
    }

    [Fact]
    public async Task SignIn_AgainAfterAnOwnerEditedTheMembership_KeepsTheEditedRole()
    {
        await using var portal = await StartPortalAsync();
        await CreateTeamAsync(portal, "alpha");
        var (browser, _) = NewBrowser();
        await SignInAsync(browser, portal.BaseUrl, "victor");

        var services = portal.Factory.Services;
        var contexts = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        Guid victorId;
        await using (var db = await contexts.CreateDbContextAsync())
            victorId = (await db.Users.SingleAsync(u => u.Subject == "victor")).Id;
        await services.GetRequiredService<MemberService>().ChangeRoleAsync(PortalActor.System, "alpha", victorId, TeamRole.Maintainer, null, default);

        var (again, _) = NewBrowser();
        await SignInAsync(again, portal.BaseUrl, "victor");

        await using var check = await contexts.CreateDbContextAsync();
        var membership = await check.Memberships.SingleAsync(m => m.UserId == victorId);
        Assert.Equal(TeamRole.Maintainer, membership.Role);
        Assert.Equal(MembershipSource.Portal, membership.Source);
    }

    private sealed record RunningPortal(PortalHostFactory Factory, OidcProviderProcess Provider, string BaseUrl) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Factory.DisposeAsync();
            await Provider.DisposeAsync();
        }
    }

    private static async Task<RunningPortal> StartPortalAsync()
    {
        var port = PostgresServer.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var provider = await OidcProviderProcess.StartAsync(baseUrl);
        var settings = provider.PortalSettings();
        settings["Auth:GroupMappings:0:Group"] = "team-alpha-owners";
        settings["Auth:GroupMappings:0:Team"] = "alpha";
        settings["Auth:GroupMappings:0:Role"] = "Owner";
        settings["Auth:GroupMappings:1:Group"] = "team-alpha-viewers";
        settings["Auth:GroupMappings:1:Team"] = "alpha";
        settings["Auth:GroupMappings:1:Role"] = "Viewer";
        var factory = await PortalHostFactory.OnPostgresAsync("Staging", settings);
        factory.UseKestrel(port);
        factory.StartServer();
        return new RunningPortal(factory, provider, baseUrl);
    }

    private static async Task CreateTeamAsync(RunningPortal portal, string slug) =>
        await portal.Factory.Services.GetRequiredService<TeamService>()
            .CreateTeamAsync(PortalActor.System, new NewTeam(slug, slug, null, null, $"founder-{slug}@example.test"), default);

    private static (HttpClient, CookieContainer) NewBrowser()
    {
        var cookies = new CookieContainer();
        return (new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = true }), cookies);
    }

    /// <summary>Starts at the portal's sign-in, fills the provider's login then consent forms, and returns the landing page.</summary>
    private static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string portalBaseUrl, string login)
    {
        var portalPort = new Uri(portalBaseUrl).Port;
        var response = await browser.GetAsync($"{portalBaseUrl}/account/sign-in?returnUrl=%2F");
        for (var step = 0; step < 4 && response.RequestMessage!.RequestUri!.Port != portalPort; step++)
        {
            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"The provider answered {(int)response.StatusCode}: {html}");
            var action = FormAction().Match(html);
            Assert.True(action.Success, $"No form on the provider's page: {html}");
            var fields = new Dictionary<string, string>();
            foreach (Match input in Input().Matches(html))
            {
                var attributes = Attribute().Matches(input.Value).ToDictionary(a => a.Groups[1].Value.ToLowerInvariant(), a => a.Groups[2].Value);
                if (attributes.TryGetValue("name", out var name)) fields[name] = attributes.GetValueOrDefault("value", "");
            }
            if (fields.ContainsKey("login")) { fields["login"] = login; fields["password"] = "any-password"; }
            response = await browser.PostAsync(new Uri(response.RequestMessage.RequestUri, WebUtility.HtmlDecode(action.Groups[1].Value)), new FormUrlEncodedContent(fields));
        }
        return response;
    }
}
