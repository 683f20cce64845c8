using System.Text.Json.Nodes;

namespace Portal.Api.Tests.Conventions;

public sealed class ConventionTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task OpenApiDocument_DescribesEveryEndpointBothAuthSchemesAndProblems()
    {
        var response = await api.Anonymous().GetAsync("/openapi/v1.json");

        var document = await response.ExpectAsync(HttpStatusCode.OK);
        var paths = document["paths"]!.AsObject();
        foreach (var path in new[]
                 {
                     "/api/v1/me", "/api/v1/teams", "/api/v1/teams/{team}", "/api/v1/teams/{team}/members",
                     "/api/v1/teams/{team}/members/{userId}", "/api/v1/teams/{team}/group-mappings",
                     "/api/v1/teams/{team}/group-mappings/{id}", "/api/v1/teams/{team}/environments",
                     "/api/v1/teams/{team}/environments/{env}", "/api/v1/tokens", "/api/v1/tokens/{id}", "/api/v1/audit",
                 })
            Assert.True(paths.ContainsKey(path), $"{path} is missing from the OpenAPI document");
        var schemes = document["components"]!["securitySchemes"]!.AsObject();
        Assert.True(schemes.ContainsKey("accessToken"));
        Assert.True(schemes.ContainsKey("oidcJwt"));
        var create = paths["/api/v1/teams"]!["post"]!["responses"]!.AsObject();
        foreach (var status in new[] { "201", "400", "401", "403", "409", "422" })
            Assert.True(create.ContainsKey(status), $"POST /api/v1/teams does not document {status}");
        Assert.Contains(paths["/api/v1/teams"]!["post"]!["parameters"]!.AsArray(), p => (string?)p!["name"] == "Idempotency-Key");
        var tier = document["components"]!["schemas"]!["ReliabilityTier"]!["enum"]!.AsArray().Select(v => (string?)v);
        Assert.Contains("best-effort", tier);
    }

    [Fact]
    public async Task SwaggerUi_IsServedAtApiDocs()
    {
        var response = await api.Anonymous().GetAsync("/api/docs/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UnknownApiRoute_IsAProblemNotAnEmptyBody()
    {
        var user = await api.CreateUserAsync("user");

        await (await user.Client.GetAsync("/api/v1/no-such-thing")).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task IfMatchWithAnUnknownETag_Returns412()
    {
        var owner = await api.CreateUserAsync("owner");
        var slug = Names.Slug();
        await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName = "T" })).ExpectAsync(HttpStatusCode.Created);

        await (await owner.Client.PatchJsonAsync($"/api/v1/teams/{slug}", new { displayName = "X" }, ifMatch: "\"abc\"")).ExpectProblemAsync(HttpStatusCode.PreconditionFailed);
        await (await owner.Client.PatchJsonAsync($"/api/v1/teams/{slug}", new { displayName = "X" }, ifMatch: "*")).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ProblemBodies_CarryTraceIdAndInstance()
    {
        var owner = await api.CreateUserAsync("owner");

        var problem = await (await owner.Client.GetAsync("/api/v1/teams/does-not-exist")).ExpectProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal("/api/v1/teams/does-not-exist", (string?)problem["instance"]);
        Assert.False(string.IsNullOrEmpty((string?)problem["traceId"]));
    }
}
