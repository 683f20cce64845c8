using Microsoft.EntityFrameworkCore;

namespace Portal.Api.Tests.Environments;

public sealed class EnvironmentEndpointTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static object Dev(string account = "123456789012") => new
    {
        name = "dev", awsAccountId = account, region = "eu-west-1", provisionerRoleArn = $"arn:aws:iam::{account}:role/unicron-provisioner",
    };

    private static readonly object Prod = new
    {
        name = "prod", awsAccountId = "123456789012", region = "eu-west-1", provisionerRoleArn = "arn:aws:iam::123456789012:role/x",
    };

    [Fact]
    public async Task RegisterEnvironment_ShowsTheExternalIdOnceAndMasksItAfterwards()
    {
        var team = await TeamSetup.CreateAsync(api);

        var created = await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", Dev());

        var body = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal($"{team.Url}/environments/dev", created.Headers.Location?.ToString());
        Assert.Equal("best-effort", (string?)body["reliabilityTier"]);
        var externalId = (string)body["externalId"]!;
        Assert.StartsWith("unicron-", externalId);
        Assert.False((bool)body["externalIdMasked"]!);

        var read = await (await team.Viewer.Client.GetAsync($"{team.Url}/environments/dev")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal($"****{externalId[^4..]}", (string?)read["externalId"]);
        var list = await (await team.Viewer.Client.GetAsync($"{team.Url}/environments")).ExpectAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(externalId, list.ToJsonString());

        await using var db = api.Db();
        var audit = await db.AuditEntries.SingleAsync(a => a.Action == "environment.create" && a.TargetId == $"{team.Slug}/dev");
        Assert.DoesNotContain(externalId, audit.AfterJson);
    }

    [Fact]
    public async Task UpdateEnvironment_WithIfMatch_ChangesTheTier()
    {
        var team = await TeamSetup.CreateAsync(api);
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", Dev())).ExpectAsync(HttpStatusCode.Created);

        var response = await team.Owner.Client.PatchJsonAsync($"{team.Url}/environments/dev", new { reliabilityTier = "critical", region = "us-east-1" }, "\"1\"");

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("critical", (string?)body["reliabilityTier"]);
        Assert.Equal("us-east-1", (string?)body["region"]);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        Assert.StartsWith("****", (string?)body["externalId"]);
    }

    [Fact]
    public async Task UpdateEnvironment_WithStaleIfMatch_Returns412()
    {
        var team = await TeamSetup.CreateAsync(api);
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", Dev())).ExpectAsync(HttpStatusCode.Created);

        await (await team.Owner.Client.PatchJsonAsync($"{team.Url}/environments/dev", new { region = "us-east-1" }, "\"4\"")).ExpectProblemAsync(HttpStatusCode.PreconditionFailed);

        await using var db = api.Db();
        Assert.Equal("eu-west-1", (await db.Environments.SingleAsync(e => db.Teams.Any(t => t.Id == e.TeamId && t.Slug == team.Slug))).Region);
    }

    [Fact]
    public async Task DeleteEnvironment_AsOwner_RemovesIt()
    {
        var team = await TeamSetup.CreateAsync(api);
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", Dev())).ExpectAsync(HttpStatusCode.Created);

        await (await team.Owner.Client.DeleteAsync($"{team.Url}/environments/dev", "\"1\"")).ExpectAsync(HttpStatusCode.NoContent);

        await (await team.Owner.Client.GetAsync($"{team.Url}/environments/dev")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await using var db = api.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "environment.delete" && a.TargetId == $"{team.Slug}/dev"));
    }

    [Fact]
    public async Task RegisteringASecondDev_Returns409NamingName()
    {
        var team = await TeamSetup.CreateAsync(api);
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", Dev())).ExpectAsync(HttpStatusCode.Created);

        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", Dev("210987654321"))).ExpectProblemAsync(HttpStatusCode.Conflict, "name");
    }

    [Theory]
    [InlineData("""{"name":"dev","awsAccountId":"12345","region":"eu-west-1","provisionerRoleArn":"arn:aws:iam::123456789012:role/x"}""", "awsAccountId")]
    [InlineData("""{"name":"dev","awsAccountId":"1234567890123","region":"eu-west-1","provisionerRoleArn":"arn:aws:iam::123456789012:role/x"}""", "awsAccountId")]
    [InlineData("""{"name":"dev","awsAccountId":123456789012,"region":"eu-west-1","provisionerRoleArn":"arn:aws:iam::123456789012:role/x"}""", "awsAccountId")]
    [InlineData("""{"name":"qa","awsAccountId":"123456789012","region":"eu-west-1","provisionerRoleArn":"arn:aws:iam::123456789012:role/x"}""", "name")]
    [InlineData("""{"name":"dev","awsAccountId":"123456789012","region":"mars-1","provisionerRoleArn":"arn:aws:iam::123456789012:role/x"}""", "region")]
    [InlineData("""{"name":"dev","awsAccountId":"123456789012","region":"eu-west-1","provisionerRoleArn":"arn:aws:iam::999999999999:role/x"}""", "provisionerRoleArn")]
    [InlineData("""{"name":"dev","awsAccountId":"123456789012","region":"eu-west-1","provisionerRoleArn":"arn:aws:iam::123456789012:role/x","tier":"gold"}""", "tier")]
    [InlineData("""{"name":"dev","awsAccountId":"123456789012","region":"eu-west-1","provisionerRoleArn":"arn:aws:iam::123456789012:role/x","reliabilityTier":"gold"}""", "reliabilityTier")]
    public async Task RegisterEnvironment_WithBadInput_Returns400NamingTheFieldAndWritesNothing(string json, string field)
    {
        var team = await TeamSetup.CreateAsync(api);

        var response = await team.Owner.Client.SendJsonAsync(HttpMethod.Post, $"{team.Url}/environments", json);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, field);
        await using var db = api.Db();
        Assert.False(await db.Environments.AnyAsync(e => db.Teams.Any(t => t.Id == e.TeamId && t.Slug == team.Slug)));
        Assert.False(await db.AuditEntries.AnyAsync(a => a.Action == "environment.create" && a.TargetId.StartsWith(team.Slug)));
    }

    [Fact]
    public async Task RegisterEnvironment_WithOversizedRoleArn_Returns400NamingIt()
    {
        var team = await TeamSetup.CreateAsync(api);
        var arn = "arn:aws:iam::123456789012:role/" + new string('x', 2100);

        var response = await team.Owner.Client.PostJsonAsync($"{team.Url}/environments",
            new { name = "dev", awsAccountId = "123456789012", region = "eu-west-1", provisionerRoleArn = arn });

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "provisionerRoleArn");
    }

    [Fact]
    public async Task EnvironmentWrites_AsMaintainerOrViewer_Return403()
    {
        var team = await TeamSetup.CreateAsync(api);
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", Dev())).ExpectAsync(HttpStatusCode.Created);

        foreach (var client in new[] { team.Viewer.Client, team.Maintainer.Client })
        {
            await (await client.PostJsonAsync($"{team.Url}/environments", Prod)).ExpectProblemAsync(HttpStatusCode.Forbidden);
            await (await client.PatchJsonAsync($"{team.Url}/environments/dev", new { region = "us-east-1" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
            await (await client.DeleteAsync($"{team.Url}/environments/dev", null)).ExpectProblemAsync(HttpStatusCode.Forbidden);
        }

        await using var db = api.Db();
        Assert.Equal("eu-west-1", (await db.Environments.SingleAsync(e => db.Teams.Any(t => t.Id == e.TeamId && t.Slug == team.Slug))).Region);
    }

    [Fact]
    public async Task EnvironmentRoutes_ForAMemberOfAnotherTeam_Return404()
    {
        var team = await TeamSetup.CreateAsync(api);
        await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", Dev())).ExpectAsync(HttpStatusCode.Created);
        var client = team.Outsider.Client;

        await (await client.GetAsync($"{team.Url}/environments")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync($"{team.Url}/environments/dev")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await client.PostJsonAsync($"{team.Url}/environments", Dev())).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await client.PatchJsonAsync($"{team.Url}/environments/dev", new { region = "us-east-1" })).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"{team.Url}/environments/dev", null)).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task EnvironmentRoutes_WithoutCredentials_Return401()
    {
        var anonymous = api.Anonymous();

        await (await anonymous.GetAsync("/api/v1/teams/x/environments")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.PostJsonAsync("/api/v1/teams/x/environments", Dev())).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.GetAsync("/api/v1/teams/x/environments/dev")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.PatchJsonAsync("/api/v1/teams/x/environments/dev", new { })).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.DeleteAsync("/api/v1/teams/x/environments/dev", null)).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task GetEnvironment_WithUnknownName_Returns404()
    {
        var team = await TeamSetup.CreateAsync(api);

        await (await team.Owner.Client.GetAsync($"{team.Url}/environments/qa")).ExpectProblemAsync(HttpStatusCode.NotFound);
    }
}
