using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;

namespace Portal.Api.Tests.Teams;

public sealed class TeamEndpointTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private async Task<(TestUser Owner, string Slug)> TeamAsync()
    {
        var owner = await api.CreateUserAsync("owner");
        var slug = Names.Slug();
        await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName = "Data Science" })).ExpectAsync(HttpStatusCode.Created);
        return (owner, slug);
    }

    [Fact]
    public async Task CreateTeam_ReturnsCreatedWithLocationETagAndCallerAsOwner()
    {
        var owner = await api.CreateUserAsync("owner");
        var slug = Names.Slug();

        var response = await owner.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName = "Data Science", description = "ML", costCentre = "CC-1" });

        var body = await response.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal($"/api/v1/teams/{slug}", response.Headers.Location?.ToString());
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        Assert.Equal(slug, (string?)body["slug"]);
        Assert.Equal("owner", (string?)body["myRole"]);
        Assert.Equal(1, (int)body["memberCount"]!);
        Assert.EndsWith("Z", (string?)body["createdAt"]);
        await using var db = api.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "team.create" && a.TargetId == slug));
    }

    [Fact]
    public async Task GetTeam_AsMember_ReturnsTeamWithETag()
    {
        var (owner, slug) = await TeamAsync();

        var response = await owner.Client.GetAsync($"/api/v1/teams/{slug}");

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Data Science", (string?)body["displayName"]);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task ListTeams_PagesWithNextLinkAndSearch()
    {
        var owner = await api.CreateUserAsync("lister");
        var prefix = Names.Slug("ls");
        foreach (var i in new[] { 3, 1, 2 })
            await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug = $"{prefix}-{i}", displayName = $"Team {i}" })).ExpectAsync(HttpStatusCode.Created);

        var first = await (await owner.Client.GetAsync($"/api/v1/teams?search={prefix}&limit=2")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal([$"{prefix}-1", $"{prefix}-2"], first["items"]!.AsArray().Select(t => (string?)t!["slug"]));
        var next = (string?)first["next"];
        Assert.NotNull(next);
        Assert.Contains($"search={prefix}", next);

        var second = await (await owner.Client.GetAsync(next)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal([$"{prefix}-3"], second["items"]!.AsArray().Select(t => (string?)t!["slug"]));
        Assert.Null((string?)second["next"]);
    }

    [Fact]
    public async Task ListTeams_ShowsOnlyTheCallersTeams()
    {
        var (_, slug) = await TeamAsync();
        var stranger = await api.CreateUserAsync("stranger");

        var body = await (await stranger.Client.GetAsync("/api/v1/teams")).ExpectAsync(HttpStatusCode.OK);

        Assert.DoesNotContain(body["items"]!.AsArray(), t => (string?)t!["slug"] == slug);
    }

    [Fact]
    public async Task ListTeams_AsPlatformAdmin_ShowsEveryTeam()
    {
        var (_, slug) = await TeamAsync();
        var admin = await api.CreateUserAsync("admin", admin: true);

        var body = await (await admin.Client.GetAsync($"/api/v1/teams?search={slug}")).ExpectAsync(HttpStatusCode.OK);

        Assert.Single(body["items"]!.AsArray());
    }

    [Fact]
    public async Task UpdateTeam_WithMatchingIfMatch_ChangesItAndBumpsETag()
    {
        var (owner, slug) = await TeamAsync();

        var response = await owner.Client.PatchJsonAsync($"/api/v1/teams/{slug}", new { displayName = "Renamed", costCentre = "" }, ifMatch: "\"1\"");

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Renamed", (string?)body["displayName"]);
        Assert.Null((string?)body["costCentre"]);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        await using var db = api.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "team.update" && a.TargetId == slug));
    }

    [Fact]
    public async Task UpdateTeam_WithStaleIfMatch_Returns412AndChangesNothing()
    {
        var (owner, slug) = await TeamAsync();

        var response = await owner.Client.PatchJsonAsync($"/api/v1/teams/{slug}", new { displayName = "Renamed" }, ifMatch: "\"7\"");

        await response.ExpectProblemAsync(HttpStatusCode.PreconditionFailed);
        await using var db = api.Db();
        Assert.Equal("Data Science", (await db.Teams.SingleAsync(t => t.Slug == slug)).DisplayName);
        Assert.Equal(0, await db.AuditEntries.CountAsync(a => a.Action == "team.update" && a.TargetId == slug));
    }

    [Fact]
    public async Task DeleteTeam_AsOwner_RemovesItWithOneAuditEntry()
    {
        var (owner, slug) = await TeamAsync();

        await (await owner.Client.DeleteAsync($"/api/v1/teams/{slug}", ifMatch: "\"1\"")).ExpectAsync(HttpStatusCode.NoContent);

        await (await owner.Client.GetAsync($"/api/v1/teams/{slug}")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await using var db = api.Db();
        Assert.False(await db.Teams.AnyAsync(t => t.Slug == slug));
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "team.delete" && a.TargetId == slug));
    }

    [Fact]
    public async Task DeleteTeam_WithStaleIfMatch_Returns412AndKeepsTheTeam()
    {
        var (owner, slug) = await TeamAsync();

        await (await owner.Client.DeleteAsync($"/api/v1/teams/{slug}", ifMatch: "\"5\"")).ExpectProblemAsync(HttpStatusCode.PreconditionFailed);

        await using var db = api.Db();
        Assert.True(await db.Teams.AnyAsync(t => t.Slug == slug));
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("PATCH", "")]
    [InlineData("DELETE", "")]
    public async Task TeamRoutes_ForAMemberOfAnotherTeam_Return404(string method, string _)
    {
        var (_, slug) = await TeamAsync();
        var outsider = await api.CreateUserAsync("outsider");

        var response = await outsider.Client.SendJsonAsync(new HttpMethod(method), $"/api/v1/teams/{slug}", "{}");

        await response.ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UpdateTeam_AsViewer_Returns403AndChangesNothing()
    {
        var (owner, slug) = await TeamAsync();
        var viewer = await api.CreateUserAsync("viewer");
        await (await owner.Client.PostJsonAsync($"/api/v1/teams/{slug}/members", new { email = viewer.Email, role = "viewer" })).ExpectAsync(HttpStatusCode.Created);

        await (await viewer.Client.PatchJsonAsync($"/api/v1/teams/{slug}", new { displayName = "Mine now" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await viewer.Client.DeleteAsync($"/api/v1/teams/{slug}", null)).ExpectProblemAsync(HttpStatusCode.Forbidden);

        await using var db = api.Db();
        Assert.Equal("Data Science", (await db.Teams.SingleAsync(t => t.Slug == slug)).DisplayName);
    }

    [Theory]
    [InlineData("GET", "/api/v1/teams")]
    [InlineData("POST", "/api/v1/teams")]
    [InlineData("GET", "/api/v1/teams/some-team")]
    [InlineData("PATCH", "/api/v1/teams/some-team")]
    [InlineData("DELETE", "/api/v1/teams/some-team")]
    public async Task TeamRoutes_WithoutCredentials_Return401ProblemNotRedirect(string method, string url)
    {
        var response = await api.Anonymous().SendJsonAsync(new HttpMethod(method), url, "{}");

        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("Bad_Slug", "slug")]
    [InlineData("ab", "slug")]
    [InlineData("-leading-dash", "slug")]
    [InlineData("a-slug-that-is-far-too-long-for-a-team-name", "slug")]
    public async Task CreateTeam_WithBadSlug_Returns400NamingSlugAndWritesNothing(string slug, string field)
    {
        var owner = await api.CreateUserAsync("owner");

        var response = await owner.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName = "X" });

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, field);
        await using var db = api.Db();
        Assert.False(await db.Teams.AnyAsync(t => t.Slug == slug));
        Assert.False(await db.AuditEntries.AnyAsync(a => a.ActorUserId == owner.Id));
    }

    [Fact]
    public async Task CreateTeam_WithDuplicateSlug_Returns409NamingSlug()
    {
        var (_, slug) = await TeamAsync();
        var other = await api.CreateUserAsync("other");

        var response = await other.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName = "Copy" });

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "slug");
        await using var db = api.Db();
        Assert.False(await db.AuditEntries.AnyAsync(a => a.ActorUserId == other.Id));
    }

    [Theory]
    [InlineData("""{"slug":"ok-slug","displayName":"X","colour":"red"}""", "colour")]
    [InlineData("""{"slug":"ok-slug","displayName":42}""", "displayName")]
    [InlineData("""{"slug":["ok-slug"],"displayName":"X"}""", "slug")]
    [InlineData("""{"slug":"ok-slug","displayName":null}""", "displayName")]
    [InlineData("""{"displayName":"X"}""", "slug")]
    [InlineData("""{"slug":"ok-slug","displayName":"X" """, "body")]
    [InlineData("""not json""", "body")]
    public async Task CreateTeam_WithMalformedBody_Returns400NamingTheField(string json, string field)
    {
        var owner = await api.CreateUserAsync("owner");

        var response = await owner.Client.SendJsonAsync(HttpMethod.Post, "/api/v1/teams", json);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, field);
        await using var db = api.Db();
        Assert.False(await db.AuditEntries.AnyAsync(a => a.ActorUserId == owner.Id));
    }

    [Theory]
    [InlineData("displayName", 101)]
    [InlineData("description", 2001)]
    [InlineData("costCentre", 51)]
    public async Task CreateTeam_WithOversizedString_Returns400NamingTheField(string field, int length)
    {
        var owner = await api.CreateUserAsync("owner");
        var body = new Dictionary<string, string> { ["slug"] = Names.Slug(), ["displayName"] = "X", [field] = new string('x', length) };

        var response = await owner.Client.PostJsonAsync("/api/v1/teams", body);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, field);
        await using var db = api.Db();
        Assert.False(await db.Teams.AnyAsync(t => t.Slug == body["slug"]));
    }

    [Fact]
    public async Task UpdateTeam_WithUnknownField_Returns400NamingIt()
    {
        var (owner, slug) = await TeamAsync();

        var response = await owner.Client.PatchJsonAsync($"/api/v1/teams/{slug}", new { slug = "renamed" });

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "slug");
    }

    [Theory]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1000", "limit")]
    [InlineData("cursor=%25%25%25", "cursor")]
    [InlineData("search=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "search")]
    public async Task ListTeams_WithBadQuery_Returns400NamingTheParameter(string query, string field)
    {
        var owner = await api.CreateUserAsync("owner");

        var response = await owner.Client.GetAsync($"/api/v1/teams?{query}");

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, field);
    }
}
