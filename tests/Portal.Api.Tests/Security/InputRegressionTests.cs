using System.Net.Http.Json;
using System.Text;

namespace Portal.Api.Tests.Security;

/// <summary>What the input suite found, pinned one by one so each stays fixed whatever the generator draws next time.</summary>
[Trait("Category", "Reliability")]
public sealed class InputRegressionTests(InputWorld world) : IClassFixture<InputWorld>
{
    private HttpClient Owner => world.Team.Owner.Client;
    private string Cluster => $"{world.Team.Url}/clusters/{InputWorld.Cluster}";

    [Fact]
    public async Task ANulInAQueryValue_Is400NamingTheParameter_NotA500()
    {
        var response = await Owner.PostAsync($"{Cluster}/addons:promote?from=a%00b&dryRun=true", null);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "from");
    }

    [Fact]
    public async Task AControlCharacterInAPathSegment_Is400NamingTheParameter()
    {
        var response = await Owner.DeleteAsync($"{world.Team.Url}/clusters/esc%1B%5B31m", ifMatch: null);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "cluster");
    }

    [Fact]
    public async Task AMergePatchWithADuplicateMember_Is400NamingIt_NotA500()
    {
        var response = await Owner.SendJsonAsync(HttpMethod.Patch, $"{Cluster}/endpoints/{InputWorld.Endpoint}", """{"gpu":{"count":1},"gpu":{"count":2}}""");

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "gpu");
    }

    [Fact]
    public async Task ADuplicateMemberInAnyBody_Is400NamingIt()
    {
        var response = await Owner.SendJsonAsync(HttpMethod.Patch, world.Team.Url, """{"displayName":"A","displayName":"B"}""");

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "displayName");
    }

    [Fact]
    public async Task AnUnknownMemberInAMergePatch_Is400NamingIt_NotSilentlyAccepted()
    {
        var response = await Owner.SendJsonAsync(HttpMethod.Patch, $"{Cluster}/endpoints/{InputWorld.Endpoint}", """{"isAdmin":true}""");

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "isAdmin");
    }

    [Fact]
    public async Task AnUnknownFieldInANestedObject_Is400NamingItsPath()
    {
        var response = await Owner.SendJsonAsync(HttpMethod.Post, $"{Cluster}/endpoints", """
            {"name":"other","runtime":"triton","protocol":"grpc","model":{"uri":"s3://acme/m","name":"m","version":"1","__proto__":true},
             "gpu":{"type":"L4","count":1},"resources":{"cpu":"3","memory":"12Gi"},"autoscaling":{"minReplicas":1,"maxReplicas":2,"triggers":[]}}
            """);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "model.__proto__");
    }

    [Fact]
    public async Task AnUnknownBudgetField_Is400NamingIt()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{world.Team.Url}/budget")
        {
            Content = new StringContent("""{"monthlyLimit":100,"unexpected":true}""", Encoding.UTF8, "application/json"),
        };

        await (await Owner.SendAsync(request)).ExpectProblemAsync(HttpStatusCode.BadRequest, "unexpected");
    }

    [Fact]
    public async Task DetachingAClusterThatStillHasAddonsAndEndpoints_Is409NamingThem_AndKeepsIt()
    {
        var response = await Owner.DeleteAsync(Cluster, ifMatch: null);

        var problem = await response.ExpectProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains(InputWorld.Addon, (string?)problem["detail"]);
        Assert.Contains(InputWorld.Endpoint, (string?)problem["detail"]);
        await (await Owner.GetAsync(Cluster)).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnIdempotencyKeyWithAControlCharacter_Is400_AndCreatesNothing()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{world.Team.Url}/group-mappings")
        {
            Content = JsonContent.Create(new { group = "regression-tab-key", role = "viewer" }),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", "tab\tinside");

        await (await Owner.SendAsync(request)).ExpectProblemAsync(HttpStatusCode.BadRequest, "Idempotency-Key");
        var mappings = await (await Owner.GetAsync($"{world.Team.Url}/group-mappings")).ExpectAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(mappings["items"]!.AsArray(), m => (string?)m!["group"] == "regression-tab-key");
    }
}
