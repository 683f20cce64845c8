namespace Portal.Api.Tests.Infrastructure;

/// <summary>A team with an owner, a maintainer, a viewer and an outsider (a member of another team), made through the API.</summary>
public sealed record TeamSetup(string Slug, TestUser Owner, TestUser Maintainer, TestUser Viewer, TestUser Outsider)
{
    public string Url => $"/api/v1/teams/{Slug}";

    public static async Task<TeamSetup> CreateAsync(ApiFactory api)
    {
        var owner = await api.CreateUserAsync("owner");
        var maintainer = await api.CreateUserAsync("maintainer");
        var viewer = await api.CreateUserAsync("viewer");
        var outsider = await api.CreateUserAsync("outsider");
        var slug = Names.Slug();
        await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName = "Team" })).ExpectAsync(HttpStatusCode.Created);
        await (await outsider.Client.PostJsonAsync("/api/v1/teams", new { slug = Names.Slug("other"), displayName = "Other" })).ExpectAsync(HttpStatusCode.Created);
        await (await owner.Client.PostJsonAsync($"/api/v1/teams/{slug}/members", new { email = maintainer.Email, role = "maintainer" })).ExpectAsync(HttpStatusCode.Created);
        await (await owner.Client.PostJsonAsync($"/api/v1/teams/{slug}/members", new { email = viewer.Email, role = "viewer" })).ExpectAsync(HttpStatusCode.Created);
        return new TeamSetup(slug, owner, maintainer, viewer, outsider);
    }
}
