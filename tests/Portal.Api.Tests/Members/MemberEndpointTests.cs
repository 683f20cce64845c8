using Microsoft.EntityFrameworkCore;
using Portal.Core.Teams;

namespace Portal.Api.Tests.Members;

public sealed class MemberEndpointTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task ListMembers_AsViewer_ReturnsEveryMemberByEmail()
    {
        var team = await TeamSetup.CreateAsync(api);

        var body = await (await team.Viewer.Client.GetAsync($"{team.Url}/members")).ExpectAsync(HttpStatusCode.OK);

        var emails = body["items"]!.AsArray().Select(m => (string)m!["email"]!).ToList();
        Assert.Equal(3, emails.Count);
        Assert.Equal(emails.Order(StringComparer.Ordinal), emails);
    }

    [Fact]
    public async Task ListMembers_PagesWithNextLink()
    {
        var team = await TeamSetup.CreateAsync(api);

        var first = await (await team.Owner.Client.GetAsync($"{team.Url}/members?limit=2")).ExpectAsync(HttpStatusCode.OK);
        var second = await (await team.Owner.Client.GetAsync((string)first["next"]!)).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(2, first["items"]!.AsArray().Count);
        Assert.Single(second["items"]!.AsArray());
        Assert.Null((string?)second["next"]);
    }

    [Fact]
    public async Task AddMember_ByEmail_InvitesSomeoneWhoNeverSignedIn()
    {
        var team = await TeamSetup.CreateAsync(api);
        var email = $"new-{Guid.NewGuid():N}@example.test";

        var response = await team.Owner.Client.PostJsonAsync($"{team.Url}/members", new { email, role = "maintainer" });

        var body = await response.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal($"{team.Url}/members/{body["userId"]}", response.Headers.Location?.ToString());
        Assert.True((bool)body["invited"]!);
        Assert.Equal("maintainer", (string?)body["role"]);
        Assert.Equal("portal", (string?)body["source"]);
        await using var db = api.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "membership.create" && a.TargetId == $"{team.Slug}/{email}"));
    }

    [Fact]
    public async Task GetMember_ReturnsTheMembershipWithETag()
    {
        var team = await TeamSetup.CreateAsync(api);

        var response = await team.Viewer.Client.GetAsync($"{team.Url}/members/{team.Maintainer.Id}");

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(team.Maintainer.Email, (string?)body["email"]);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task ChangeRole_AsOwner_ChangesItWithOneAuditEntry()
    {
        var team = await TeamSetup.CreateAsync(api);

        var response = await team.Owner.Client.PatchJsonAsync($"{team.Url}/members/{team.Viewer.Id}", new { role = "maintainer" }, ifMatch: "\"1\"");

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("maintainer", (string?)body["role"]);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        await using var db = api.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "membership.update" && a.TeamId != null && a.TargetId == $"{team.Slug}/{team.Viewer.Email}"));
    }

    [Fact]
    public async Task ChangeRole_WithStaleIfMatch_Returns412()
    {
        var team = await TeamSetup.CreateAsync(api);

        var response = await team.Owner.Client.PatchJsonAsync($"{team.Url}/members/{team.Viewer.Id}", new { role = "owner" }, ifMatch: "\"9\"");

        await response.ExpectProblemAsync(HttpStatusCode.PreconditionFailed);
        await using var db = api.Db();
        Assert.Equal(TeamRole.Viewer, (await db.Memberships.SingleAsync(m => m.UserId == team.Viewer.Id && m.Team!.Slug == team.Slug)).Role);
    }

    [Fact]
    public async Task DemotingTheLastOwner_Returns409NamingRole()
    {
        var team = await TeamSetup.CreateAsync(api);

        var response = await team.Owner.Client.PatchJsonAsync($"{team.Url}/members/{team.Owner.Id}", new { role = "viewer" });

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "role");
    }

    [Fact]
    public async Task RemoveMember_AsOwner_RemovesIt()
    {
        var team = await TeamSetup.CreateAsync(api);

        await (await team.Owner.Client.DeleteAsync($"{team.Url}/members/{team.Viewer.Id}", ifMatch: "\"1\"")).ExpectAsync(HttpStatusCode.NoContent);

        await (await team.Viewer.Client.GetAsync(team.Url)).ExpectProblemAsync(HttpStatusCode.NotFound);
        await using var db = api.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "membership.delete" && a.TargetId == $"{team.Slug}/{team.Viewer.Email}"));
    }

    [Fact]
    public async Task MemberWrites_AsMaintainerOrViewer_Return403AndWriteNothing()
    {
        var team = await TeamSetup.CreateAsync(api);
        var email = $"x-{Guid.NewGuid():N}@example.test";

        foreach (var client in new[] { team.Viewer.Client, team.Maintainer.Client })
        {
            await (await client.PostJsonAsync($"{team.Url}/members", new { email, role = "viewer" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
            await (await client.PatchJsonAsync($"{team.Url}/members/{team.Viewer.Id}", new { role = "owner" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
            await (await client.DeleteAsync($"{team.Url}/members/{team.Owner.Id}", null)).ExpectProblemAsync(HttpStatusCode.Forbidden);
        }

        await using var db = api.Db();
        Assert.False(await db.Users.AnyAsync(u => u.Email == email));
        Assert.Equal(3, await db.Memberships.CountAsync(m => m.Team!.Slug == team.Slug));
    }

    [Fact]
    public async Task MemberRoutes_ForAMemberOfAnotherTeam_Return404()
    {
        var team = await TeamSetup.CreateAsync(api);
        var client = team.Outsider.Client;

        await (await client.GetAsync($"{team.Url}/members")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync($"{team.Url}/members/{team.Owner.Id}")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await client.PostJsonAsync($"{team.Url}/members", new { email = team.Outsider.Email, role = "owner" })).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await client.PatchJsonAsync($"{team.Url}/members/{team.Outsider.Id}", new { role = "owner" })).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"{team.Url}/members/{team.Owner.Id}", null)).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task MemberRoutes_WithoutCredentials_Return401()
    {
        var anonymous = api.Anonymous();

        await (await anonymous.GetAsync("/api/v1/teams/x/members")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.PostJsonAsync("/api/v1/teams/x/members", new { })).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.GetAsync($"/api/v1/teams/x/members/{Guid.NewGuid()}")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.PatchJsonAsync($"/api/v1/teams/x/members/{Guid.NewGuid()}", new { })).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.DeleteAsync($"/api/v1/teams/x/members/{Guid.NewGuid()}", null)).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("""{"email":"not-an-email","role":"viewer"}""", "email")]
    [InlineData("""{"email":"a@example.test","role":"emperor"}""", "role")]
    [InlineData("""{"email":"a@example.test","role":2}""", "role")]
    [InlineData("""{"email":"a@example.test","role":"viewer","team":"x"}""", "team")]
    [InlineData("""{"role":"viewer"}""", "email")]
    public async Task AddMember_WithBadInput_Returns400NamingTheFieldAndWritesNothing(string json, string field)
    {
        var team = await TeamSetup.CreateAsync(api);

        var response = await team.Owner.Client.SendJsonAsync(HttpMethod.Post, $"{team.Url}/members", json);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, field);
        await using var db = api.Db();
        Assert.Equal(3, await db.Memberships.CountAsync(m => m.Team!.Slug == team.Slug));
        Assert.False(await db.Users.AnyAsync(u => u.Email == "a@example.test"));
    }

    [Fact]
    public async Task AddMember_WithOversizedEmail_Returns400NamingEmail()
    {
        var team = await TeamSetup.CreateAsync(api);

        var response = await team.Owner.Client.PostJsonAsync($"{team.Url}/members", new { email = new string('a', 330) + "@example.test", role = "viewer" });

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "email");
    }

    [Fact]
    public async Task AddMember_Twice_Returns409NamingEmail()
    {
        var team = await TeamSetup.CreateAsync(api);

        var response = await team.Owner.Client.PostJsonAsync($"{team.Url}/members", new { email = team.Viewer.Email, role = "viewer" });

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "email");
    }

    [Fact]
    public async Task GetMember_WithMalformedUserId_Returns400NamingUserId()
    {
        var team = await TeamSetup.CreateAsync(api);

        var response = await team.Owner.Client.GetAsync($"{team.Url}/members/not-a-guid");

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "userId");
    }
}
