using Microsoft.EntityFrameworkCore;
using Portal.Core.Tokens;

namespace Portal.Api.Tests.Tokens;

public sealed class TokenEndpointTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task CreateToken_ReturnsTheSecretOnce_StoresOnlyItsHash_AndNeverReturnsItAgain()
    {
        var user = await api.CreateUserAsync("scripter");

        var response = await user.Client.PostJsonAsync("/api/v1/tokens", new { name = "ci", scopes = new[] { "read" } });

        var body = await response.ExpectAsync(HttpStatusCode.Created);
        var secret = (string)body["secret"]!;
        var id = (string)body["id"]!;
        Assert.StartsWith(TokenService.SecretPrefix, secret);
        Assert.Equal($"/api/v1/tokens/{id}", response.Headers.Location?.ToString());
        Assert.Equal(["read"], body["scopes"]!.AsArray().Select(s => (string?)s));

        var read = await (await user.Client.GetAsync($"/api/v1/tokens/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.False(read.ContainsKey("secret"));
        var list = await (await user.Client.GetAsync("/api/v1/tokens")).ExpectAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(secret, list.ToJsonString());
        Assert.DoesNotContain(secret[TokenService.SecretPrefix.Length..], list.ToJsonString());

        await using var db = api.Db();
        var row = await db.ApiTokens.SingleAsync(t => t.Id == Guid.Parse(id));
        Assert.Equal(TokenService.Hash(secret), row.SecretHash);
        var audit = await db.AuditEntries.SingleAsync(a => a.Action == "token.create" && a.TargetId == id);
        Assert.DoesNotContain(secret, audit.AfterJson);
        Assert.DoesNotContain(secret[TokenService.SecretPrefix.Length..], audit.AfterJson);
        Assert.False(await db.IdempotencyRecords.AnyAsync());
    }

    [Fact]
    public async Task ANewToken_AuthenticatesAndRecordsLastUse()
    {
        var user = await api.CreateUserAsync("scripter");
        var created = await (await user.Client.PostJsonAsync("/api/v1/tokens", new { name = "ci", scopes = new[] { "read" } })).ExpectAsync(HttpStatusCode.Created);
        var id = Guid.Parse((string)created["id"]!);

        var me = await (await api.ClientWith((string)created["secret"]!).GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(user.Email, (string?)me["email"]);
        Assert.Equal("token", (string?)me["authentication"]!["kind"]);
        Assert.Equal(id.ToString(), (string?)me["authentication"]!["tokenId"]);
        await using var db = api.Db();
        Assert.NotNull((await db.ApiTokens.SingleAsync(t => t.Id == id)).LastUsedAt);
    }

    [Fact]
    public async Task RevokedToken_Gets401()
    {
        var user = await api.CreateUserAsync("scripter");
        var created = await (await user.Client.PostJsonAsync("/api/v1/tokens", new { name = "ci", scopes = new[] { "read" } })).ExpectAsync(HttpStatusCode.Created);
        var client = api.ClientWith((string)created["secret"]!);
        await (await client.GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);

        await (await user.Client.DeleteAsync($"/api/v1/tokens/{created["id"]}", null)).ExpectAsync(HttpStatusCode.NoContent);

        var response = await client.GetAsync("/api/v1/me");
        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
        var read = await (await user.Client.GetAsync($"/api/v1/tokens/{created["id"]}")).ExpectAsync(HttpStatusCode.OK);
        Assert.NotNull((string?)read["revokedAt"]);
        await using var db = api.Db();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "token.revoke" && a.TargetId == (string)created["id"]!));
    }

    [Fact]
    public async Task ExpiredToken_Gets401()
    {
        var user = await api.CreateUserAsync("scripter");
        var expires = api.Clock.GetUtcNow().AddHours(1);
        var created = await (await user.Client.PostJsonAsync("/api/v1/tokens", new { name = "short", scopes = new[] { "read" }, expiresAt = expires }))
            .ExpectAsync(HttpStatusCode.Created);
        var client = api.ClientWith((string)created["secret"]!);
        await (await client.GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);

        // A separate factory would be cleaner, but advancing this one's clock also expires only tokens due within 2h.
        api.Clock.Advance(TimeSpan.FromHours(2));
        try
        {
            await (await client.GetAsync("/api/v1/me")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        }
        finally
        {
            api.Clock.Advance(TimeSpan.FromHours(-2));
        }
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("ucp_pat_doesnotexist")]
    [InlineData("a.b.c")]
    public async Task UnknownBearerToken_Gets401Problem(string bearer)
    {
        await (await api.ClientWith(bearer).GetAsync("/api/v1/me")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ReadOnlyToken_CannotWrite()
    {
        var user = await api.CreateUserAsync("owner");
        var slug = Names.Slug();
        await (await user.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName = "T" })).ExpectAsync(HttpStatusCode.Created);
        var readOnly = await api.ClientWithScopesAsync(user, TokenScopes.Read);

        await (await readOnly.GetAsync($"/api/v1/teams/{slug}")).ExpectAsync(HttpStatusCode.OK);
        await (await readOnly.PatchJsonAsync($"/api/v1/teams/{slug}", new { displayName = "Changed" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await readOnly.PostJsonAsync("/api/v1/teams", new { slug = Names.Slug(), displayName = "T" })).ExpectProblemAsync(HttpStatusCode.Forbidden);
        await (await readOnly.PostJsonAsync("/api/v1/tokens", new { name = "escalate", scopes = new[] { "write" } })).ExpectProblemAsync(HttpStatusCode.Forbidden);

        await using var db = api.Db();
        Assert.Equal("T", (await db.Teams.SingleAsync(t => t.Slug == slug)).DisplayName);
    }

    [Fact]
    public async Task AdminScope_IsOnlyForPlatformAdmins()
    {
        var user = await api.CreateUserAsync("user");

        await (await user.Client.PostJsonAsync("/api/v1/tokens", new { name = "x", scopes = new[] { "admin" } })).ExpectProblemAsync(HttpStatusCode.BadRequest, "scopes");
    }

    [Fact]
    public async Task AdminWithoutAdminScope_DoesNotActAsAdmin()
    {
        var owner = await api.CreateUserAsync("owner");
        var slug = Names.Slug();
        await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName = "T" })).ExpectAsync(HttpStatusCode.Created);
        var admin = await api.CreateUserAsync("admin", admin: true);
        var plain = await api.ClientWithScopesAsync(admin, TokenScopes.Read | TokenScopes.Write);

        await (await admin.Client.GetAsync($"/api/v1/teams/{slug}")).ExpectAsync(HttpStatusCode.OK);
        await (await plain.GetAsync($"/api/v1/teams/{slug}")).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"name":"x","scopes":["read"],"expiresAt":"2001-01-01T00:00:00Z"}""", "expiresAt")]
    [InlineData("""{"name":"x","scopes":["read"],"expiresAt":"2999-01-01T00:00:00Z"}""", "expiresAt")]
    [InlineData("""{"name":"x","scopes":["read"],"expiresAt":"tomorrow"}""", "expiresAt")]
    [InlineData("""{"name":"x","scopes":[]}""", "scopes")]
    [InlineData("""{"name":"x","scopes":["read","read","read","read"]}""", "scopes")]
    [InlineData("""{"name":"x","scopes":["sudo"]}""", "scopes[0]")]
    [InlineData("""{"name":"x","scopes":"read"}""", "scopes")]
    [InlineData("""{"name":"","scopes":["read"]}""", "name")]
    [InlineData("""{"name":"x","scopes":["read"],"secret":"ucp_pat_mine"}""", "secret")]
    public async Task CreateToken_WithBadInput_Returns400NamingTheFieldAndCreatesNothing(string json, string field)
    {
        var user = await api.CreateUserAsync("scripter");

        await (await user.Client.SendJsonAsync(HttpMethod.Post, "/api/v1/tokens", json)).ExpectProblemAsync(HttpStatusCode.BadRequest, field);

        await using var db = api.Db();
        Assert.Equal(1, await db.ApiTokens.CountAsync(t => t.UserId == user.Id));
    }

    [Fact]
    public async Task CreateToken_WithOversizedName_Returns400NamingName()
    {
        var user = await api.CreateUserAsync("scripter");

        await (await user.Client.PostJsonAsync("/api/v1/tokens", new { name = new string('n', 101), scopes = new[] { "read" } }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "name");
    }

    [Fact]
    public async Task SomeoneElsesToken_IsNotFound()
    {
        var owner = await api.CreateUserAsync("owner");
        var other = await api.CreateUserAsync("other");
        var created = await (await owner.Client.PostJsonAsync("/api/v1/tokens", new { name = "mine", scopes = new[] { "read" } })).ExpectAsync(HttpStatusCode.Created);

        await (await other.Client.GetAsync($"/api/v1/tokens/{created["id"]}")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await other.Client.DeleteAsync($"/api/v1/tokens/{created["id"]}", null)).ExpectProblemAsync(HttpStatusCode.NotFound);
        var list = await (await other.Client.GetAsync("/api/v1/tokens")).ExpectAsync(HttpStatusCode.OK);
        Assert.DoesNotContain((string)created["id"]!, list.ToJsonString());
    }

    [Fact]
    public async Task TokenRoutes_WithoutCredentials_Return401()
    {
        var anonymous = api.Anonymous();

        await (await anonymous.GetAsync("/api/v1/tokens")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.PostJsonAsync("/api/v1/tokens", new { name = "x", scopes = new[] { "read" } })).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.GetAsync($"/api/v1/tokens/{Guid.NewGuid()}")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.DeleteAsync($"/api/v1/tokens/{Guid.NewGuid()}", null)).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ListTokens_PagesWithNextLink()
    {
        var user = await api.CreateUserAsync("many");
        for (var i = 0; i < 2; i++)
            await (await user.Client.PostJsonAsync("/api/v1/tokens", new { name = $"t{i}", scopes = new[] { "read" } })).ExpectAsync(HttpStatusCode.Created);

        var first = await (await user.Client.GetAsync("/api/v1/tokens?limit=2")).ExpectAsync(HttpStatusCode.OK);
        var second = await (await user.Client.GetAsync((string)first["next"]!)).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(2, first["items"]!.AsArray().Count);
        Assert.Single(second["items"]!.AsArray());
    }
}
