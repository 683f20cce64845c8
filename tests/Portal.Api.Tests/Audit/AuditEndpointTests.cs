namespace Portal.Api.Tests.Audit;

public sealed class AuditEndpointTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Owner_ReadsTheirTeamsAuditLog_NewestFirst()
    {
        var team = await TeamSetup.CreateAsync(api);

        var body = await (await team.Owner.Client.GetAsync($"/api/v1/audit?team={team.Slug}")).ExpectAsync(HttpStatusCode.OK);

        var actions = body["items"]!.AsArray().Select(e => (string)e!["action"]!).ToList();
        // Creating the team records its first owner in the team.create entry; each added member is one more entry.
        Assert.Equal(["membership.create", "membership.create", "team.create"], actions);
        var first = body["items"]![0]!;
        Assert.Equal("token", (string?)first["actorKind"]);
        Assert.Equal("succeeded", (string?)first["outcome"]);
        Assert.Equal("viewer", (string?)first["after"]!["role"]);
    }

    [Fact]
    public async Task Audit_FiltersByActionAndPages()
    {
        var team = await TeamSetup.CreateAsync(api);

        var first = await (await team.Owner.Client.GetAsync($"/api/v1/audit?team={team.Slug}&limit=2")).ExpectAsync(HttpStatusCode.OK);
        var second = await (await team.Owner.Client.GetAsync((string)first["next"]!)).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(2, first["items"]!.AsArray().Count);
        Assert.Single(second["items"]!.AsArray());
        var filtered = await (await team.Owner.Client.GetAsync($"/api/v1/audit?team={team.Slug}&action=membership.create")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, filtered["items"]!.AsArray().Count);
        Assert.All(filtered["items"]!.AsArray(), e => Assert.Equal("membership.create", (string?)e!["action"]));
    }

    [Fact]
    public async Task PlatformAdmin_ReadsEverything()
    {
        var team = await TeamSetup.CreateAsync(api);
        var admin = await api.CreateUserAsync("admin", admin: true);

        var body = await (await admin.Client.GetAsync("/api/v1/audit?action=team.create&limit=200")).ExpectAsync(HttpStatusCode.OK);

        Assert.Contains(body["items"]!.AsArray(), e => (string?)e!["targetId"] == team.Slug);
    }

    [Fact]
    public async Task NonOwners_CannotReadATeamsAuditLog()
    {
        var team = await TeamSetup.CreateAsync(api);

        await (await team.Viewer.Client.GetAsync($"/api/v1/audit?team={team.Slug}")).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Outsider.Client.GetAsync($"/api/v1/audit?team={team.Slug}")).ExpectProblemAsync(HttpStatusCode.NotFound);
        var own = await (await team.Viewer.Client.GetAsync("/api/v1/audit")).ExpectAsync(HttpStatusCode.OK);
        Assert.Empty(own["items"]!.AsArray());
        await (await api.Anonymous().GetAsync("/api/v1/audit")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Audit_WithBadCursor_Returns400NamingCursor()
    {
        var admin = await api.CreateUserAsync("admin", admin: true);

        await (await admin.Client.GetAsync("/api/v1/audit?cursor=bm90LWEtbnVtYmVy")).ExpectProblemAsync(HttpStatusCode.BadRequest, "cursor");
    }
}
