using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Portal.Api.Tests.Security;

/// <summary>R6 regressions on the API side: secrets found by the secrets suite (Portal.Web.Tests) stay out of answers and audit.</summary>
[Trait("Category", "Reliability")]
public sealed class SecretRedactionTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task ABudgetWebhookUrlWithCredentials_IsAnsweredAndAuditedMasked_AndARoundTripKeepsThem()
    {
        var team = await TeamSetup.CreateAsync(api);
        const string url = "https://hook-user:hook-pass-42@hooks.example.test/budget?token=tok-42&channel=ops";
        const string masked = "https://***@hooks.example.test/budget?token=***&channel=***";

        var put = await (await team.Owner.Client.SendJsonAsync(HttpMethod.Put, $"{team.Url}/budget",
            """{"monthlyLimit":100,"webhookUrl":"https://hook-user:hook-pass-42@hooks.example.test/budget?token=tok-42&channel=ops"}""")).ExpectAsync(HttpStatusCode.OK);
        var read = await (await team.Viewer.Client.GetAsync($"{team.Url}/budget")).ExpectAsync(HttpStatusCode.OK);
        var audit = await (await team.Owner.Client.GetAsync($"/api/v1/audit?team={team.Slug}&action=budget.create")).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(masked, (string?)put["webhookUrl"]);
        Assert.Equal(masked, (string?)read["webhookUrl"]);
        Assert.DoesNotContain("hook-pass-42", audit.ToJsonString());
        Assert.DoesNotContain("tok-42", audit.ToJsonString());
        Assert.Equal(masked, (string?)audit["items"]![0]!["after"]!["webhookUrl"]);

        // A client that changes the limit and sends the masked URL back unchanged keeps the real one.
        var etag = (await team.Owner.Client.GetAsync($"{team.Url}/budget")).Headers.ETag!.Tag;
        await (await team.Owner.Client.SendJsonAsync(HttpMethod.Put, $"{team.Url}/budget",
            $$"""{"monthlyLimit":200,"webhookUrl":"{{masked}}"}""", etag)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(url, await StoredUrlAsync(team));

        await (await team.Owner.Client.SendJsonAsync(HttpMethod.Put, $"{team.Url}/budget",
            """{"monthlyLimit":200,"webhookUrl":"https://hooks.example.test/plain"}""")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("https://hooks.example.test/plain", await StoredUrlAsync(team));
        Assert.Equal("https://hooks.example.test/plain", (string?)(await (await team.Viewer.Client.GetAsync($"{team.Url}/budget")).ExpectAsync(HttpStatusCode.OK))["webhookUrl"]);
    }

    [Fact]
    public async Task AnEnvironmentRegistrationReplayedByIdempotencyKey_NeverStoresOrRepeatsTheExternalId()
    {
        var team = await TeamSetup.CreateAsync(api);
        var key = Guid.NewGuid().ToString();
        var body = new { name = "dev", awsAccountId = "123456789012", region = "us-east-1", provisionerRoleArn = "arn:aws:iam::123456789012:role/p" };

        var first = await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", body, key)).ExpectAsync(HttpStatusCode.Created);
        var replay = await (await team.Owner.Client.PostJsonAsync($"{team.Url}/environments", body, key)).ExpectAsync(HttpStatusCode.Created);

        var externalId = (string)first["externalId"]!;
        Assert.StartsWith("unicron-", externalId);
        Assert.Null((string?)replay["externalId"]);
        await using var db = api.Db();
        var stored = await db.IdempotencyRecords.Where(r => r.Key == key).Select(r => r.Body).SingleAsync();
        Assert.DoesNotContain(externalId, Encoding.UTF8.GetString(stored));
    }

    private async Task<string?> StoredUrlAsync(TeamSetup team)
    {
        await using var db = api.Db();
        return await db.TeamBudgets.Where(b => db.Teams.Any(t => t.Id == b.TeamId && t.Slug == team.Slug)).Select(b => b.WebhookUrl).SingleAsync();
    }
}
