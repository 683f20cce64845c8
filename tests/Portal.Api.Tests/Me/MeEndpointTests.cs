using Portal.Core.Tokens;

namespace Portal.Api.Tests.Me;

public sealed class MeEndpointTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Me_ReturnsUserMembershipsAndTokenScopes()
    {
        var team = await TeamSetup.CreateAsync(api);
        var readOnly = await api.ClientWithScopesAsync(team.Viewer, TokenScopes.Read);

        var me = await (await readOnly.GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(team.Viewer.Id.ToString(), (string?)me["id"]);
        Assert.False((bool)me["isPlatformAdmin"]!);
        var membership = Assert.Single(me["memberships"]!.AsArray());
        Assert.Equal(team.Slug, (string?)membership!["team"]);
        Assert.Equal("viewer", (string?)membership["role"]);
        Assert.Equal(["read"], me["authentication"]!["scopes"]!.AsArray().Select(s => (string?)s));
    }

    [Fact]
    public async Task Me_ForAPlatformAdmin_SaysSo()
    {
        var admin = await api.CreateUserAsync("admin", admin: true);

        var me = await (await admin.Client.GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);

        Assert.True((bool)me["isPlatformAdmin"]!);
        Assert.True((bool)me["authentication"]!["actingAsPlatformAdmin"]!);
    }

    [Fact]
    public async Task Me_WithoutCredentials_Returns401JsonNotARedirect()
    {
        var anonymous = api.Anonymous();
        anonymous.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        var response = await anonymous.GetAsync("/api/v1/me");

        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Me_WithACookieButNoBearer_Returns401()
    {
        var anonymous = api.Anonymous();
        anonymous.DefaultRequestHeaders.Add("Cookie", ".AspNetCore.Cookies=forged; .AspNetCore.Identity.Application=forged");

        await (await anonymous.GetAsync("/api/v1/me")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }
}
