using Microsoft.EntityFrameworkCore;

namespace Portal.Api.Tests.Authentication;

public sealed class JwtBearerTests(JwtApiFactory api) : IClassFixture<JwtApiFactory>
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];

    [Fact]
    public async Task AValidJwt_SignsTheSubjectInAsAPortalUser()
    {
        var sub = Unique("jwt");
        var jwt = await api.Issuer.IssueAsync(sub, $"{sub}@example.test", "Jay Doe");

        var me = await (await api.ClientWith(jwt).GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal($"{sub}@example.test", (string?)me["email"]);
        Assert.Equal("Jay Doe", (string?)me["displayName"]);
        Assert.Equal("user", (string?)me["authentication"]!["kind"]);
        await using var db = api.Db();
        Assert.True(await db.Users.AnyAsync(u => u.Subject == sub));
    }

    [Fact]
    public async Task AJwtWithTheAdminGroup_ActsAsPlatformAdmin()
    {
        var sub = Unique("root");
        var jwt = await api.Issuer.IssueAsync(sub, $"{sub}@example.test", groups: [ApiFactory.AdminGroup]);

        var me = await (await api.ClientWith(jwt).GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);

        Assert.True((bool)me["isPlatformAdmin"]!);
        Assert.True((bool)me["authentication"]!["actingAsPlatformAdmin"]!);
    }

    [Fact]
    public async Task AJwtUser_CanCreateATeam_AndIdpGroupsGrantRolesInIt()
    {
        var ownerSub = Unique("own");
        var owner = api.ClientWith(await api.Issuer.IssueAsync(ownerSub, $"{ownerSub}@example.test"));
        var slug = Names.Slug();
        await (await owner.PostJsonAsync("/api/v1/teams", new { slug, displayName = "JWT team" })).ExpectAsync(HttpStatusCode.Created);
        var group = Unique("ml");
        await (await owner.PostJsonAsync($"/api/v1/teams/{slug}/group-mappings", new { group, role = "viewer" })).ExpectAsync(HttpStatusCode.Created);

        var memberSub = Unique("grp");
        var withoutGroup = api.ClientWith(await api.Issuer.IssueAsync(memberSub, $"{memberSub}@example.test"));
        await (await withoutGroup.GetAsync($"/api/v1/teams/{slug}")).ExpectProblemAsync(HttpStatusCode.NotFound);

        var withGroup = api.ClientWith(await api.Issuer.IssueAsync(memberSub, $"{memberSub}@example.test", groups: [group]));
        var team = await (await withGroup.GetAsync($"/api/v1/teams/{slug}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("viewer", (string?)team["myRole"]);
        await (await withGroup.PatchJsonAsync($"/api/v1/teams/{slug}", new { displayName = "Mine" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AJwtForAnotherAudience_Gets401()
    {
        var sub = Unique("aud");
        var jwt = await api.Issuer.IssueAsync(sub, $"{sub}@example.test", audience: "someone-else");

        var response = await api.ClientWith(jwt).GetAsync("/api/v1/me");

        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await using var db = api.Db();
        Assert.False(await db.Users.AnyAsync(u => u.Subject == sub));
    }

    [Fact]
    public async Task AnExpiredJwt_Gets401()
    {
        var sub = Unique("exp");
        var jwt = await api.Issuer.IssueAsync(sub, $"{sub}@example.test", expiresInSeconds: -600);

        await (await api.ClientWith(jwt).GetAsync("/api/v1/me")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AJwtWithoutAnEmail_Gets401()
    {
        var jwt = await api.Issuer.IssueAsync(Unique("anon"), email: null);

        await (await api.ClientWith(jwt).GetAsync("/api/v1/me")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AccessTokensStillWork_WhenJwtIsConfigured()
    {
        var user = await api.CreateUserAsync("both");

        await (await user.Client.GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);
    }
}
