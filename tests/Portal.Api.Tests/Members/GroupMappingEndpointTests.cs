using Microsoft.EntityFrameworkCore;

namespace Portal.Api.Tests.Members;

public sealed class GroupMappingEndpointTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task GroupMappings_CanBeAddedReadListedAndRemovedByOwners()
    {
        var team = await TeamSetup.CreateAsync(api);

        var created = await team.Owner.Client.PostJsonAsync($"{team.Url}/group-mappings", new { group = "ds-engineers", role = "maintainer" });
        var body = await created.ExpectAsync(HttpStatusCode.Created);
        var location = created.Headers.Location!.ToString();
        Assert.Equal($"{team.Url}/group-mappings/{body["id"]}", location);

        var read = await (await team.Viewer.Client.GetAsync(location)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("ds-engineers", (string?)read["group"]);
        var list = await (await team.Viewer.Client.GetAsync($"{team.Url}/group-mappings")).ExpectAsync(HttpStatusCode.OK);
        Assert.Single(list["items"]!.AsArray());

        await (await team.Owner.Client.DeleteAsync(location, null)).ExpectAsync(HttpStatusCode.NoContent);
        await (await team.Owner.Client.GetAsync(location)).ExpectProblemAsync(HttpStatusCode.NotFound);
        await using var db = api.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "group-mapping.create" && a.TargetId == $"{team.Slug}/ds-engineers"));
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "group-mapping.delete" && a.TargetId == $"{team.Slug}/ds-engineers"));
    }

    [Fact]
    public async Task GroupMappingWrites_AsViewer_Return403_AndOutsiders_Get404()
    {
        var team = await TeamSetup.CreateAsync(api);

        await (await team.Viewer.Client.PostJsonAsync($"{team.Url}/group-mappings", new { group = "g", role = "owner" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await team.Outsider.Client.PostJsonAsync($"{team.Url}/group-mappings", new { group = "g", role = "owner" })).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await team.Outsider.Client.GetAsync($"{team.Url}/group-mappings")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await team.Outsider.Client.DeleteAsync($"{team.Url}/group-mappings/{Guid.NewGuid()}", null)).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await api.Anonymous().GetAsync($"{team.Url}/group-mappings")).ExpectProblemAsync(HttpStatusCode.Unauthorized);

        await using var db = api.Db();
        Assert.False(await db.GroupMappings.AnyAsync(g => g.Group == "g"));
    }

    [Theory]
    [InlineData("""{"group":"","role":"viewer"}""", "group")]
    [InlineData("""{"group":"g","role":"god"}""", "role")]
    [InlineData("""{"group":"g","role":"viewer","extra":1}""", "extra")]
    public async Task AddGroupMapping_WithBadInput_Returns400NamingTheField(string json, string field)
    {
        var team = await TeamSetup.CreateAsync(api);

        await (await team.Owner.Client.SendJsonAsync(HttpMethod.Post, $"{team.Url}/group-mappings", json)).ExpectProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task AddGroupMapping_WithOversizedGroup_Returns400NamingGroup()
    {
        var team = await TeamSetup.CreateAsync(api);

        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/group-mappings", new { group = new string('g', 257), role = "viewer" }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "group");
    }
}
