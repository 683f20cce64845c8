using System.Net.Http.Json;
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

    /// <summary>
    /// Every operation the API documents answers an anonymous caller with a 401 problem, before it reads anything:
    /// new endpoints are covered by being in the document (the isolation suite of issue 9 extends this matrix).
    /// </summary>
    [Fact]
    public async Task EveryDocumentedOperation_Refuses_AnAnonymousCaller_With401()
    {
        var document = await (await api.Anonymous().GetAsync("/openapi/v1.json")).ExpectAsync(HttpStatusCode.OK);
        var client = api.Anonymous();
        var checkedOperations = 0;
        foreach (var (template, operations) in document["paths"]!.AsObject())
        {
            var path = System.Text.RegularExpressions.Regex.Replace(template, "{[^}]+}", "x");
            foreach (var (method, _) in operations!.AsObject())
            {
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path);
                if (method is "post" or "put" or "patch") request.Content = JsonContent.Create(new { });
                var response = await client.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method.ToUpperInvariant()} {template} answered {(int)response.StatusCode} to an anonymous caller");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                checkedOperations++;
            }
        }
        Assert.True(checkedOperations > 60, $"only {checkedOperations} operations documented");
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
